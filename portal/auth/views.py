"""Account views: thin wrappers over auth.services."""

from flask import flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from portal.auth import bp, lockout, registration, reset
from portal.auth.forms import (
    ForgotPasswordForm,
    LoginForm,
    PasswordForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)
from portal.auth.lockout import refusal_message
from portal.auth.services import (
    AccountError,
    authenticate,
    change_password,
    end_sessions,
    update_profile,
)
from portal.links import absolute_url_for
from portal.permissions import same_site_path

# The admin users list shows current locks.
bp.add_app_template_global(lockout.current_locks, "account_locks")


def _show_beside_field(error: AccountError, form, **fields) -> None:
    """Show an account error beside the field it is about (``fields``: error.field -> form
    field), or at the top of the page when it is about none of them."""
    target = fields.get(error.field or "")
    if target is None:
        flash(str(error), "error")
    else:
        target.errors = [*target.errors, str(error)]


def _safe_next(target: str | None) -> str:
    """Only same-site paths, never another host (open-redirect guard)."""
    return target if same_site_path(target) else url_for("kb.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data, get_remote_address())
        if user is not None:
            login_user(user, remember=form.remember.data)
            flash(_("Welcome back, %(name)s.", name=user.display_name), "success")
            return redirect(_safe_next(form.next.data))
        flash(refusal_message(form.email.data, get_remote_address()), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form), 400 if form.errors else 200


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        end_sessions(current_user._get_current_object())
    logout_user()
    flash(_("You are logged out."), "success")
    return redirect(url_for("kb.home"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            registration.start_registration(
                form.email.data,
                form.password.data,
                form.display_name.data or "",
                lambda token: absolute_url_for("auth.confirm_registration", token=token),
            )
        except AccountError as error:
            _show_beside_field(error, form, password=form.password, email=form.email)
            return render_template("auth/register.html", form=form), 400
        # The same page whether or not the address has an account (no enumeration).
        return render_template("auth/register_sent.html")
    return render_template("auth/register.html", form=form), 400 if form.errors else 200


@bp.route("/register/confirm/<token>")
def confirm_registration(token: str):
    try:
        user = registration.finish_registration(token)
    except registration.RegistrationLinkError as error:
        response = make_response(
            render_template("auth/register_invalid.html", reason=error.reason), 400
        )
    else:
        login_user(user)
        flash(_("Your account is ready."), "success")
        response = redirect(url_for("kb.home"))
    # The token is in the URL: keep it out of Referer headers and caches.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        update_profile(current_user, form.display_name.data, form.locale.data)
        session["lang"] = form.locale.data
        flash(_("Profile saved."), "success")
        return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", form=form, password_form=PasswordForm()), (
        400 if form.errors else 200
    )


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    """The change-password form: on the account page, and on a page of its own for an
    account that must choose its own password first (auth/first_password.py)."""
    form = PasswordForm()
    forced = current_user.must_change_password
    if request.method == "GET":
        if not forced:
            return redirect(url_for("auth.profile"))
        return render_template("auth/change_password.html", form=form)
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current.data, form.new.data)
        except AccountError as error:
            _show_beside_field(error, form, password=form.new, current=form.current)
        else:
            # The new password signs out every other browser (User.get_id); keep this one.
            login_user(current_user._get_current_object(), fresh=True)
            flash(_("Password changed."), "success")
            return redirect(url_for("kb.home") if forced else url_for("auth.profile"))
    if forced:
        return render_template("auth/change_password.html", form=form), 400
    return render_template(
        "auth/profile.html", form=ProfileForm(obj=current_user), password_form=form
    ), 400


@bp.route("/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        reset.send_reset_mail(
            form.email.data, lambda token: absolute_url_for("auth.reset_password", token=token)
        )
        # The same page whether or not the account exists (no account enumeration).
        return render_template("auth/forgot_sent.html")
    return render_template("auth/forgot.html", form=form), 400 if form.errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        user = reset.user_for_token(token)
    except reset.ResetTokenError as error:
        response = make_response(
            render_template("auth/reset_invalid.html", reason=error.reason), 400
        )
    else:
        form = ResetPasswordForm()
        status = 200
        if form.validate_on_submit():
            try:
                reset.reset_password(user, form.new.data)
            except AccountError as error:
                _show_beside_field(error, form, password=form.new)
                status = 400
            else:
                flash(_("Your password has been changed. Please log in with it."), "success")
                return redirect(url_for("auth.login"))
        if form.errors:
            status = 400
        response = make_response(render_template("auth/reset.html", form=form), status)
    # The token is in the URL: keep it out of Referer headers and caches.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    from flask import current_app

    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")))
