"""Account forms. Password strength is checked by auth.passwords, not here: one place,
and the same messages for the CLI."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from portal.auth.passwords import PASSWORD_RULES
from portal.forms import options

LOCALE_CHOICES = options([("zh_CN", "中文"), ("en", "English")])


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Remember me"))
    next = HiddenField()


class RegisterForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=80)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=200)], description=PASSWORD_RULES
    )
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class ProfileForm(FlaskForm):
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=80)])
    locale = SelectField(_l("Preferred language"), choices=LOCALE_CHOICES)


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    new = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(max=200)], description=PASSWORD_RULES
    )
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("new", message=_l("The passwords differ."))],
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    new = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(max=200)], description=PASSWORD_RULES
    )
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("new", message=_l("The passwords differ."))],
    )
