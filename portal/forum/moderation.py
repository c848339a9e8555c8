"""Keeping the forum civil: flags and the flag queue, hiding, locking, moving, banning.

Everyone logged in may flag; everything else is for editors and admins, checked here as
well as in the views so no caller can skip it."""

import logging

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.audit.services import record
from portal.clock import now
from portal.experts import events
from portal.extensions import db
from portal.forum.services import (
    ForumError,
    PostingForbidden,
    is_moderator,
    unaccept_if,
    visible_reply_count,
)
from portal.indexing.outbox import commit_and_index, enqueue
from portal.models import Category, Flag, Post, Topic, User
from portal.roles import is_editor

logger = logging.getLogger(__name__)

REASON_MAX_CHARS = 500
RESOLUTIONS = {"hide": "hidden", "dismiss": "dismissed"}


def require_moderator(user) -> None:
    if not is_moderator(user):
        raise PostingForbidden(_l("Only editors and administrators can moderate the forum."))


# -- flags ----------------------------------------------------------------------------------


class AlreadyFlagged(ForumError):
    """This reader's earlier flag on the post is still open: nothing to add."""


def flag_post(post: Post, user: User, reason: str) -> Flag:
    """Report a post to the moderators, with a reason (one open flag per user and post)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ForumError(_l("Please say what is wrong with this post."))
    if len(reason) > REASON_MAX_CHARS:
        raise ForumError(_l("The reason may be at most %(n)d characters.", n=REASON_MAX_CHARS))
    if not post.visible or not post.topic.visible:
        raise ForumError(_l("This post was already removed."))
    already = db.session.scalar(
        select(Flag.id).where(
            Flag.post_id == post.id, Flag.user_id == user.id, Flag.resolved_at.is_(None)
        )
    )
    if already is not None:
        raise AlreadyFlagged(_l("You have already flagged this post; a moderator will look at it."))
    flag = Flag(post_id=post.id, user_id=user.id, reason=reason, created_at=now())
    db.session.add(flag)
    db.session.commit()
    return flag


def open_flags() -> list[Flag]:
    """Unresolved flags, oldest first (the queue editors work through)."""
    return list(
        db.session.scalars(
            select(Flag)
            .where(Flag.resolved_at.is_(None))
            .order_by(Flag.created_at, Flag.id)
            .options(selectinload(Flag.post).selectinload(Post.topic), selectinload(Flag.user))
        )
    )


def resolve_flag(flag: Flag, actor: User, action: str) -> int:
    """Hide the flagged post or dismiss the report; every open flag on that post is closed
    with it. Returns how many flags were resolved."""
    require_moderator(actor)
    if action not in RESOLUTIONS:
        raise ForumError(_l("Choose whether to hide the post or dismiss the flag."))
    flags = db.session.scalars(
        select(Flag).where(Flag.post_id == flag.post_id, Flag.resolved_at.is_(None))
    ).all()
    before = {
        "open_flags": len(flags),
        "hidden": flag.post.hidden,
        "reasons": [item.reason for item in flags],
    }
    for item in flags:
        item.resolved_at, item.resolved_by_id = now(), actor.id
        item.resolution = RESOLUTIONS[action]
    if action == "hide":
        _set_post_hidden(flag.post, True)
    record(
        actor,
        "flag.resolve",
        "post",
        flag.post_id,
        flag.post.topic.title,
        before,
        {"open_flags": 0, "hidden": flag.post.hidden, "resolution": RESOLUTIONS[action]},
    )
    commit_and_index()
    return len(flags)


# -- hiding, locking, moving ----------------------------------------------------------------


def _set_topic_hidden(topic: Topic, hidden: bool) -> None:
    topic.hidden = hidden
    events.reconsider(topic)
    for post in topic.posts:
        if post.is_question:
            post.hidden = hidden
    enqueue("forum", topic.id)


def _set_post_hidden(post: Post, hidden: bool) -> None:
    """Hiding the opening post hides the topic: a thread without its question is noise."""
    topic = post.topic
    if post.is_question:
        _set_topic_hidden(topic, hidden)
        return
    post.hidden = hidden
    if hidden:
        unaccept_if(topic, post)
    db.session.flush()
    topic.reply_count = visible_reply_count(topic)
    enqueue("forum", topic.id)


def set_post_hidden(post: Post, hidden: bool, actor: User) -> None:
    require_moderator(actor)
    before = {"hidden": post.hidden}
    _set_post_hidden(post, hidden)
    record(
        actor,
        "post.hide" if hidden else "post.unhide",
        "post",
        post.id,
        post.topic.title,
        before,
        {"hidden": post.hidden},
    )
    commit_and_index()
    logger.info("post %d %s by user %d", post.id, "hidden" if hidden else "shown", actor.id)


def set_topic_hidden(topic: Topic, hidden: bool, actor: User) -> None:
    require_moderator(actor)
    before = {"hidden": topic.hidden}
    _set_topic_hidden(topic, hidden)
    record(
        actor,
        "topic.hide" if hidden else "topic.unhide",
        "topic",
        topic.id,
        topic.title,
        before,
        {"hidden": topic.hidden},
    )
    commit_and_index()
    logger.info("topic %d %s by user %d", topic.id, "hidden" if hidden else "shown", actor.id)


def set_locked(topic: Topic, locked: bool, actor: User) -> None:
    """A locked topic takes no new replies (the index does not change)."""
    require_moderator(actor)
    record(
        actor,
        "topic.lock" if locked else "topic.unlock",
        "topic",
        topic.id,
        topic.title,
        {"locked": topic.locked},
        {"locked": locked},
    )
    topic.locked = locked
    events.reconsider(topic)
    db.session.commit()


def move_topic(topic: Topic, category_id: int | None, actor: User) -> None:
    require_moderator(actor)
    if category_id is not None and db.session.get(Category, category_id) is None:
        raise ForumError(_l("That category does not exist."))
    if topic.category_id == category_id:
        return
    record(
        actor,
        "topic.move",
        "topic",
        topic.id,
        topic.title,
        {"category_id": topic.category_id},
        {"category_id": category_id},
    )
    topic.category_id = category_id
    events.reconsider(topic)
    enqueue("forum", topic.id)  # the category path is part of the search document
    commit_and_index()


# -- bans -----------------------------------------------------------------------------------


def set_banned(user: User, banned: bool, actor: User) -> None:
    """Ban a user from posting (reading stays open), or lift the ban."""
    require_moderator(actor)
    if user.id == actor.id:
        raise ForumError(_l("You cannot ban yourself."))
    if banned and is_editor(user):
        raise PostingForbidden(_l("Editors and administrators cannot be banned."))
    before = {"banned_at": user.banned_at}
    if banned and user.banned_at is None:
        user.banned_at = now()
    elif not banned:
        user.banned_at = None
    record(
        actor,
        "user.ban" if banned else "user.unban",
        "user",
        user.id,
        user.email,
        before,
        {"banned_at": user.banned_at},
    )
    db.session.commit()
    logger.info("user %d %s by user %d", user.id, "banned" if banned else "unbanned", actor.id)
