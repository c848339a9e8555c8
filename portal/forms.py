"""Forms and request arguments shared by several blueprints."""

from flask import abort, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms.validators import ValidationError

from portal.markup import markdown_problem

MAX_PAGE = 1000  # deeper pages are for filters, not paging; also bounds the SQL offset


class ConfirmForm(FlaskForm):
    """An empty form: a button that posts with a CSRF token."""


def markdown_within_limits(_form, field) -> None:
    """Validator of every Markdown field: refuse texts too costly to render (portal.markup)."""
    if problem := markdown_problem(field.data or ""):
        raise ValidationError(str(problem))


def page_arg() -> int:
    """The ``page`` query argument, 1..MAX_PAGE, or a 400 that says what is allowed."""
    raw_page = request.args.get("page") or "1"
    if not raw_page.isdigit() or not 1 <= int(raw_page) <= MAX_PAGE:
        abort(400, description=_("The page must be a whole number from 1 to %(n)d.", n=MAX_PAGE))
    return int(raw_page)


def optional_int(value):
    """Coerce a select box value to an int, or None for the empty choice."""
    return int(value) if value not in (None, "", "None") else None
