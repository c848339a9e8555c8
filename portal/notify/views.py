"""The notification list (the bell) and the mail outbox for admins."""

from flask import abort, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.extensions import db
from portal.forms import ConfirmForm
from portal.models import OutboxMail
from portal.notify import bp
from portal.notify.services import mark_all_read, recent_notifications
from portal.permissions import admin_required


@bp.route("/notifications")
@login_required
def notifications():
    return render_template(
        "notify/list.html", items=recent_notifications(current_user.id), form=ConfirmForm()
    )


@bp.route("/notifications/read", methods=["POST"])
@login_required
def read_all():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    mark_all_read(current_user.id)
    return redirect(url_for("notify.notifications"))


@bp.route("/admin/outbox")
@admin_required
def outbox():
    mails = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id.desc()).limit(200))
    return render_template("notify/outbox.html", mails=list(mails))
