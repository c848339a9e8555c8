"""The full question form (step 2 of asking)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.kb.queries import category_tree
from portal.template_helpers import category_name

BODY_MAX_CHARS = 20_000


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


def category_choices() -> list[tuple[int | None, str]]:
    """(id, indented name in the visitor's language) for the whole category tree."""
    choices: list[tuple[int | None, str]] = [(None, "—")]

    def walk(nodes, depth):
        for node in nodes:
            choices.append((node.category.id, "　" * depth + category_name(node.category)))
            walk(node.children, depth + 1)

    walk(category_tree(), 0)
    return choices


class AskForm(FlaskForm):
    token = HiddenField()
    title = StringField(_l("Your question in one line"),
                        validators=[DataRequired(), Length(max=200)])
    kind = RadioField(_l("Kind"), default="question", choices=[
        ("question", _l("A question (someone should answer it)")),
        ("discussion", _l("A discussion (share or talk about something)")),
    ])
    category_id = SelectField(_l("Category"), coerce=_optional_int, validate_choice=True)
    tags = StringField(_l("Tags (comma separated)"), validators=[Optional(), Length(max=300)])
    body_md = TextAreaField(_l("Details (Markdown)"),
                            validators=[DataRequired(), Length(max=BODY_MAX_CHARS)])
    wants_expert = BooleanField(_l("I want an expert to answer"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category_id.choices = category_choices()
