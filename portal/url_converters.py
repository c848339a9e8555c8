"""URL converters: an <int:…> past a 64-bit integer is a 404, not a database overflow (500)."""

from flask import Flask
from werkzeug.routing import IntegerConverter

from portal.inputs import BIGINT_MAX


class BoundedIntConverter(IntegerConverter):
    """Werkzeug's int converter with a default upper bound that every database can hold, and
    ASCII digits only (its \\d also matches '٣' and '１')."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(map, fixed_digits, min, BIGINT_MAX if max is None else max, signed)


def init_app(app: Flask) -> None:
    """Must run before the blueprints register their rules."""
    app.url_map.converters["int"] = BoundedIntConverter
