"""Whoosh implementation of SearchBackend: one shared searcher, non-compound segments."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable
from datetime import UTC
from pathlib import Path

from whoosh import index
from whoosh import query as wq
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.util.filelock import try_for
from whoosh.writing import CLEAR

from search.backend import IndexDocument, SearchHit, SearchRequest, SearchResults
from search.paging import MAX_PAGE, MAX_PER_PAGE, clamp_int, first_unique, suggest_input
from search.query import parse_user_query
from search.schema import build_schema
from search.token_documents import REBUILD_BATCH, net_changes
from search.whoosh_highlight import snippet_html, title_html
from search.whoosh_query import PortalQuery, PortalWeighting, build_filter, build_query

__all__ = ["WhooshBackend"]

WRITER_TIMEOUT = 10.0  # seconds to wait for whoosh's WRITELOCK before LockError

def _open_or_create(path: Path) -> index.FileIndex:
    path.mkdir(parents=True, exist_ok=True)
    if index.exists_in(str(path)):
        return index.open_dir(str(path))
    # Two workers starting on an empty directory must not both create (and clobber) it.
    lock = FileStorage(str(path)).lock("PORTAL_CREATE_LOCK")
    if not try_for(lock.acquire, timeout=WRITER_TIMEOUT):
        raise LockError(f"could not lock {path} to create the search index")
    try:
        if index.exists_in(str(path)):
            return index.open_dir(str(path))
        return index.create_in(str(path), build_schema())
    finally:
        lock.release()


def _fields(doc: IndexDocument) -> dict:
    boost = float(doc.boost) if doc.boost is not None else 1.0
    fields: dict = {
        "key": doc.key,
        "doc_type": doc.doc_type or "",
        "doc_id": int(doc.doc_id),
        "slug": doc.slug or "",
        "title": doc.title or "",
        "body": doc.body or "",
        "tags": ", ".join(tag for tag in doc.tags if tag),
        # A negative or NaN multiplier would invert or poison the ranking.
        "boost": boost if math.isfinite(boost) and boost >= 0 else 1.0,
    }
    if doc.category_ids:
        fields["category_ids"] = ",".join(str(int(c)) for c in doc.category_ids)
    if doc.language:
        fields["language"] = doc.language
    if doc.updated is not None:
        updated = doc.updated
        if updated.tzinfo is not None:
            # Whoosh's DATETIME wants naive values; store UTC.
            updated = updated.astimezone(UTC).replace(tzinfo=None)
        fields["updated"] = updated
    return fields


class WhooshBackend:
    """SearchBackend over a Whoosh index directory (created when missing or empty).

    One searcher per instance, refreshed before each use (cheap when nothing changed),
    guarded by a lock. Writers get whoosh's write lock with a timeout and always write
    non-compound segments, which new searchers can map instead of copying into memory.
    """

    def __init__(self, index_dir: str | Path) -> None:
        self.index_dir = Path(index_dir)
        self._ix = _open_or_create(self.index_dir)
        self._weighting = PortalWeighting()
        self._lock = threading.Lock()  # the shared searcher
        self._write_lock = threading.Lock()  # one writer per process at a time
        self._searcher = None

    # -- reading ---------------------------------------------------------------------

    def _fresh_searcher(self):
        # Caller holds self._lock. Keep the searcher while the index generation is
        # unchanged (one TOC lookup); otherwise open a new one. Not Searcher.refresh():
        # in whoosh3 3.54.0 its reader reuse appends the OLD segments to the new list, so
        # updated and deleted documents come back (2 hits after one update_document).
        searcher = self._searcher
        if searcher is not None:
            if searcher.up_to_date():
                return searcher
            searcher.close()
        self._searcher = self._ix.searcher(weighting=self._weighting)
        return self._searcher

    def search(self, request: SearchRequest) -> SearchResults:
        """Search with filters and paging; only the returned page is highlighted."""
        page = clamp_int(request.page, 1, 1, MAX_PAGE)
        per_page = clamp_int(request.per_page, 10, 1, MAX_PER_PAGE)
        parsed = parse_user_query(request.text)
        tokens = parsed.tokens
        whoosh_query = build_query(parsed)
        if whoosh_query is None:
            return SearchResults(total=0, hits=[], page=page, per_page=per_page, tokens=tokens)
        search_filter = build_filter(request)
        offset = (page - 1) * per_page
        with self._lock:
            searcher = self._fresh_searcher()
            results = searcher.search(whoosh_query, limit=page * per_page, filter=search_filter)
            # Exact: PortalWeighting disables whoosh's block skipping, so every match
            # is collected anyway.
            total = len(results)
            hits = [
                self._hit(hit, offset + i + 1)
                for i, hit in enumerate(results[offset : offset + per_page])
            ]
        return SearchResults(total=total, hits=hits, page=page, per_page=per_page, tokens=tokens)

    @staticmethod
    def _hit(hit, rank: int) -> SearchHit:
        fields = hit.fields()
        return SearchHit(
            key=fields.get("key", ""),
            doc_type=fields.get("doc_type", ""),
            doc_id=int(fields.get("doc_id", 0)),
            slug=fields.get("slug", ""),
            title=fields.get("title", ""),
            snippet=snippet_html(hit),
            title_html=title_html(hit),
            score=float(hit.score or 0.0),
            rank=rank,
        )

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Titles containing the earlier tokens and a token starting with the last one."""
        tokens, limit = suggest_input(prefix, limit)
        if not tokens:
            return []
        parts: list[wq.Query] = [wq.Term("title", token) for token in tokens[:-1]]
        parts.append(wq.Prefix("title", tokens[-1]))
        with self._lock:
            hits = self._fresh_searcher().search(PortalQuery(wq.And(parts)), limit=limit * 4)
            return first_unique((hit.get("title") or "" for hit in hits), limit)

    def document_count(self) -> int:
        """Number of live (undeleted) documents in the latest committed generation."""
        with self._lock:
            return self._fresh_searcher().doc_count()

    # -- writing ---------------------------------------------------------------------

    def _writer(self, **kwargs):
        # compound=False: see the class docstring. timeout: a second writer (another
        # process) waits for the lock instead of failing at once.
        return self._ix.writer(timeout=WRITER_TIMEOUT, compound=False, **kwargs)

    def apply(self, upserts: Iterable[IndexDocument], deletes: Iterable[str]) -> None:
        """Upsert and delete by key in one commit; an upsert wins over a delete of its key."""
        latest, delete_keys = net_changes(upserts, deletes)  # whoosh would keep both copies
        if not latest and not delete_keys:
            return
        with self._write_lock:
            writer = self._writer()
            try:
                for key in delete_keys:
                    writer.delete_by_term("key", key)
                for doc in latest.values():
                    writer.update_document(**_fields(doc))
            except BaseException:
                writer.cancel()
                raise
            writer.commit()  # default policy merges small segments

    def rebuild(
        self,
        docs: Iterable[IndexDocument],
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Replace the index with ``docs`` in one commit; ``progress(n)`` per batch added.

        Readers keep seeing the old index until the commit, then the complete new one
        (a single merged segment). A repeated key keeps its first document.
        """
        count = batch = 0
        seen: set[str] = set()
        with self._write_lock:
            writer = self._writer(limitmb=256)
            try:
                for doc in docs:
                    if doc.key in seen:
                        continue
                    seen.add(doc.key)
                    writer.add_document(**_fields(doc))
                    count += 1
                    batch += 1
                    if batch >= REBUILD_BATCH:
                        if progress is not None:
                            progress(batch)
                        batch = 0
            except BaseException:
                writer.cancel()
                raise
            # CLEAR drops every old segment in this same commit, so the swap is atomic.
            writer.commit(mergetype=CLEAR)
        if batch and progress is not None:
            progress(batch)
        return count

    def close(self) -> None:
        """Close the shared searcher (a later call reopens one)."""
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None
        self._ix.close()
