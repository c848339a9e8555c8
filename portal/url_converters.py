"""The URL map's parts: an <int:…> past a 64-bit integer is a 404, not a database overflow
(500); each rule's URL builder is compiled when a URL is first built from it."""

from flask import Flask
from werkzeug.routing import IntegerConverter, Rule

from portal.inputs import BIGINT_MAX


class BoundedIntConverter(IntegerConverter):
    """Werkzeug's int converter with a default upper bound that every database can hold, and
    ASCII digits only (its \\d also matches '٣' and '１')."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(map, fixed_digits, min, BIGINT_MAX if max is None else max, signed)


class LazyBuilderRule(Rule):
    """A rule whose two URL builders are compiled on first use. Werkzeug generates and
    compiles Python code for both when the rule is added: ~30 ms CPU for the portal's ~220
    builders at every start, though a command builds no URL and a worker a few dozen.

    Werkzeug binds what _compile_builder returns to the rule as ``_build`` and
    ``_build_unknown``; the function returned here compiles the real builder, puts it in
    its place on the rule and calls it."""

    def _compile_builder(self, append_unknown=True):
        attribute = "_build_unknown" if append_unknown else "_build"

        def build_on_first_call(rule, *args, **kwargs):
            builder = rule.compile_builder_now(append_unknown).__get__(rule, None)
            setattr(rule, attribute, builder)
            return builder(*args, **kwargs)

        return build_on_first_call

    def compile_builder_now(self, append_unknown):
        """Werkzeug's builder for this rule (the tests share them between their apps)."""
        return super()._compile_builder(append_unknown)


def init_app(app: Flask) -> None:
    """Must run before the blueprints register their rules."""
    app.url_rule_class = LazyBuilderRule
    app.url_map.converters["int"] = BoundedIntConverter
