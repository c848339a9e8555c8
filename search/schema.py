"""Whoosh schema for the portal search index."""

from __future__ import annotations

from whoosh import columns
from whoosh.fields import COLUMN, DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from search.whoosh_analysis import portal_analyzer

__all__ = ["build_schema"]


def build_schema() -> Schema:
    """Return the schema; full-text fields all use the portal analyzer (one analyzer)."""
    analyzer = portal_analyzer()
    return Schema(
        key=ID(unique=True, stored=True),
        doc_type=ID(stored=True),
        doc_id=NUMERIC(numtype=int, bits=64, stored=True),
        slug=STORED(),
        title=TEXT(analyzer=analyzer, stored=True, field_boost=3.0),
        # Tags are indexed as comma-joined text through the same analyzer, so a tag such
        # as 退货政策 also matches 退货.
        tags=TEXT(analyzer=analyzer, stored=True, field_boost=2.0),
        body=TEXT(analyzer=analyzer, stored=True),
        category_ids=KEYWORD(commas=True),
        language=ID(),
        updated=DATETIME(stored=True, sortable=True),
        # Read per hit by PortalWeighting.final(); a column, not an indexed field.
        boost=COLUMN(columns.NumericColumn("f", default=1.0)),
    )
