"""Backend-neutral search types and the SearchBackend protocol every engine implements."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "REINDEX_COMMAND",
    "DocumentBatches",
    "DocumentRows",
    "IndexDocument",
    "OutdatedIndexError",
    "SearchBackend",
    "SearchHit",
    "SearchRequest",
    "SearchResults",
]


REINDEX_COMMAND = "flask --app wsgi search reindex"


class OutdatedIndexError(RuntimeError):
    """An index on disk was built by an older version of the portal and must be rebuilt
    (``rebuild()``, which the reindex command runs, replaces it)."""

    def __init__(self, engine: str, where: object, why: str) -> None:
        super().__init__(
            f"The {engine} search index in {where} {why}: it was built by an "
            f"older version. Rebuild it with `{REINDEX_COMMAND}`."
        )


@dataclass
class IndexDocument:
    """One searchable document as handed to a backend by the application."""

    key: str  # unique, e.g. "article:12" (doc_type:doc_id)
    doc_type: str  # "article" now; "forum" later
    doc_id: int
    title: str
    body: str  # plain text, markdown already stripped by the caller
    slug: str = ""
    tags: list[str] = field(default_factory=list)
    category_ids: list[int] = field(default_factory=list)  # category + all ancestors
    language: str = ""  # "zh-CN" | "zh-TW" | "en"
    updated: datetime | None = None
    boost: float = 1.0  # per-document ranking multiplier computed by the caller


@dataclass(frozen=True)
class DocumentRows:
    """A batch of documents still to be made: ``build(rows)`` returns them. ``build`` is a
    module-level function and ``rows`` plain data, so a rebuild can make them in the worker
    processes that analyse them (search/token_documents.py analysed_batches)."""

    build: Callable[[Any], list[IndexDocument]]
    rows: Any

    def documents(self) -> list[IndexDocument]:
        return self.build(self.rows)


class DocumentBatches:
    """What a rebuild reads: documents as batches of :class:`DocumentRows` (read once).
    Iterating yields the documents, made here; analysed_batches() makes them in workers."""

    def __init__(self, batches: Iterable[DocumentRows]) -> None:
        self.batches = iter(batches)

    def __iter__(self) -> Iterator[IndexDocument]:
        for batch in self.batches:
            yield from batch.documents()


@dataclass
class SearchRequest:
    """What the user asked for, plus optional filters and paging."""

    text: str
    doc_type: str | None = None
    category_id: int | None = None  # matches docs whose category_ids contain it
    language: str | None = None
    page: int = 1
    per_page: int = 10
    # False: titles and snippets without <mark> (cheaper), for callers that show no hits.
    highlight: bool = True


@dataclass
class SearchHit:
    """One result; snippet and title_html are safe HTML (escaped text plus <mark> only)."""

    key: str
    doc_type: str
    doc_id: int
    slug: str
    title: str
    snippet: str
    title_html: str
    score: float
    rank: int  # 1-based over the whole result list (page 2 starts at per_page + 1)


@dataclass
class SearchResults:
    """A page of hits with the total hit count and the analysed query tokens."""

    total: int
    hits: list[SearchHit]
    page: int
    per_page: int
    tokens: list[str]
    # The engine stopped counting at ``total``: there are at least that many hits.
    total_is_lower_bound: bool = False

    @property
    def pages(self) -> int:
        """Number of pages (at least 1, so templates can always render a pager)."""
        if self.per_page <= 0:
            return 1
        return max(1, math.ceil(self.total / self.per_page))


@runtime_checkable
class SearchBackend(Protocol):
    """Interface shared by the Whoosh backend and the planned PostgreSQL backend."""

    def apply(self, upserts: Iterable[IndexDocument], deletes: Iterable[str]) -> None:
        """Insert/replace ``upserts`` and delete ``deletes`` (keys) in one write transaction."""
        ...

    def search(self, request: SearchRequest) -> SearchResults:
        """Run a user query; never raises for odd user text."""
        ...

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Return up to ``limit`` unique titles for autocomplete."""
        ...

    def document_count(self) -> int:
        """Return the number of live documents."""
        ...

    def rebuild(
        self,
        docs: Iterable[IndexDocument],
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Replace the whole index with ``docs``; report progress per batch; return the count."""
        ...

    def close(self) -> None:
        """Release files and searchers."""
        ...
