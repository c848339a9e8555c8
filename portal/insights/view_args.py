"""The date range an insights request asks for, read the same way by every insights view."""

from flask import abort, request
from flask_babel import gettext as _

from portal.insights.ranges import DateRange, RangeError, page_range, parse_range


def _bad_range(reason: str):
    abort(400, description=_("Bad date range: %(reason)s.", reason=reason))


def strict_range(args) -> DateRange:
    """The range of a form's hidden fields: one the reader did not type, so a bad one is a
    plain 400."""
    try:
        return parse_range(args)
    except RangeError as error:
        _bad_range(str(error))


def requested_range() -> tuple[DateRange, str | None]:
    """page_range of the query string (a page shows the reason beside its date fields);
    a CSV of a range to fix is a plain 400."""
    rng, error = page_range(request.args)
    if error and request.args.get("csv"):
        _bad_range(error)
    return rng, error
