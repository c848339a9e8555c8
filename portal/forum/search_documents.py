"""Forum topics as search documents: one per visible topic (hidden or deleted ones are
absent, so the outbox deletes them from the index)."""

from collections.abc import Iterator

from flask import url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.indexing.documents import DocumentSource, key_for, register
from portal.markup import markdown_to_text
from portal.models import Category, Topic
from search.analyzer import fold
from search.backend import IndexDocument
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


def topic_document(topic: Topic) -> IndexDocument:
    posts = [p for p in topic.posts if p.visible]
    question = [p for p in posts if p.is_question]
    accepted = [p for p in posts if p.id == topic.accepted_post_id]
    others = [p for p in posts if not p.is_question and p.id != topic.accepted_post_id]
    body = "\n".join(markdown_to_text(p.body_md) for p in question + accepted + others)
    category_ids = []
    if topic.category is not None:
        category_ids = [c.id for c in topic.category.ancestors()] + [topic.category.id]
    opening = question[0].body_md if question else ""
    return IndexDocument(
        key=key_for("forum", topic.id),
        doc_type="forum",
        doc_id=topic.id,
        title=topic.title,
        body=body[:BODY_MAX_CHARS],
        tags=[t.name for t in topic.tags],
        category_ids=category_ids,
        language=guess_language(f"{topic.title}\n{markdown_to_text(opening)}"),
        updated=topic.last_activity_at,
        boost=forum_boost(topic.solved),
    )


def _visible_query():
    return (
        select(Topic)
        .where(Topic.hidden.is_(False), Topic.deleted_at.is_(None))
        .options(
            selectinload(Topic.tags),
            selectinload(Topic.posts),
            selectinload(Topic.category).selectinload(Category.parent),
        )
    )


def load_topics(ids: set[int]) -> dict[int, IndexDocument]:
    topics = db.session.scalars(_visible_query().where(Topic.id.in_(ids)))
    return {t.id: topic_document(t) for t in topics}


def iter_topics() -> Iterator[IndexDocument]:
    for topic in db.session.scalars(_visible_query().order_by(Topic.id)):
        yield topic_document(topic)


def count_topics() -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Topic)
        .where(Topic.hidden.is_(False), Topic.deleted_at.is_(None))
    )


def topic_url(doc_id: int, _slug: str) -> str:
    return url_for("forum.topic", topic_id=doc_id)


register(DocumentSource("forum", load_topics, iter_topics, count_topics, topic_url))
