"""Moderation pages for editors and admins: the flag queue, hide/unhide, lock, move, ban,
and turning a solved question into a draft article."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal.extensions import db
from portal.forms import ConfirmForm, int_arg
from portal.forum import bp, moderation
from portal.forum.forms import MoveForm
from portal.forum.services import ForumError
from portal.forum.to_article import turn_into_article
from portal.forum.views._common import back_to, confirm_or_400, me, refused, topic_or_404
from portal.models import Flag, Post, User
from portal.permissions import editor_required


def _topic_page(topic_id: int) -> str:
    return url_for("forum.topic", topic_id=topic_id)


@bp.route("/flags")
@editor_required
def flags():
    return render_template("forum/flags.html", flags=moderation.open_flags(), form=ConfirmForm())


@bp.route("/flags/<int:flag_id>/resolve", methods=["POST"])
@editor_required
def resolve_flag(flag_id: int):
    flag = db.get_or_404(Flag, flag_id)
    confirm_or_400()
    try:
        count = moderation.resolve_flag(flag, me(), request.form.get("action", ""))
    except ForumError as error:
        return refused(error, url_for("forum.flags"))
    flash(_("%(n)d flags resolved.", n=count), "success")
    return redirect(url_for("forum.flags"))


@bp.route(
    "/p/<int:post_id>/hide", methods=["POST"], endpoint="hide_post", defaults={"hidden": True}
)
@bp.route(
    "/p/<int:post_id>/unhide", methods=["POST"], endpoint="unhide_post", defaults={"hidden": False}
)
@editor_required
def set_post_hidden(post_id: int, hidden: bool):
    post = db.get_or_404(Post, post_id)
    topic_or_404(post.topic_id)
    confirm_or_400()
    moderation.set_post_hidden(post, hidden, me())
    flash(_("The post is hidden.") if hidden else _("The post is visible again."), "success")
    return redirect(back_to(post))


@bp.route(
    "/t/<int:topic_id>/hide", methods=["POST"], endpoint="hide_topic", defaults={"hidden": True}
)
@bp.route(
    "/t/<int:topic_id>/unhide",
    methods=["POST"],
    endpoint="unhide_topic",
    defaults={"hidden": False},
)
@editor_required
def set_topic_hidden(topic_id: int, hidden: bool):
    topic = topic_or_404(topic_id)
    confirm_or_400()
    moderation.set_topic_hidden(topic, hidden, me())
    flash(_("The topic is hidden.") if hidden else _("The topic is visible again."), "success")
    return redirect(_topic_page(topic.id))


@bp.route(
    "/t/<int:topic_id>/lock", methods=["POST"], endpoint="lock_topic", defaults={"locked": True}
)
@bp.route(
    "/t/<int:topic_id>/unlock",
    methods=["POST"],
    endpoint="unlock_topic",
    defaults={"locked": False},
)
@editor_required
def set_locked(topic_id: int, locked: bool):
    topic = topic_or_404(topic_id)
    confirm_or_400()
    moderation.set_locked(topic, locked, me())
    flash(_("The topic is locked.") if locked else _("The topic is open again."), "success")
    return redirect(_topic_page(topic.id))


@bp.route("/t/<int:topic_id>/move", methods=["POST"])
@editor_required
def move_topic(topic_id: int):
    topic = topic_or_404(topic_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400, description=_("Choose a category from the list."))
    try:
        moderation.move_topic(topic, form.category_id.data, me())
    except ForumError as error:
        return refused(error, _topic_page(topic.id))
    flash(_("The topic was moved."), "success")
    return redirect(_topic_page(topic.id))


@bp.route("/u/<int:user_id>/ban", methods=["POST"], endpoint="ban_user", defaults={"banned": True})
@bp.route(
    "/u/<int:user_id>/unban", methods=["POST"], endpoint="unban_user", defaults={"banned": False}
)
@editor_required
def set_banned(user_id: int, banned: bool):
    user = db.get_or_404(User, user_id)
    confirm_or_400()
    back = int_arg("topic_id", source=request.form)
    back_url = _topic_page(back) if back else url_for("forum.index")
    try:
        moderation.set_banned(user, banned, me())
    except ForumError as error:
        return refused(error, back_url)
    message = (
        _("%(name)s may no longer post.", name=user.display_name)
        if banned
        else _("%(name)s may post again.", name=user.display_name)
    )
    flash(message, "success")
    return redirect(back_url)


@bp.route("/t/<int:topic_id>/to-article", methods=["POST"])
@editor_required
def to_article(topic_id: int):
    topic = topic_or_404(topic_id)
    confirm_or_400()
    try:
        article = turn_into_article(topic, me(), _topic_page(topic.id))
    except ForumError as error:
        return refused(error, _topic_page(topic.id))
    flash(_("A draft article was made from this topic. Edit and publish it when ready."), "success")
    return redirect(url_for("editor.edit_article", article_id=article.id))
