"""Editor forms (Flask-WTF: every form carries a CSRF token)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from portal.forms import WholeNumberField, markdown_within_limits, optional_int, options
from portal.markup import MAX_MARKDOWN_CHARS
from portal.models.kb import LANGUAGE_NAMES

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG_MESSAGE = _l("Use lower-case letters, digits and hyphens, e.g. return-policy.")


class ArticleForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        _l("Slug (web address)"),
        validators=[DataRequired(), Length(max=120), Regexp(SLUG_PATTERN, message=SLUG_MESSAGE)],
    )
    summary = StringField(_l("Summary"), validators=[Optional(), Length(max=500)])
    category_id = SelectField(_l("Category"), coerce=optional_int, validate_choice=True)
    language = SelectField(
        _l("Language"),
        choices=options(LANGUAGE_NAMES.items()),
    )
    status = SelectField(
        _l("Status"),
        choices=options(
            [
                ("draft", _l("Draft")),
                ("published", _l("Published")),
                ("archived", _l("Archived")),
            ]
        ),
    )
    tags = StringField(_l("Tags (comma separated)"), validators=[Optional(), Length(max=500)])
    body_md = TextAreaField(
        _l("Body (Markdown)"), validators=[Length(max=MAX_MARKDOWN_CHARS), markdown_within_limits]
    )
    note = StringField(_l("What changed (revision note)"), validators=[Optional(), Length(max=300)])
    base_revision = HiddenField()
    translation_of = HiddenField()  # the original's id when this article translates it


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("English name"), validators=[Optional(), Length(max=120)])
    slug = StringField(
        _l("Slug"),
        validators=[DataRequired(), Length(max=80), Regexp(SLUG_PATTERN, message=SLUG_MESSAGE)],
    )
    parent_id = SelectField(_l("Parent category"), coerce=optional_int)
    description = StringField(_l("Description"), validators=[Optional(), Length(max=500)])
    description_en = StringField(
        _l("English description"), validators=[Optional(), Length(max=500)]
    )
    position = WholeNumberField(_l("Position"), default=0, validators=[Optional()])


class TagForm(FlaskForm):
    name = StringField(_l("New name"), validators=[DataRequired(), Length(max=50)])
