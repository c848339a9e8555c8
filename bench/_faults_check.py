"""The verdict of bench/faults.py: every acknowledged write is in the database and in the
search index exactly once, unknown ones at most once, rejected ones not at all.

Runs in-process on the stopped server's data directory (the index is drained first)."""

from dataclasses import dataclass, field
from pathlib import Path

from bench._common import bench_app
from bench._faults_client import ACKED, REJECTED, UNKNOWN, Write

INDEXED_KINDS = ("topic", "reply", "edit")  # a vote changes a ranking signal, no text


@dataclass
class Verdict:
    found_db: int = 0  # acknowledged writes found exactly once in the database
    found_index: int = 0  # acknowledged indexed writes with exactly one, right hit
    index_expected: int = 0
    unknown_saved: int = 0  # unknown writes that did land (each at most once)
    duplicates: int = 0  # writes stored (or indexed) more than once
    problems: list[str] = field(default_factory=list)


def _stored(write: Write) -> tuple[int, str | None]:
    """(how many times the write's marker is stored, the index key of its document)."""
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import Article, ArticleFeedback, Post, User

    if write.kind in ("topic", "reply"):
        topic_ids = db.session.scalars(
            select(Post.topic_id).where(Post.body_md.contains(write.marker))
        ).all()
        return len(topic_ids), f"forum:{topic_ids[0]}" if topic_ids else None
    if write.kind == "edit":
        body = db.session.scalar(select(Article.body_md).where(Article.id == write.target))
        return (body or "").count(write.marker), f"article:{write.target}"
    rows = db.session.scalar(
        select(func.count())
        .select_from(ArticleFeedback)
        .join(User, User.id == ArticleFeedback.user_id)
        .where(
            ArticleFeedback.comment.contains(write.marker),
            ArticleFeedback.article_id == write.target,
            User.email == write.user,
        )
    )
    return rows or 0, None


def _index_hits(marker: str) -> list[str]:
    from portal.indexing.backend import get_backend
    from search.backend import SearchRequest

    results = get_backend().search(SearchRequest(text=marker, per_page=10))
    return [hit.key for hit in results.hits] + [""] * (results.total - len(results.hits))


def _vote_duplicates() -> int:
    """(user, article) pairs with more than one feedback row (the unique constraint should
    make this impossible; checked anyway, it is the point of the exercise)."""
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import ArticleFeedback

    pairs = (
        select(ArticleFeedback.user_id)
        .where(ArticleFeedback.user_id.is_not(None))
        .group_by(ArticleFeedback.user_id, ArticleFeedback.article_id)
        .having(func.count() > 1)
    )
    return len(db.session.scalars(pairs).all())


def check(data_dir: Path, backend: str, writes: list[Write]) -> Verdict:
    """Compare the write log with what the database and the index hold."""
    from portal.extensions import db
    from portal.indexing.backend import close_backend

    verdict = Verdict()
    app = bench_app(data_dir, SEARCH_BACKEND=backend)
    with app.app_context():
        for write in writes:
            count, key = _stored(write)
            hits = _index_hits(write.marker) if write.kind in INDEXED_KINDS else []
            where = f"{write.kind} {write.marker} ({write.outcome} {write.detail})"
            if count > 1 or len(hits) > 1:
                verdict.duplicates += 1
                verdict.problems.append(f"{where}: stored {count}×, {len(hits)} index hits")
            if write.outcome == ACKED:
                verdict.found_db += count == 1
                if count != 1:
                    verdict.problems.append(f"{where}: acknowledged but stored {count}×")
                if write.kind in INDEXED_KINDS:
                    verdict.index_expected += 1
                    verdict.found_index += hits == [key]
                    if hits != [key]:
                        verdict.problems.append(f"{where}: index hits {hits}, want [{key}]")
            elif write.outcome == UNKNOWN:
                verdict.unknown_saved += count == 1
            if (
                write.outcome in (UNKNOWN, REJECTED)
                and write.kind in INDEXED_KINDS
                and hits != ([key] if count == 1 else [])
            ):
                verdict.problems.append(f"{where}: stored {count}×, index hits {hits}")
            if write.outcome == REJECTED and count:
                verdict.problems.append(f"{where}: rejected but stored {count}×")
        verdict.duplicates += _vote_duplicates()
        close_backend(app)
        db.engine.dispose()
    return verdict
