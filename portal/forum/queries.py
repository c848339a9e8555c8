"""Read side of the forum: topic lists (sorted, filtered, paged) and one topic's thread."""

import math
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.clock import now
from portal.extensions import db
from portal.forum.services import is_moderator
from portal.forum.watching import topic_watch
from portal.kb.queries import descendant_ids
from portal.models import Category, Post, PostVote, Tag, Topic, TopicViewMark
from portal.visitor import VIEW_DEDUP_WINDOW

SORTS = ("latest", "unanswered", "unsolved", "top")
PER_PAGE = 20


@dataclass
class TopicPage:
    topics: list[Topic]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def _votes_per_topic():
    return (
        select(Post.topic_id, func.sum(Post.score).label("votes"))
        .where(Post.hidden.is_(False), Post.deleted_at.is_(None))
        .group_by(Post.topic_id)
        .subquery()
    )


def list_topics(
    *,
    sort: str = "latest",
    category: Category | None = None,
    tag: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
    include_hidden: bool = False,
) -> TopicPage:
    """Topics for a list page. ``category`` includes its sub-categories; ``include_hidden``
    is for moderators (deleted topics never show)."""
    if sort not in SORTS:
        raise ValueError(sort)
    query = select(Topic).where(Topic.deleted_at.is_(None))
    if not include_hidden:
        query = query.where(Topic.hidden.is_(False))
    if category is not None:
        query = query.where(Topic.category_id.in_(descendant_ids(category)))
    if tag:
        query = query.where(Topic.tags.any(func.lower(Tag.name) == tag.lower()))
    if sort == "unanswered":
        query = query.where(Topic.reply_count == 0)
    elif sort == "unsolved":
        query = query.where(Topic.kind == "question", Topic.accepted_post_id.is_(None))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if sort == "top":
        votes = _votes_per_topic()
        query = query.outerjoin(votes, votes.c.topic_id == Topic.id).order_by(
            func.coalesce(votes.c.votes, 0).desc(),
            Topic.reply_count.desc(),
            Topic.last_activity_at.desc(),
            Topic.id.desc(),
        )
    else:
        query = query.order_by(Topic.last_activity_at.desc(), Topic.id.desc())
    query = query.options(
        selectinload(Topic.tags), selectinload(Topic.category), selectinload(Topic.author)
    )
    topics = db.session.scalars(query.offset((page - 1) * per_page).limit(per_page)).all()
    return TopicPage(list(topics), total, page, per_page)


def category_by_slug(slug: str) -> Category | None:
    return db.session.scalar(select(Category).where(Category.slug == slug))


def root_categories() -> list[Category]:
    return list(
        db.session.scalars(
            select(Category)
            .where(Category.parent_id.is_(None))
            .order_by(Category.position, Category.id)
        )
    )


@dataclass
class Thread:
    """What the topic page shows to one viewer."""

    topic: Topic
    question: Post
    accepted: Post | None
    replies: list[Post]  # in order, without the accepted answer; hidden ones for moderators
    my_votes: set[int] = field(default_factory=set)
    watching: bool = False


def load_thread(topic: Topic, viewer) -> Thread:
    posts = db.session.scalars(
        select(Post)
        .where(Post.topic_id == topic.id)
        .order_by(Post.id)
        .options(selectinload(Post.author), selectinload(Post.edits))
    ).all()
    moderator = is_moderator(viewer)
    question = next(p for p in posts if p.is_question)
    accepted = next((p for p in posts if p.id == topic.accepted_post_id and p.visible), None)
    replies = [
        p for p in posts if not p.is_question and p is not accepted and (moderator or not p.hidden)
    ]
    thread = Thread(topic, question, accepted, replies)
    if viewer.is_authenticated:
        ids = [p.id for p in posts]
        thread.my_votes = set(
            db.session.scalars(
                select(PostVote.post_id).where(
                    PostVote.user_id == viewer.id, PostVote.post_id.in_(ids)
                )
            )
        )
        thread.watching = topic_watch(viewer.id, topic.id) is not None
    return thread


def count_view(topic: Topic, visitor_key: str, viewer_id: int | None = None) -> None:
    """One more view unless this visitor's was counted within VIEW_DEDUP_WINDOW (reloads
    do not count) or the viewer wrote the topic; added in SQL so simultaneous views are not
    lost."""
    if viewer_id is not None and viewer_id == topic.author_id:
        return
    at = now()
    mark = db.session.get(TopicViewMark, (topic.id, visitor_key))
    if mark is not None and mark.counted_at > at - VIEW_DEDUP_WINDOW:
        return
    if mark is None:
        db.session.add(TopicViewMark(topic_id=topic.id, visitor_key=visitor_key, counted_at=at))
    else:
        mark.counted_at = at
    db.session.execute(
        update(Topic).where(Topic.id == topic.id).values(view_count=Topic.view_count + 1)
    )
    try:
        db.session.commit()
    except IntegrityError:  # the same visitor's other request counted it a moment ago
        db.session.rollback()
