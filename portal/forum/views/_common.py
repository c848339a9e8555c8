"""What the forum's view modules share: the current user, refusals, the 404 lookups that
hide deleted and hidden content, and the log-in-first decorator."""

from functools import wraps

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from portal.extensions import db
from portal.forms import ConfirmForm
from portal.forum import services
from portal.forum.services import ForumError
from portal.models import Post, Topic


def me():
    """The logged-in user object itself (services keep it on new rows)."""
    return current_user._get_current_object()


def refused(error: ForumError, back: str | None = None):
    """A page that says plainly why the action was refused; nothing was saved."""
    db.session.rollback()
    return render_template(
        "errors/error.html",
        code=error.status,
        message=str(error),
        back=back or url_for("forum.index"),
    ), error.status


def confirm_or_400() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


def topic_or_404(topic_id: int) -> Topic:
    """Deleted topics are gone for everyone; hidden ones remain visible to moderators."""
    topic = db.get_or_404(Topic, topic_id)
    if topic.deleted_at is not None or (topic.hidden and not services.is_moderator(current_user)):
        abort(404)
    return topic


def post_or_404(post_id: int) -> Post:
    post = db.get_or_404(Post, post_id)
    topic_or_404(post.topic_id)
    if post.hidden and not services.is_moderator(current_user):
        abort(404)
    return post


def back_to(post: Post) -> str:
    return url_for("forum.topic", topic_id=post.topic_id, _anchor=f"post-{post.id}")


def login_first(view):
    """Anonymous visitors are sent to log in, then back to the page they were reading."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_user.is_authenticated:
            return view(*args, **kwargs)
        if request.method == "GET":
            back = request.full_path.rstrip("?")
        elif "topic_id" in kwargs:
            back = url_for("forum.topic", topic_id=kwargs["topic_id"])
        elif "post_id" in kwargs and (post := db.session.get(Post, kwargs["post_id"])):
            back = url_for("forum.topic", topic_id=post.topic_id)
        else:
            back = url_for("forum.index")
        return redirect(url_for("auth.login", next=back))

    return wrapped
