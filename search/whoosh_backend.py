"""Whoosh implementation of SearchBackend: one shared searcher, non-compound segments.

Searching follows the query model of search/ranking.py: the hits are sets of docnums read
from the postings (their size is the total), whoosh's pruned top-k of a flat BM25F query
among them are the candidates, and search.rerank applies boost, freshness and
coordination to those before the page is cut and highlighted.

Indexes written before the character fields (``chars``, ``bigrams``) existed must be
rebuilt: searching or writing to one raises :class:`OutdatedIndexError`, which names the
command; ``rebuild()`` (that command) brings the schema up to date in its own commit.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterable
from datetime import UTC
from pathlib import Path

from whoosh import index
from whoosh import query as wq
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.scoring import BM25F
from whoosh.searching import Results
from whoosh.util.filelock import try_for
from whoosh.util.times import long_to_datetime
from whoosh.writing import CLEAR

from search.backend import IndexDocument, SearchHit, SearchRequest, SearchResults
from search.ngrams import grams_text, query_grams
from search.paging import first_unique, suggest_input
from search.query import parse_user_query
from search.ranking import CANDIDATES
from search.rerank import Candidate, days_old, rerank
from search.schema import build_schema
from search.sql_common import plan_search
from search.token_documents import REBUILD_BATCH, document_boost, net_changes, tags_text
from search.whoosh_highlight import snippet_html, title_html
from search.whoosh_query import BIGRAM_FIELD, CHAR_FIELD, build_queries, hit_docnums

__all__ = ["OutdatedIndexError", "WhooshBackend"]

logger = logging.getLogger(__name__)

WRITER_TIMEOUT = 10.0  # seconds to wait for whoosh's WRITELOCK before LockError
REQUIRED_FIELDS = (CHAR_FIELD, BIGRAM_FIELD)  # fields an index needs beyond older ones
REINDEX_COMMAND = "flask --app wsgi search reindex"


class OutdatedIndexError(RuntimeError):
    """The index on disk predates the current schema and must be rebuilt."""

    def __init__(self, path: Path, missing: Iterable[str]) -> None:
        super().__init__(
            f"The Whoosh search index in {path} has no {', '.join(missing)} field(s): it "
            f"was built by an older version. Rebuild it with `{REINDEX_COMMAND}`.")


def _missing_fields(schema) -> list[str]:
    return [name for name in REQUIRED_FIELDS if name not in schema]


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
    tags = tags_text(doc.tags)
    # A newline between fields keeps bigrams from spanning two of them.
    chars, bigrams = grams_text(f"{doc.title or ''}\n{tags}\n{doc.body or ''}")
    fields: dict = {
        "key": doc.key,
        "doc_type": doc.doc_type or "",
        "doc_id": int(doc.doc_id),
        "slug": doc.slug or "",
        "title": doc.title or "",
        "body": doc.body or "",
        "tags": tags,
        CHAR_FIELD: chars,
        BIGRAM_FIELD: bigrams,
        "boost": document_boost(doc),
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


def _adopt_current_schema(writer) -> None:
    """Give a writer that will replace every document the current schema: fields that
    were added or changed since the index was built (an older index is upgraded)."""
    target = build_schema()
    for name in writer.schema.names():
        if name not in target:
            writer.remove_field(name)
    for name, field in target.items():
        if name in writer.schema and writer.schema[name] == field:
            continue
        if name in writer.schema:
            writer.remove_field(name)
        writer.add_field(name, field)


class _Columns:
    """The boost and update-time columns of one reader, read per candidate."""

    def __init__(self, reader) -> None:
        self.reader = reader
        self._boost = reader.column_reader("boost") if reader.has_column("boost") else None
        self._updated = (reader.column_reader("updated", translate=False)
                         if reader.has_column("updated") else None)

    def boost(self, docnum: int) -> float:
        return float(self._boost[docnum]) if self._boost is not None else 1.0

    def age_days(self, docnum: int) -> float:
        if self._updated is None:
            return math.inf
        try:  # a document without a date reads as a huge long, beyond datetime
            return days_old(long_to_datetime(self._updated[docnum]))
        except (OverflowError, ValueError):
            return math.inf


class WhooshBackend:
    """SearchBackend over a Whoosh index directory (created when missing or empty).

    One searcher per instance, refreshed before each use (cheap when nothing changed),
    guarded by a lock. Writers get whoosh's write lock with a timeout and always write
    non-compound segments, which new searchers can map instead of copying into memory.
    """

    def __init__(self, index_dir: str | Path) -> None:
        self.index_dir = Path(index_dir)
        self._ix = _open_or_create(self.index_dir)
        self._weighting = BM25F()
        self._lock = threading.Lock()  # the shared searcher
        self._write_lock = threading.Lock()  # one writer per process at a time
        self._searcher = None
        self._columns: _Columns | None = None
        if missing := _missing_fields(self._ix.schema):
            logger.warning("%s", OutdatedIndexError(self.index_dir, missing))

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

    def _current_searcher(self):
        """The fresh searcher, checked to have every field a search needs."""
        searcher = self._fresh_searcher()
        if missing := _missing_fields(searcher.schema):
            raise OutdatedIndexError(self.index_dir, missing)
        if self._columns is None or self._columns.reader is not searcher.reader():
            self._columns = _Columns(searcher.reader())
        return searcher

    def search(self, request: SearchRequest) -> SearchResults:
        """Top candidates by text score, re-ranked (search/rerank.py); the page highlighted."""
        planned = plan_search(request)
        if planned.plan is None:
            return planned.results()
        unigrams, bigrams = query_grams(parse_user_query(request.text))
        queries = build_queries(planned, unigrams, bigrams)
        offset, per_page = planned.offset, planned.per_page
        with self._lock:
            searcher = self._current_searcher()
            hits, word_sets = hit_docnums(searcher, queries)
            total = len(hits)
            if not total or offset >= total:
                return planned.results(total)
            depth = max(CANDIDATES, offset + per_page)
            found = searcher.search(queries.ranking, limit=depth, filter=hits)
            columns = self._columns
            assert columns is not None
            candidates = [
                Candidate(ref=docnum, text_score=score, boost=columns.boost(docnum),
                          age_days=columns.age_days(docnum),
                          matched=sum(docnum in words for words in word_sets))
                for score, docnum in found.top_n
            ]
            ranked = rerank(candidates, len(queries.words))[offset : offset + per_page]
            page = Results(searcher, queries.highlight, [(r.score, r.ref) for r in ranked])
            found_hits = [self._hit(hit, offset + i) for i, hit in enumerate(page, start=1)]
        return planned.results(total, found_hits)

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
            hits = self._fresh_searcher().search(wq.And(parts), limit=limit * 4)
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
        rows = [_fields(doc) for doc in latest.values()]
        with self._write_lock:
            writer = self._writer()
            try:
                if missing := _missing_fields(writer.schema):
                    raise OutdatedIndexError(self.index_dir, missing)
                for key in delete_keys:
                    writer.delete_by_term("key", key)
                for row in rows:
                    writer.update_document(**row)
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
        (a single merged segment) with the current schema. A repeated key keeps its
        first document.
        """
        count = batch = 0
        seen: set[str] = set()
        with self._write_lock:
            writer = self._writer(limitmb=256)
            try:
                _adopt_current_schema(writer)
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
