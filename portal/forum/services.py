"""Posting in the forum: topics, replies, edits, deletes, votes and accepted answers.

Plain functions of models and users (no request needed). Each one validates before it
changes anything, then commits; a change to what is searchable also queues the topic for
the index in the same transaction (the outbox) and brings the index up to date."""

import logging
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.clock import now
from portal.editor.services import clean_tags
from portal.experts import events
from portal.extensions import db
from portal.forum import watching
from portal.forum.paths import topic_path
from portal.indexing.outbox import commit_and_index, enqueue
from portal.markup import markdown_problem
from portal.models import Category, Post, PostEdit, PostVote, Tag, Topic, User
from portal.models.forum import TOPIC_KINDS
from portal.notify.services import notify
from portal.roles import is_editor, is_staff
from portal.security.bans import BANNED_MESSAGE, is_banned

logger = logging.getLogger(__name__)

TITLE_MAX_CHARS = 200
BODY_MAX_CHARS = 20_000
MAX_TAGS = 5
# Staff accounts are created by admins and answer many questions in a row: never throttled.


class ForumError(ValueError):
    """Something the user asked for that cannot be done; the message is shown to them."""

    status = 400  # the HTTP status the views answer with


class PostingThrottled(ForumError):
    """A new account posted too often in the last hour."""

    status = 429


class PostingForbidden(ForumError):
    """This user may not do this (banned, not the author, not a moderator)."""

    status = 403


def is_moderator(user) -> bool:
    return is_editor(user)


# -- who may post ---------------------------------------------------------------------------


def check_not_banned(user: User) -> None:
    if is_banned(user):
        raise PostingForbidden(BANNED_MESSAGE)


def check_throttle(user: User) -> None:
    """New accounts may post only a few times per hour (topics and replies count alike)."""
    config = current_app.config
    at = now()
    if is_staff(user):
        return
    if user.created_at is not None and at - user.created_at >= timedelta(
        days=config["NEW_ACCOUNT_DAYS"]
    ):
        return
    limit = config["NEW_ACCOUNT_POSTS_PER_HOUR"]
    recent = (
        db.session.scalar(
            select(func.count())
            .select_from(Post)
            .where(Post.author_id == user.id, Post.created_at > at - timedelta(hours=1))
        )
        or 0
    )
    if recent >= limit:
        raise PostingThrottled(
            _l(
                "New accounts can post %(n)d times per hour. Please wait a while and try again; "
                "your text has not been lost.",
                n=limit,
            )
        )


def check_can_post(user: User) -> None:
    check_not_banned(user)
    check_throttle(user)


# -- validation -----------------------------------------------------------------------------


def clean_title(title: str | None) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise ForumError(_l("Please give your topic a title."))
    if len(title) > TITLE_MAX_CHARS:
        raise ForumError(_l("The title may be at most %(n)d characters.", n=TITLE_MAX_CHARS))
    return title


def clean_body(body_md: str | None) -> str:
    body = (body_md or "").strip()
    if not body:
        raise ForumError(_l("Please write something first."))
    if len(body) > BODY_MAX_CHARS:
        raise ForumError(
            _l(
                "The text may be at most %(n)d characters (it has %(len)d).",
                n=BODY_MAX_CHARS,
                len=len(body),
            )
        )
    if problem := markdown_problem(body):
        raise ForumError(problem)
    return body


def _tags(names) -> list[Tag]:
    cleaned = clean_tags(names)
    if len(cleaned) > MAX_TAGS:
        raise ForumError(_l("Use at most %(n)d tags.", n=MAX_TAGS))
    tags = []
    for name in cleaned:
        tag = db.session.scalar(select(Tag).where(func.lower(Tag.name) == name.lower()))
        tags.append(tag or Tag(name=name))
    return tags


def check_topic_open(topic: Topic, user: User) -> None:
    """Replies and edits need a visible topic; a locked one only takes moderators' posts."""
    if not topic.visible:
        raise ForumError(_l("This topic is no longer available."))
    if topic.locked and not is_moderator(user):
        raise PostingForbidden(_l("This topic is locked: no new replies or edits."))


def visible_reply_count(topic: Topic) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Post)
            .where(
                Post.topic_id == topic.id,
                Post.is_question.is_(False),
                Post.hidden.is_(False),
                Post.deleted_at.is_(None),
            )
        )
        or 0
    )


# -- topics and replies ---------------------------------------------------------------------


def create_topic(
    author: User,
    *,
    title: str,
    body_md: str,
    kind: str = "question",
    category_id: int | None = None,
    tags=(),
    wants_expert: bool = False,
) -> Topic:
    """Open a topic with its opening post; the author watches it, the category's watchers
    hear about it, and it is searchable when this returns."""
    check_can_post(author)
    title, body = clean_title(title), clean_body(body_md)
    if kind not in TOPIC_KINDS:
        raise ForumError(_l("A topic is a question or a discussion."))
    if category_id is not None and db.session.get(Category, category_id) is None:
        raise ForumError(_l("That category does not exist."))
    at = now()
    question = kind == "question"
    with db.session.no_autoflush:
        topic = Topic(
            kind=kind,
            title=title,
            category_id=category_id,
            author_id=author.id,
            created_at=at,
            last_activity_at=at,
            reply_count=0,
            view_count=0,
            wants_expert=bool(wants_expert and question),
            routing_state="waiting" if question else "none",
            tags=_tags(tags),
        )
        db.session.add(topic)
        db.session.add(
            Post(topic=topic, author_id=author.id, body_md=body, is_question=True, created_at=at)
        )
        db.session.flush()
    watching.ensure_topic_watch(author.id, topic.id)
    watching.notify_new_topic(topic, author)
    enqueue("forum", topic.id)
    commit_and_index()
    logger.info("topic %d created by user %d", topic.id, author.id)
    return topic


def reply(topic: Topic, author: User, body_md: str) -> Post:
    """Add a reply; the router hears of it, the author starts watching, watchers are told."""
    check_can_post(author)
    check_topic_open(topic, author)
    body = clean_body(body_md)
    at = now()
    post = Post(topic=topic, author_id=author.id, body_md=body, created_at=at)
    db.session.add(post)
    db.session.flush()
    topic.reply_count = visible_reply_count(topic)
    topic.last_activity_at = at
    events.on_reply(topic, post)
    watching.ensure_topic_watch(author.id, topic.id)
    watching.notify_reply(topic, post)
    enqueue("forum", topic.id)
    commit_and_index()
    return post


def quote_text(post: Post) -> str:
    """The post as a Markdown quote, to start a reply with."""
    name = post.author.display_name if post.author else ""
    lines = [f"> {_('%(name)s wrote:', name=name)}"]
    lines += [f"> {line}".rstrip() for line in post.body_md.splitlines()]
    return "\n".join(lines) + "\n\n"


def can_edit(user, post: Post) -> bool:
    return bool(
        user is not None and user.is_authenticated and user.id == post.author_id and post.visible
    )


def edit_post(post: Post, editor: User, *, body_md: str, title: str | None = None) -> bool:
    """Change a post (and, for the opening post, the title), keeping the previous text as a
    PostEdit. Returns False when nothing changed."""
    if editor.id != post.author_id:
        raise PostingForbidden(_l("You can only edit your own posts."))
    check_not_banned(editor)
    if not post.visible:
        raise ForumError(_l("This post was removed and can no longer be edited."))
    topic = post.topic
    check_topic_open(topic, editor)
    body = clean_body(body_md)
    new_title = clean_title(title) if post.is_question and title is not None else topic.title
    if body == post.body_md and new_title == topic.title:
        return False
    db.session.add(
        PostEdit(
            post_id=post.id,
            editor_id=editor.id,
            old_body_md=post.body_md,
            old_title=topic.title if post.is_question else None,
            created_at=now(),
        )
    )
    post.body_md, post.edited_at = body, now()
    topic.title = new_title
    if post.is_question:
        events.reconsider(topic)
    enqueue("forum", topic.id)
    commit_and_index()
    return True


def delete_post(post: Post, actor: User) -> bool:
    """Soft-delete your own post; deleting the opening post deletes the whole topic.
    Returns True when the topic went with it."""
    if actor.id != post.author_id:
        raise PostingForbidden(_l("You can only delete your own posts."))
    topic = post.topic
    if post.deleted_at is not None:
        return topic.deleted_at is not None
    post.deleted_at = now()
    if post.is_question:
        topic.deleted_at = post.deleted_at
    unaccept_if(topic, post)
    db.session.flush()
    topic.reply_count = visible_reply_count(topic)
    enqueue("forum", topic.id)
    commit_and_index()
    return post.is_question


def unaccept_if(topic: Topic, post: Post) -> None:
    """A removed post cannot stay the accepted answer (the topic is unsolved again)."""
    if topic.accepted_post_id == post.id:
        topic.accepted_post = None
        topic.accepted_post_id = None


# -- votes and accepted answers -------------------------------------------------------------


def vote(post: Post, user: User) -> bool:
    """Toggle the user's up-vote on a reply; returns whether the user now votes for it."""
    if post.is_question:
        raise ForumError(_l("Only replies can be voted for."))
    if not post.visible or not post.topic.visible:
        raise ForumError(_l("This post was removed."))
    if post.author_id == user.id:
        raise PostingForbidden(_l("You cannot vote for your own post."))
    existing = db.session.scalar(
        select(PostVote).where(PostVote.post_id == post.id, PostVote.user_id == user.id)
    )
    if existing is not None:
        db.session.delete(existing)
    else:
        db.session.add(PostVote(post_id=post.id, user_id=user.id, created_at=now()))
    try:
        db.session.flush()
    except IntegrityError:  # a double click raced us: the vote is already there
        db.session.rollback()
        return True
    post.score = (
        db.session.scalar(
            select(func.count()).select_from(PostVote).where(PostVote.post_id == post.id)
        )
        or 0
    )
    db.session.commit()
    return existing is None


def can_accept(user, topic: Topic) -> bool:
    """The asker, or an expert, editor or admin, may pick the answer to a question."""
    if user is None or not user.is_authenticated or not topic.is_question:
        return False
    return user.id == topic.author_id or is_staff(user)


def accept_answer(topic: Topic, post: Post, actor: User) -> None:
    """Make ``post`` the accepted answer (replacing any earlier one): the topic is solved."""
    if not topic.is_question:
        raise ForumError(_l("Only questions can have an accepted answer."))
    if not can_accept(actor, topic):
        raise PostingForbidden(_l("Only the asker or an expert can accept an answer."))
    if post.topic_id != topic.id or post.is_question:
        raise ForumError(_l("Only a reply to this question can be accepted."))
    if not post.visible or not topic.visible:
        raise ForumError(_l("This post was removed."))
    if topic.accepted_post_id == post.id:
        return
    topic.accepted_post = post
    topic.accepted_post_id = post.id
    events.on_answer_accepted(topic, post)
    notify(
        [post.author_id],
        "forum_accepted",
        _("Your answer to “%(title)s” was accepted.", title=topic.title),
        topic_path(topic.id, f"post-{post.id}"),
        exclude=actor.id,
    )
    enqueue("forum", topic.id)
    commit_and_index()
