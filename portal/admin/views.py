"""User administration: list and search users, change a role, disable or enable an account.

set_role and set_active commit on their own, so the audit entry is added just before them
(it commits with the change) and dropped with a rollback when they refuse."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from portal.admin import bp
from portal.audit.services import record
from portal.auth import lockout
from portal.auth.services import AccountError, set_active, set_role
from portal.extensions import db
from portal.forms import ConfirmForm, page_arg
from portal.models import ROLES, User
from portal.permissions import admin_required
from portal.template_helpers import role_label

PER_PAGE = 50


@bp.route("/users")
@admin_required
def users():
    text = (request.args.get("q") or "").strip()[:100]
    role = request.args.get("role") or ""
    query = select(User).order_by(User.created_at.desc())
    if text:
        like = f"%{text.lower()}%"
        query = query.where(or_(User.email.like(like), func.lower(User.display_name).like(like)))
    if role in ROLES:
        query = query.where(User.role == role)
    page = db.paginate(query, page=page_arg(), per_page=PER_PAGE, error_out=False)
    return render_template(
        "admin/users.html", page=page, q=text, role=role, roles=ROLES, form=ConfirmForm()
    )


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@admin_required
def change_role(user_id: int):
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    role = request.form.get("role", "")
    if role not in ROLES:  # bad input, not an everyday mistake
        abort(400, description=_("Unknown role."))
    if role != user.role:
        record(
            current_user,
            "user.role",
            "user",
            user.id,
            user.email,
            {"role": user.role},
            {"role": role},
        )
    try:
        set_role(user, role, current_user)
    except AccountError as error:
        db.session.rollback()
        flash(str(error), "error")  # an everyday mistake: said on the same page
        return redirect(url_for("admin.users"), 303)
    flash(_("%(email)s is now %(role)s.", email=user.email, role=role_label(user.role)), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@admin_required
def change_active(user_id: int):
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    if active != user.active:
        record(
            current_user,
            "user.enable" if active else "user.disable",
            "user",
            user.id,
            user.email,
            {"active": user.active},
            {"active": active},
        )
    try:
        set_active(user, active, current_user)
    except AccountError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("admin.users"), 303)
    flash(_("Account enabled.") if active else _("Account disabled."), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@admin_required
def unlock(user_id: int):
    """End every login lock of the account (all addresses), e.g. after the owner called."""
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    record(current_user, "user.unlock", "user", user.id, user.email, None, None)
    lockout.clear(user)
    db.session.commit()
    flash(_("%(email)s can log in again.", email=user.email), "success")
    return redirect(url_for("admin.users"), 303)
