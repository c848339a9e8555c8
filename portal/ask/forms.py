"""The full question form (step 2 of asking)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.forms import markdown_within_limits, optional_int, options
from portal.forum.forms import kind_field
from portal.forum.services import BODY_MAX_CHARS, TITLE_MAX_CHARS
from portal.kb.queries import category_choices


class AskForm(FlaskForm):
    token = HiddenField()
    title = StringField(
        _l("Your question in one line"), validators=[DataRequired(), Length(max=TITLE_MAX_CHARS)]
    )
    kind = kind_field()
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
