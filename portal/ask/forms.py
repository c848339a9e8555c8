"""The full question form (step 2 of asking)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.forms import markdown_within_limits, optional_int, options
from portal.kb.queries import category_choices

BODY_MAX_CHARS = 20_000


class AskForm(FlaskForm):
    token = HiddenField()
    title = StringField(
        _l("Your question in one line"), validators=[DataRequired(), Length(max=200)]
    )
    kind = RadioField(
        _l("Kind"),
        default="question",
        choices=options(
            [
                ("question", _l("A question (someone should answer it)")),
                ("discussion", _l("A discussion (share or talk about something)")),
            ]
        ),
    )
    category_id = SelectField(_l("Category"), coerce=optional_int, validate_choice=True)
    tags = StringField(_l("Tags (comma separated)"), validators=[Optional(), Length(max=300)])
    body_md = TextAreaField(
        _l("Details (Markdown)"),
        validators=[DataRequired(), Length(max=BODY_MAX_CHARS), markdown_within_limits],
    )
    wants_expert = BooleanField(_l("I want an expert to answer"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category_id.choices = options(category_choices())
