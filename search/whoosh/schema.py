"""Whoosh schema for the portal search index."""

from __future__ import annotations

from whoosh import columns
from whoosh.fields import COLUMN, DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from search.ranking import TAGS_WEIGHT, TITLE_WEIGHT
from search.whoosh.analysis import GramField, portal_analyzer

__all__ = ["build_schema"]


def build_schema() -> Schema:
    """Return the schema; full-text fields all use the portal analyzer (one analyzer)."""
    analyzer = portal_analyzer()
    return Schema(
        key=ID(unique=True, stored=True),
        doc_type=ID(stored=True),
        doc_id=NUMERIC(numtype=int, bits=64, stored=True),
        slug=STORED(),
        title=TEXT(analyzer=analyzer, stored=True, field_boost=TITLE_WEIGHT),
        # Tags are indexed as comma-joined text through the same analyzer, so a tag such
        # as 退货政策 also matches 退货.
        tags=TEXT(analyzer=analyzer, stored=True, field_boost=TAGS_WEIGHT),
        body=TEXT(analyzer=analyzer, stored=True),
        # Han characters and bigrams of title, tags and body (search/ngrams.py), already
        # space-joined: frequencies and lengths kept for BM25, no positions.
        chars=GramField(),
        bigrams=GramField(),
        category_ids=KEYWORD(commas=True),
        language=ID(),
        updated=DATETIME(stored=True, sortable=True),
        # Read per candidate by the re-rank (search/rerank.py); a column, not a field.
        boost=COLUMN(columns.NumericColumn("f", default=1.0)),
    )
