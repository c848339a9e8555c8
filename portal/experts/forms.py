"""Expert forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class ProfileForm(FlaskForm):
    categories = SelectMultipleField(_l("Expertise categories"), coerce=int)
    tags = StringField(_l("Expertise tags (comma separated)"),
                       validators=[Optional(), Length(max=500)])
    keywords = StringField(_l("Keywords (e.g. product names)"),
                           validators=[Optional(), Length(max=500)])
    on_duty = BooleanField(_l("On duty (receive new questions)"))
    max_open = IntegerField(_l("Maximum open assignments"), default=5,
                            validators=[NumberRange(min=0, max=100)])


class DeclineForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class ReassignForm(FlaskForm):
    expert_id = SelectField(_l("Expert"), coerce=int)
