"""Whoosh implementation of SearchBackend: one shared searcher, non-compound segments.

Searching follows the query model of search/ranking.py, computed with numpy over whoosh's
postings (search/whoosh/arrays.py, which says why): the hits are a mask whose count is the
total, the top ranking.CANDIDATES hits by BM25F text score (words, synonyms, phrases, Han
bigrams and characters) are the candidates, search.rerank applies boost, freshness and
coordination to those, and only the page shown is highlighted (search/highlight.py).

Indexes written before the character fields (``chars``, ``bigrams``) existed must be
rebuilt: the backend opens them (the rebuild needs it) with a warning, searching or
writing raises :class:`OutdatedIndexError`, which names the command, and ``rebuild()``
(that command) brings the schema up to date in the same commit that swaps the documents.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from whoosh import index
from whoosh import query as wq
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.scoring import BM25F
from whoosh.util.filelock import try_for
from whoosh.util.times import datetime_to_long
from whoosh.writing import CLEAR

from search import backend
from search.backend import IndexDocument, SearchHit, SearchRequest, SearchResults
from search.highlight import snippet_html, title_html
from search.ngrams import grams_text, informative_chars, query_grams
from search.paging import first_unique, suggest_input
from search.planning import plan_search
from search.ranking import CANDIDATES
from search.rerank import Candidate, rerank
from search.timestamps import naive_utc, utcnow
from search.token_documents import REBUILD_BATCH, document_boost, net_changes, tags_text
from search.whoosh.arrays import DEFAULT_CACHE_BYTES, ReaderArrays, SegmentCache
from search.whoosh.query import BIGRAM_FIELD, CHAR_FIELD, build_queries, hits
from search.whoosh.schema import build_schema

__all__ = ["OutdatedIndexError", "WhooshBackend"]

logger = logging.getLogger(__name__)

WRITER_TIMEOUT = 10.0  # seconds to wait for whoosh's WRITELOCK before LockError
REQUIRED_FIELDS = (CHAR_FIELD, BIGRAM_FIELD)  # fields an index needs beyond older ones


class OutdatedIndexError(backend.OutdatedIndexError):
    """The index on disk predates the current schema and must be rebuilt."""

    def __init__(self, path: Path, missing: Iterable[str]) -> None:
        super().__init__("Whoosh", path, f"has no {', '.join(missing)} field(s)")


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
        fields["updated"] = naive_utc(doc.updated)  # Whoosh's DATETIME wants naive values
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


_NO_DATE = float(2**63)  # raw DATETIME column values from here up mean "no date"
_USECS_PER_DAY = 86_400_000_000


class _View:
    """What searches need from one searcher: its arrays (search/whoosh/arrays.py), and
    the boost and update-time columns as arrays, loaded on first use."""

    def __init__(self, searcher, cache: SegmentCache, weighting: BM25F) -> None:
        self.reader = searcher.reader()
        self.arrays = ReaderArrays(searcher, cache, B=weighting.B, K1=weighting.K1)
        self._boosts: np.ndarray | None = None
        self._updated: np.ndarray | None = None

    def boosts(self, docnums: np.ndarray) -> np.ndarray:
        if self._boosts is None:
            self._boosts = self.arrays.column("boost", 1.0)
        return self._boosts[docnums]

    def ages(self, docnums: np.ndarray) -> np.ndarray:
        """Days since each document's update (inf without a date)."""
        if self._updated is None:
            self._updated = self.arrays.column("updated", _NO_DATE)
        raw = self._updated[docnums]
        now = datetime_to_long(utcnow())
        ages = np.maximum(0.0, (now - raw) / _USECS_PER_DAY)
        return np.where(raw >= _NO_DATE, math.inf, ages)


def _hit(fields: dict, score: float, rank: int, tokens: set[str]) -> SearchHit:
    title = fields.get("title") or ""
    return SearchHit(
        key=fields.get("key", ""),
        doc_type=fields.get("doc_type", ""),
        doc_id=int(fields.get("doc_id", 0)),
        slug=fields.get("slug", ""),
        title=title,
        snippet=snippet_html(fields.get("body") or "", tokens),
        title_html=title_html(title, tokens),
        score=float(score),
        rank=rank,
    )


READ_ATTEMPTS = 3
# What whoosh raises when a searcher reads files a writer's merge has deleted meanwhile.
_STALE_READ_ERRORS = (TypeError, OSError)


def _open_stored_fields(searcher) -> None:
    # whoosh opens a segment's stored-fields file on first use; opening each now keeps it
    # readable (an open file outlives its deletion) when a writer merges that segment away.
    for reader, _offset in searcher.reader().leaf_readers():
        if reader.doc_count_all():
            reader.stored_fields(0)


class WhooshBackend:
    """SearchBackend over a Whoosh index directory (created when missing or empty).

    One searcher per instance, refreshed before each use (cheap when nothing changed),
    guarded by a lock. Writers get whoosh's write lock with a timeout and always write
    non-compound segments, which new searchers can map instead of copying into memory.
    ``cache_bytes`` bounds the decoded postings kept between searches (in each process).
    """

    def __init__(self, index_dir: str | Path, cache_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.index_dir = Path(index_dir)
        self._ix = _open_or_create(self.index_dir)
        self._weighting = BM25F()
        self._lock = threading.Lock()  # the shared searcher
        self._write_lock = threading.Lock()  # one writer per process at a time
        self._searcher = None
        self._view: _View | None = None
        self._segment_cache = SegmentCache(cache_bytes)  # decoded postings, per process
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
        _open_stored_fields(self._searcher)
        return self._searcher

    def _drop_searcher(self) -> None:
        # Caller holds self._lock.
        if self._searcher is not None:
            self._searcher.close()
        self._searcher, self._view = None, None

    def _read(self, read):
        """``read()`` under the lock on a fresh searcher. A writer's merge may delete the
        files of the generation a searcher opened before it read them (whoosh then fails
        inside stored_fields): such a read is repeated once on the new generation, so a
        search always answers from one consistent generation."""
        for attempt in range(READ_ATTEMPTS):
            with self._lock:
                try:
                    return read()
                except _STALE_READ_ERRORS:
                    if attempt == READ_ATTEMPTS - 1:
                        raise
                    logger.info("index files changed under a search; reading again")
                    self._drop_searcher()
        raise AssertionError("unreachable")

    def _current_view(self) -> _View:
        """The fresh searcher's view, checked to have every field a search needs."""
        searcher = self._fresh_searcher()
        if missing := _missing_fields(searcher.schema):
            raise OutdatedIndexError(self.index_dir, missing)
        if self._view is None or self._view.reader is not searcher.reader():
            self._view = _View(searcher, self._segment_cache, self._weighting)
        return self._view

    def search(self, request: SearchRequest) -> SearchResults:
        """Top candidates by text score, re-ranked (search/rerank.py); the page highlighted."""
        planned = plan_search(request)
        if planned.plan is None:
            return planned.results()
        unigrams, bigrams = query_grams(planned.parsed)
        offset, per_page = planned.offset, planned.per_page

        def read():
            reader = self._current_view().reader
            chars = informative_chars(
                unigrams, lambda char: reader.doc_frequency(CHAR_FIELD, char), reader.doc_count()
            )
            return self._page(build_queries(planned, chars, bigrams), offset, per_page)

        total, ranked, stored = self._read(read)
        if not ranked:
            return planned.results(total)
        tokens = planned.highlight_tokens()
        page = [
            _hit(fields, r.score, offset + i, tokens)
            for i, (fields, r) in enumerate(zip(stored, ranked, strict=True), start=1)
        ]
        return planned.results(total, page)

    def _page(self, queries, offset: int, per_page: int) -> tuple[int, list, list[dict]]:
        """(total, the page's ranked candidates, their stored fields); caller holds the lock."""
        view = self._current_view()
        found, words = hits(view.arrays, queries)
        docnums = np.flatnonzero(found)
        total = len(docnums)
        if not total or offset >= total:
            return total, [], []
        scores = view.arrays.scores(queries.scoring)[docnums]
        depth = max(CANDIDATES, offset + per_page)
        if total > depth:  # the top ``depth`` by text score, in no order
            top = np.argpartition(-scores, depth - 1)[:depth]
            docnums, scores = docnums[top], scores[top]
        order = np.lexsort((docnums, -scores))  # best first; ties by docnum
        docnums, scores = docnums[order], scores[order]
        matched = sum((word[docnums] for word in words), np.zeros(len(docnums), int))
        candidates = [
            Candidate(ref=docnum, text_score=score, boost=boost, age_days=age, matched=count)
            for docnum, score, boost, age, count in zip(
                docnums.tolist(),
                scores.tolist(),
                view.boosts(docnums).tolist(),
                view.ages(docnums).tolist(),
                matched.tolist(),
                strict=True,
            )
        ]
        # A hit through bigrams alone has none of the words: coordination keeps its
        # floor share of the score, even for a one-word query.
        ranked = rerank(candidates, len(words))[offset : offset + per_page]
        return total, ranked, [view.reader.stored_fields(r.ref) for r in ranked]

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Titles containing the earlier tokens and a token starting with the last one."""
        tokens, limit = suggest_input(prefix, limit)
        if not tokens:
            return []
        parts: list[wq.Query] = [wq.Term("title", token) for token in tokens[:-1]]
        parts.append(wq.Prefix("title", tokens[-1]))

        def read():
            found = self._fresh_searcher().search(wq.And(parts), limit=limit * 4)
            return first_unique((hit.get("title") or "" for hit in found), limit)

        return self._read(read)

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
