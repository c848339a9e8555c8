"""Expert forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.forms import WholeNumberField, required_int


class ProfileForm(FlaskForm):
    # Checkboxes, not a multi-select: picking several needs no Ctrl-click.
    categories = SelectMultipleField(
        _l("Expertise categories"),
        coerce=required_int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    tags = StringField(
        _l("Expertise tags (comma separated)"), validators=[Optional(), Length(max=500)]
    )
    keywords = StringField(
        _l("Keywords (e.g. product names)"), validators=[Optional(), Length(max=500)]
    )
    on_duty = BooleanField(_l("On duty (receive new questions)"))
    max_open = WholeNumberField(_l("Maximum open assignments"), default=5, low=0, high=100)


class DeclineForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class ReassignForm(FlaskForm):
    expert_id = SelectField(_l("Expert"), coerce=required_int)
