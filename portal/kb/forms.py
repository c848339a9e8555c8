"""Customer-side KB forms."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.forms import options
from portal.kb.feedback import COMMENT_CHARS, REASONS


class FeedbackForm(FlaskForm):
    helpful = RadioField(
        choices=options([("yes", "yes"), ("no", "no")]), validators=[DataRequired()]
    )
    # Why not helpful: optional, and kept only with a "no".
    reason = RadioField(choices=list(REASONS), validators=[Optional()])
    comment = TextAreaField(validators=[Optional(), Length(max=COMMENT_CHARS)])
    sid = HiddenField()
