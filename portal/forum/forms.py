"""Forum forms (Flask-WTF: every one carries a CSRF token). Limits match the services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.forms import markdown_within_limits, optional_int, options
from portal.forum.moderation import REASON_MAX_CHARS
from portal.forum.services import BODY_MAX_CHARS, TITLE_MAX_CHARS
from portal.kb.queries import category_choices


def _body_field(label):
    required = DataRequired(message=_l("Please write something first."))
    return TextAreaField(
        label, validators=[required, Length(max=BODY_MAX_CHARS), markdown_within_limits]
    )


def kind_field() -> RadioField:
    """Question or discussion: the same choice on the new-topic and the ask forms."""
    return RadioField(
        _l("Kind"),
        default="question",
        choices=options(
            [
                ("question", _l("A question (someone should answer it)")),
                ("discussion", _l("A discussion (share or talk about something)")),
            ]
        ),
    )


class TopicForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX_CHARS)])
    kind = kind_field()
    category_id = SelectField(_l("Category"), coerce=optional_int, validate_choice=True)
    tags = StringField(_l("Tags (comma separated)"), validators=[Optional(), Length(max=300)])
    body_md = _body_field(_l("Details (Markdown)"))
    wants_expert = BooleanField(_l("I want an expert to answer"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category_id.choices = options(category_choices())


class ReplyForm(FlaskForm):
    body_md = _body_field(_l("Your reply (Markdown)"))


class EditPostForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Optional(), Length(max=TITLE_MAX_CHARS)])
    body_md = _body_field(_l("Text (Markdown)"))


class FlagForm(FlaskForm):
    reason = StringField(
        _l("What is wrong with this post?"),
        validators=[DataRequired(), Length(max=REASON_MAX_CHARS)],
    )


class MoveForm(FlaskForm):
    category_id = SelectField(_l("Move to category"), coerce=optional_int, validate_choice=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category_id.choices = options(category_choices())
