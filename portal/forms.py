"""Forms shared by several blueprints."""

from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """An empty form: a button that posts with a CSRF token."""


def optional_int(value):
    """Coerce a select box value to an int, or None for the empty choice."""
    return int(value) if value not in (None, "", "None") else None
