"""Watching topics and categories, and telling watchers about new topics and replies.

The notify helpers only add rows (notifications and outbox mail); the caller commits them
together with the post that caused them."""

from flask_babel import gettext as _
from sqlalchemy import select

from portal.clock import now
from portal.extensions import db
from portal.forum.paths import topic_path
from portal.models import Category, Post, Topic, User, Watch
from portal.notify.services import notify


def topic_watch(user_id: int, topic_id: int) -> Watch | None:
    return db.session.scalar(
        select(Watch).where(Watch.user_id == user_id, Watch.topic_id == topic_id)
    )


def category_watch(user_id: int, category_id: int) -> Watch | None:
    return db.session.scalar(
        select(Watch).where(Watch.user_id == user_id, Watch.category_id == category_id)
    )


def ensure_topic_watch(user_id: int, topic_id: int) -> None:
    """Askers and repliers follow the topic from then on (no commit)."""
    if topic_watch(user_id, topic_id) is None:
        db.session.add(Watch(user_id=user_id, topic_id=topic_id, created_at=now()))


def _toggle(existing: Watch | None, new: Watch) -> bool:
    """Delete the watch if there is one, else add ``new``; True if now watching."""
    if existing is not None:
        db.session.delete(existing)
    else:
        db.session.add(new)
    db.session.commit()
    return existing is None


def toggle_topic_watch(user: User, topic: Topic) -> bool:
    """Watch or stop watching; returns whether the user now watches the topic."""
    return _toggle(
        topic_watch(user.id, topic.id), Watch(user_id=user.id, topic_id=topic.id, created_at=now())
    )


def toggle_category_watch(user: User, category: Category) -> bool:
    """Watch or stop watching new topics in a category (and its sub-categories)."""
    return _toggle(
        category_watch(user.id, category.id),
        Watch(user_id=user.id, category_id=category.id, created_at=now()),
    )


def topic_watchers(topic: Topic) -> set[int]:
    return set(db.session.scalars(select(Watch.user_id).where(Watch.topic_id == topic.id)))


def category_watchers(category: Category) -> set[int]:
    """Watchers of the category or of any category above it: a sub-category's topics are
    listed (and so expected) under its parents too."""
    ids = category.chain_ids()
    return set(db.session.scalars(select(Watch.user_id).where(Watch.category_id.in_(ids))))


def notify_new_topic(topic: Topic, author: User) -> int:
    if topic.category_id is None:
        return 0
    category = db.session.get(Category, topic.category_id)
    message = _("New topic in %(category)s: %(title)s", category=category.name, title=topic.title)
    return notify(
        category_watchers(category), "forum_topic", message, topic_path(topic.id), exclude=author.id
    )


def notify_reply(topic: Topic, post: Post) -> int:
    name = post.author.display_name if post.author else ""
    message = _("%(name)s replied to “%(title)s”", name=name, title=topic.title)
    return notify(
        topic_watchers(topic),
        "forum_reply",
        message,
        topic_path(topic.id, f"post-{post.id}"),
        exclude=post.author_id,
    )
