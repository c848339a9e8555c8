"""Forms and request arguments shared by several blueprints."""

from flask import abort, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectChoice
from wtforms.validators import ValidationError

from portal.inputs import BIGINT_MAX, optional_whole_number, whole_number
from portal.markup import markdown_problem
from search.paging import MAX_PAGE  # deeper pages are for filters, not paging

# Every integer argument read outside a WTForm (query string, or a hidden form field). int_arg
# takes no other name, so a new one is added here, and tests/probes/test_probe_integers.py sends bad
# values of each to every route.
INTEGER_ARGS = frozenset(
    {
        "page",
        "sid",
        "rank",
        "quote",
        "against",
        "article_id",
        "min",
        "min_votes",
        "days",
        "topic_id",
        "base_revision",
        "translate_from",
        "translation_of",
        "owner_id",
    }
)
# Query arguments "<type>:<id>" that carry an integer id after the colon.
KEY_QUERY_ARGS = frozenset({"key"})


def options(pairs) -> list[SelectChoice]:
    """Select and radio choices from (value, label) pairs (WTForms 3.4 takes no tuples)."""
    return [SelectChoice(value, label) for value, label in pairs]


class ConfirmForm(FlaskForm):
    """An empty form: a button that posts with a CSRF token."""


def int_arg(
    name: str,
    default: int | None = None,
    low: int = 1,
    high: int = BIGINT_MAX,
    source=None,
    ignore_bad: bool = False,
) -> int | None:
    """The integer argument ``name`` (``default`` when absent or empty), or a 400 that says
    what is allowed; ``ignore_bad``: the default instead of the 400 (an optional hint such as a
    search id, where the page is still the right answer). ``source``: request.args unless given
    (e.g. request.form)."""
    if name not in INTEGER_ARGS:
        raise LookupError(f"add {name!r} to INTEGER_ARGS so that the probes send it")
    raw = (request.args if source is None else source).get(name)
    if raw in (None, ""):
        return default
    try:
        return whole_number(raw, low, high)
    except ValueError:
        if ignore_bad:
            return default
        abort(
            400,
            description=_(
                "%(name)s must be a whole number from %(low)d to %(high)d.",
                name=name,
                low=low,
                high=high,
            ),
        )


def markdown_within_limits(_form, field) -> None:
    """Validator of every Markdown field: refuse texts too costly to render (portal.markup)."""
    if problem := markdown_problem(field.data or ""):
        raise ValidationError(str(problem))


def page_arg() -> int:
    """The ``page`` query argument, 1..MAX_PAGE, or a 400 that says what is allowed."""
    try:
        return whole_number(request.args.get("page") or "1", 1, MAX_PAGE)
    except ValueError:
        abort(400, description=_("The page must be a whole number from 1 to %(n)d.", n=MAX_PAGE))


def optional_int(value):
    """Coerce a select box value (our int choices, or posted text) to an int, or None for the
    empty choice; ValueError for anything but ASCII digits."""
    return value if isinstance(value, int) else optional_whole_number(value)


def required_int(value):
    """Coerce a select box value to an int (ValueError for anything but ASCII digits)."""
    return value if isinstance(value, int) else whole_number(value)


class WholeNumberField(IntegerField):
    """IntegerField through the one integer parser: ASCII digits only, from ``low`` to
    ``high`` (int() takes '٣', '+1' and 4,000 digits, which the database cannot store)."""

    def __init__(self, label=None, validators=None, low=0, high=1_000_000, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.low, self.high = low, high

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = whole_number(valuelist[0], self.low, self.high)
        except ValueError:
            self.data = None
            raise ValueError(
                _("Enter a whole number from %(low)d to %(high)d.", low=self.low, high=self.high)
            ) from None
