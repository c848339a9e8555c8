"""Forum topics as search documents: one per visible topic (hidden or deleted ones are
absent, so the outbox deletes them from the index)."""

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.indexing.documents import DocumentSource, key_for, register
from portal.indexing.rows import batches_by_id, category_chains, tag_names
from portal.markup import markdown_to_text
from portal.models import Category, Post, Topic
from portal.models.forum import topic_tags
from portal.url_templates import url_with
from search.analyzer import fold
from search.backend import DocumentRows, IndexDocument
from search.han import is_han
from search.ranking import forum_boost

# A long thread must not make one huge document: the question and the accepted answer come
# first, so what is cut is the tail of the discussion.
BODY_MAX_CHARS = 100_000
# The fold maps 帐 to 账 although both are simplified script: not a sign of traditional text.
_SIMPLIFIED_FOLDED = {"帐"}


def guess_language(text: str) -> str:
    """en when mostly ASCII letters; zh-TW when the fold turns a noticeable share of the
    Chinese characters into simplified ones; otherwise zh-CN."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return "zh-CN"
    if sum(ch.isascii() for ch in letters) >= 0.8 * len(letters):
        return "en"
    folded = fold(text)  # length-preserving, so positions line up
    cjk = changed = 0
    for original, simple in zip(text, folded, strict=True):
        if is_han(original):
            cjk += 1
            if simple != original and original not in _SIMPLIFIED_FOLDED:
                changed += 1
    return "zh-TW" if changed and changed * 20 >= cjk else "zh-CN"


class PostRow(NamedTuple):
    id: int
    body_md: str
    is_question: bool


class TopicRow(NamedTuple):
    """What a topic's document is made of, as plain data (a rebuild sends it to a worker)."""

    id: int
    title: str
    last_activity_at: datetime
    accepted_post_id: int | None
    tags: list[str]
    category_ids: list[int]  # the category's ancestors, root first, then the category
    posts: list[PostRow]  # the visible posts, in id order


def topic_document(topic: TopicRow) -> IndexDocument:
    question = [p for p in topic.posts if p.is_question]
    accepted = [p for p in topic.posts if p.id == topic.accepted_post_id]
    others = [p for p in topic.posts if not p.is_question and p.id != topic.accepted_post_id]
    texts = [markdown_to_text(p.body_md) for p in question + accepted + others]
    body = "\n".join(texts)
    opening = texts[0] if question else ""  # the question's text (question comes first)
    return IndexDocument(
        key=key_for("forum", topic.id),
        doc_type="forum",
        doc_id=topic.id,
        title=topic.title,
        body=body[:BODY_MAX_CHARS],
        tags=topic.tags,
        category_ids=topic.category_ids,
        language=guess_language(f"{topic.title}\n{opening}"),
        updated=topic.last_activity_at,
        boost=forum_boost(topic.accepted_post_id is not None),
    )


def topic_documents(rows: list[TopicRow]) -> list[IndexDocument]:
    return [topic_document(row) for row in rows]


def _row(topic: Topic) -> TopicRow:
    category_ids = topic.category.chain_ids() if topic.category is not None else []
    return TopicRow(
        topic.id,
        topic.title,
        topic.last_activity_at,
        topic.accepted_post_id,
        [t.name for t in topic.tags],
        category_ids,
        [PostRow(p.id, p.body_md, p.is_question) for p in topic.posts if p.visible],
    )


def _visible(query):
    return query.where(Topic.hidden.is_(False), Topic.deleted_at.is_(None))


def load_topics(ids: set[int]) -> dict[int, IndexDocument]:
    topics = db.session.scalars(
        _visible(select(Topic))
        .where(Topic.id.in_(ids))
        .options(
            selectinload(Topic.tags),
            selectinload(Topic.posts),
            selectinload(Topic.category).selectinload(Category.parent),
        )
    )
    return {t.id: topic_document(_row(t)) for t in topics}


def _visible_posts(topic_ids: list[int]) -> dict[int, list[PostRow]]:
    rows = db.session.execute(
        select(Post.topic_id, Post.id, Post.body_md, Post.is_question)
        .where(Post.topic_id.in_(topic_ids), Post.hidden.is_(False), Post.deleted_at.is_(None))
        .order_by(Post.topic_id, Post.id)
    )
    posts: dict[int, list[PostRow]] = defaultdict(list)
    for topic_id, *post in rows:
        posts[topic_id].append(PostRow(*post))
    return posts


def topic_batches(size: int) -> Iterator[DocumentRows]:
    """Every visible topic as TopicRows, ``size`` a batch, in id order."""
    chains = category_chains()
    columns = (Topic.id, Topic.title, Topic.last_activity_at, Topic.accepted_post_id)
    visible = _visible(select(*columns, Topic.category_id))
    for rows in batches_by_id(visible, Topic.id, size):
        ids = [row.id for row in rows]
        tags, posts = tag_names(topic_tags, "topic_id", ids), _visible_posts(ids)
        batch = [
            TopicRow(
                *row[:-1],
                tags.get(row.id, []),
                list(chains.get(row.category_id, ())),
                posts.get(row.id, []),
            )
            for row in rows
        ]
        yield DocumentRows(topic_documents, batch)


def count_topics() -> int:
    return db.session.scalar(_visible(select(func.count()).select_from(Topic)))


def topic_url(doc_id: int, _slug: str) -> str:
    return url_with("forum.topic", "topic_id", doc_id)


register(DocumentSource("forum", load_topics, topic_batches, count_topics, topic_url))
