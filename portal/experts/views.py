"""Expert queue, editors' view of all queues, expert profiles, decline and reassign."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.experts import bp
from portal.experts.forms import DeclineForm, ProfileForm, ReassignForm
from portal.experts.profiles import (
    QUEUE_SORTS,
    active_experts,
    all_open_assignments,
    my_open_assignments,
    profile_for,
    queue_stats,
    recently_answered,
    routing_history,
    unrouted_topics,
    update_profile,
)
from portal.experts.sweep import RoutingError, decline, reassign
from portal.extensions import db
from portal.forms import options
from portal.kb.queries import category_choices
from portal.models import Assignment, Topic, User
from portal.permissions import editor_required, role_required, same_site_path
from portal.roles import STAFF_ROLES

expert_or_editor = role_required(*STAFF_ROLES)
# Routing event kinds as editors read them.
EVENT_LABELS = {
    "assigned": _l("Assigned"),
    "unrouted": _l("No expert available"),
    "escalated": _l("Escalated"),
    "declined": _l("Declined"),
    "reassigned": _l("Reassigned"),
    "answered": _l("Answered"),
}


def _queue_sort(default: str | None) -> str | None:
    """?sort= of the queue pages: one of QUEUE_SORTS, else a 400 that says which."""
    sort = request.args.get("sort") or default
    if sort is not None and sort not in QUEUE_SORTS:
        abort(400, description=_("Sort by one of: %(sorts)s.", sorts=", ".join(QUEUE_SORTS)))
    return sort


@bp.route("/queue")
@expert_or_editor
def queue():
    if current_user.role != "expert":
        return redirect(url_for("experts.all_queues"))
    answered = recently_answered(current_user.id)
    sort = _queue_sort("time_left")
    return render_template(
        "experts/queue.html",
        assignments=my_open_assignments(current_user.id, sort),
        sort=sort,
        answered=answered,
        stats=queue_stats(answered),
        decline_form=DeclineForm(),
        profile=profile_for(current_user),
    )


@bp.route("/queues")
@editor_required
def all_queues():
    form = ReassignForm()
    form.expert_id.choices = options((u.id, u.display_name) for u in active_experts())
    sort = _queue_sort(None)
    return render_template(
        "experts/all_queues.html",
        assignments=all_open_assignments(sort),
        sort=sort,
        unrouted=unrouted_topics(),
        form=form,
        events=routing_history(),
        event_labels=EVENT_LABELS,
    )


@bp.route("/assignments/<int:assignment_id>/decline", methods=["POST"])
@role_required("expert")
def decline_assignment(assignment_id: int):
    assignment = db.get_or_404(Assignment, assignment_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        flash(_("Please give a reason for declining."), "error")
        return redirect(url_for("experts.queue")), 303
    try:
        decline(assignment, current_user, form.reason.data)
    except RoutingError as error:
        db.session.rollback()
        abort(error.status, description=str(error))
    flash(_("Declined; the question moves to the next expert."), "success")
    return redirect(url_for("experts.queue"))


@bp.route("/topics/<int:topic_id>/reassign", methods=["POST"])
@editor_required
def reassign_topic(topic_id: int):
    topic = db.get_or_404(Topic, topic_id)
    form = ReassignForm()
    form.expert_id.choices = options((u.id, u.display_name) for u in active_experts())
    if not form.validate_on_submit():
        abort(400, description=_("Choose an expert."))
    try:
        reassign(topic, db.session.get(User, form.expert_id.data), current_user)
    except RoutingError as error:
        db.session.rollback()
        abort(400, description=str(error))
    flash(_("Question reassigned."), "success")
    back = request.form.get("back")
    return redirect(back if same_site_path(back) else url_for("experts.all_queues"))


def _edit_profile(user: User, status_ok: str):
    profile = profile_for(user)
    form = ProfileForm(obj=profile) if request.method == "GET" else ProfileForm()
    form.categories.choices = options((cid, name) for cid, name in category_choices() if cid)
    if request.method == "GET":
        form.categories.data = [c.id for c in profile.categories]
        form.tags.data = ", ".join(t.name for t in profile.tags)
    if form.validate_on_submit():
        update_profile(
            profile,
            category_ids=form.categories.data or [],
            tags=[form.tags.data or ""],
            keywords=form.keywords.data or "",
            on_duty=form.on_duty.data,
            max_open=form.max_open.data,
            actor=None if user.id == current_user.id else current_user,
        )
        flash(status_ok, "success")
        return redirect(request.path)
    db.session.commit()  # keep a newly created empty profile
    return render_template("experts/profile.html", form=form, expert=user), (
        400 if form.errors else 200
    )


@bp.route("/profile", methods=["GET", "POST"])
@role_required("expert")
def my_profile():
    return _edit_profile(current_user, _("Profile saved."))


@bp.route("/profile/<int:user_id>", methods=["GET", "POST"])
@role_required("admin")
def edit_profile(user_id: int):
    user = db.get_or_404(User, user_id)
    if user.role != "expert":
        abort(400, description=_("Only experts have an expert profile."))
    return _edit_profile(user, _("Profile saved."))
