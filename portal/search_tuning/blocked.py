"""Suggestions editors keep out of autocomplete: a popular query that is spam or abuse."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.audit.services import current_actor, record
from portal.extensions import db
from portal.models import BlockedSuggestion
from portal.search_tuning.services import TuningError
from portal.searching.autocomplete import forget_index, popular_queries
from search.analyzer import normalize_query
from search.query import MAX_QUERY_CHARS  # longer text is never searched, so never suggested


def block_suggestion(text: str, user_id: int | None) -> BlockedSuggestion:
    """Never suggest ``text`` (as search logs store it: normalised) again."""
    query = normalize_query(text or "")[:MAX_QUERY_CHARS]
    if not query:
        raise TuningError(_l("Type the suggestion to block."))
    existing = db.session.scalar(select(BlockedSuggestion).where(BlockedSuggestion.query == query))
    if existing is not None:
        return existing
    entry = BlockedSuggestion(query=query, created_by_id=user_id)
    db.session.add(entry)
    db.session.flush()
    record(user_id, "suggestion.block", "suggestion", entry.id, query, None, {"query": query})
    db.session.commit()
    forget_index()  # other processes rebuild within AUTOCOMPLETE_REFRESH_SECONDS
    return entry


def unblock_suggestion(entry: BlockedSuggestion) -> None:
    record(
        current_actor(),
        "suggestion.unblock",
        "suggestion",
        entry.id,
        entry.query,
        {"query": entry.query},
    )
    db.session.delete(entry)
    db.session.commit()
    forget_index()


def list_blocked() -> list[BlockedSuggestion]:
    return db.session.scalars(select(BlockedSuggestion).order_by(BlockedSuggestion.query)).all()


def suggested_queries(limit: int = 30) -> list[str]:
    """The most popular queries currently offered to everybody, for editors to review."""
    return [query for query, _weight in popular_queries()[:limit]]
