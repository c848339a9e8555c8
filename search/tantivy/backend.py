"""TantivyBackend: the SearchBackend on an embedded tantivy index directory.

Reading: one reader per instance, reloaded when another process (or this one) committed,
so each search runs on one consistent generation. Writing: one writer at a time across
processes (a file lock, then tantivy's own lock), opened per batch and closed after its
commit, so every server process can write in turn.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import tantivy

from search.backend import (
    IndexDocument,
    OutdatedIndexError,
    SearchHit,
    SearchRequest,
    SearchResults,
)
from search.file_lock import file_lock
from search.highlight import snippet_html, title_html
from search.ngrams import informative_chars, query_grams
from search.paging import TOTAL_CAP, first_unique, suggest_input
from search.planning import plan_search
from search.ranking import CANDIDATES
from search.rerank import Candidate, Ranked, rerank_bounded
from search.tantivy.documents import analyse, analyse_batch, to_document, value_code
from search.tantivy.querying import (
    SearchQueries,
    build_queries,
    candidate_check,
    suggest_query,
)
from search.tantivy.schema import CHAR_FIELD, FAST_FILTERS, build_schema, register_tokenizer
from search.token_documents import REBUILD_BATCH, analysed_batches, days_now, net_changes

__all__ = ["TantivyBackend"]

logger = logging.getLogger(__name__)

WRITER_TIMEOUT = 10.0  # seconds to wait for another process's writer
APPLY_HEAP = 32_000_000  # bytes of tantivy writer memory for an apply() batch
# A rebuild's writer memory: one segment up to ~200,000 documents (tantivy flushes a
# segment when its arena is full, and grows the arena only as far as it needs). One
# segment searches ~5 % faster than the two that 200 MB gave at 100k documents (CPU p50
# 3.08 -> 2.92 ms, p95 5.12 -> 4.92 ms; bench.engines --rounds 3, same corpus).
REBUILD_HEAP = 500_000_000
_SUGGEST_TERMS = 50  # prefix expansions of the last suggest() token
# Below this many hits, ranking every hit exactly is cheaper than pruning and checking.
EXACT_BELOW = 2000
# A filtered search takes this much more of the flat ranking's top than the filters'
# share of the documents would leave the candidates from.
FILTER_MARGIN = 1.25


class TantivyBackend:
    """SearchBackend over a tantivy index directory (created when missing)."""

    def __init__(self, index_dir: str | Path) -> None:
        self.index_dir = Path(index_dir)
        self.index_dir.mkdir(parents=True, exist_ok=True)
        self._index: tantivy.Index | None = None
        self._open()
        self._seen_meta: tuple | None = None
        self._reload_lock = threading.Lock()
        self._write_lock = threading.Lock()  # one writer per process at a time

    def _open(self) -> None:
        # An index whose fields differ (an older version's) is left alone until rebuild():
        # it counts no documents, so `search reindex --if-missing` replaces it.
        with self._file_lock("create"):  # two processes must not both create it
            try:
                index = tantivy.Index(build_schema(), path=str(self.index_dir), reuse=True)
            except ValueError as error:
                if "schema does not match" not in str(error):
                    raise
                logger.warning("%s", self._outdated())
                return
        register_tokenizer(index)
        self._index = index
        self._schema = index.schema

    def _outdated(self) -> OutdatedIndexError:
        return OutdatedIndexError("tantivy", self.index_dir, "has other fields than this version's")

    def _current(self) -> tantivy.Index:
        if self._index is None:
            raise self._outdated()
        return self._index

    # -- reading ---------------------------------------------------------------------

    def _searcher(self) -> tantivy.Searcher:
        # tantivy's own reload follows commits with a delay; reloading when meta.json
        # changed makes another process's commit visible to the very next search.
        try:
            stat = (self.index_dir / "meta.json").stat()
            meta = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        except OSError:
            meta = None
        index = self._current()
        if meta != self._seen_meta:
            with self._reload_lock:
                if meta != self._seen_meta:
                    index.reload()
                    self._seen_meta = meta
        return index.searcher()

    def search(self, request: SearchRequest) -> SearchResults:
        """Top candidates by text score, re-ranked (search/rerank.py); the page highlighted."""
        planned = plan_search(request)
        if planned.plan is None:
            return planned.results()
        searcher = self._searcher()
        unigrams, bigrams = query_grams(planned.parsed)
        unigrams = informative_chars(
            unigrams, lambda char: searcher.doc_freq(CHAR_FIELD, char), searcher.num_docs
        )
        queries = build_queries(self._schema, planned, unigrams, bigrams)
        need = planned.offset + planned.per_page
        total, at_least = self._total(searcher, queries, planned.offset)
        total, found, flat = self._candidates(searcher, queries, max(CANDIDATES, need), total)
        if not total or planned.offset >= total:
            return planned.results(total, at_least=at_least)
        ranked = self._ranked(searcher, queries, found, flat, need)
        page = ranked[planned.offset : need]
        tokens = planned.highlight_tokens()
        hits = [
            self._hit(searcher, r.ref, r.score, planned.offset + i, tokens)
            for i, r in enumerate(page, start=1)
        ]
        return planned.results(total, hits, at_least)

    @staticmethod
    def _total(searcher, queries: SearchQueries, offset: int) -> tuple[int | None, bool]:
        """(the total, whether it is a lower bound); None when the exact ranking counts it.

        Every document with one of the hit terms is a hit, and at least |A| + |F| - N of
        the N documents have both term A and filter F (for each filter more, N less). When
        that bound passes TOTAL_CAP it is said as "at least", read from the term
        dictionary, rather than counting the union of every term, which walks their
        posting lists (1-1.6 ms of a 6 ms search at 100,000 documents). Term counts may
        include deleted documents no merge has dropped yet: a few, against thousands."""
        if queries.hits is None:
            return None, False
        docs = searcher.num_docs
        known = max((searcher.doc_freq(f, t) for f, t in queries.hit_terms), default=0)
        known += sum(searcher.doc_freq(f, v) - docs for f, v in queries.filters)
        known = min(known, docs)
        if known > TOTAL_CAP and offset < known:
            return known, True
        if queries.filters:
            return None, False  # the exact ranking, filtered, counts its own hits
        return count_hits(searcher, queries.hits), False

    def _candidates(self, searcher, queries: SearchQueries, limit: int, total: int | None):
        """(the total, the top ``limit`` by text score, whether they need the hit check);
        the total is ``total``, or the exact ranking's own count when that is None."""
        if total is None:
            # The exact ranking matches the hits and nothing else, and scores every one of
            # them (nothing to prune beside required clauses or filters): its count is the
            # total at no cost, where a count of its own walked them all again.
            result = searcher.search(queries.exact_ranking, limit=limit, count=True)
            return result.count, result.hits, False
        if not total:
            return total, [], False
        # Few hits: rank exactly the hits (cheap, and no candidate can be a non-hit).
        # Many: the prunable ranking, whose candidates are then checked for being hits.
        if total > EXACT_BELOW:
            if not queries.filters:
                return total, searcher.search(queries.ranking, limit=limit, count=False).hits, True
            found = self._filtered(searcher, queries, limit)
            if found is not None:
                return total, found, True
        return total, searcher.search(queries.exact_ranking, limit=limit, count=False).hits, False

    def _filtered(self, searcher, queries: SearchQueries, limit: int) -> list | None:
        """The top ``limit`` of the flat ranking that pass the filters (read from their
        fast fields), taking enough of its top for the filters' share of the documents to
        leave ``limit``; None when too few of them pass (the exact ranking is asked)."""
        docs = max(searcher.num_docs, 1)
        share = min(searcher.doc_freq(f, v) for f, v in queries.filters) / docs
        wanted = min(math.ceil(limit * FILTER_MARGIN / max(share, 0.01)), 4 * limit)
        found = searcher.search(queries.ranking, limit=wanted, count=False).hits
        kept = found
        for name, value in queries.filters:
            codes = searcher.fast_field_values(FAST_FILTERS[name], [a for _s, a in kept])
            wanted_code = value_code(value)
            kept = [hit for hit, code in zip(kept, codes, strict=True) if code == wanted_code]
        if len(kept) < limit and len(found) == wanted:
            return None
        return kept[:limit]

    def _ranked(self, searcher, queries: SearchQueries, found: list, flat: bool, need: int):
        if not found:
            return []
        addresses = [address for _score, address in found]
        refs = [(address.segment_ord, address.doc) for address in addresses]
        uids = searcher.fast_field_values("uid", addresses)
        boosts = searcher.fast_field_values("boost", addresses)
        updated = searcher.fast_field_values("updated_days", addresses)
        now, unknown = days_now(), float("inf")
        candidates = [
            Candidate(
                ref,
                score,
                1.0 if boost is None else boost,
                unknown if days is None else max(0.0, now - days),
            )
            for ref, (score, _address), boost, days in zip(
                refs, found, boosts, updated, strict=True
            )
        ]
        uid_of = dict(zip(refs, uids, strict=True))

        def check(slots: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
            words = self._count_in(searcher, queries.words, slots, uid_of)
            if flat:
                # A candidate with no query word is a hit only with a query bigram. Asked
                # apart: the few without a word, not every candidate, walk the bigrams.
                wordless = [slot for slot, count in words.items() if not count]
                grams = [queries.grams] if queries.grams is not None else []
                have = self._count_in(searcher, grams, wordless, uid_of)
                for slot in wordless:
                    if not have[slot]:
                        del words[slot]
            return words

        ranked = rerank_bounded(candidates, len(queries.words), need, check)
        by_slot = dict(zip(refs, addresses, strict=True))
        return [Ranked(by_slot[r.ref], r.score) for r in ranked]

    def _count_in(self, searcher, clauses, slots, uid_of) -> dict[tuple[int, int], int]:
        """How many of ``clauses`` each candidate slot has."""
        if not clauses or not slots:
            return dict.fromkeys(slots, 0)
        query = candidate_check(self._schema, clauses, [uid_of[slot] for slot in slots])
        scores = {
            (address.segment_ord, address.doc): score
            for score, address in searcher.search(query, limit=len(slots), count=False).hits
        }
        return {slot: round(scores.get(slot, 0.0)) for slot in slots}

    @staticmethod
    def _hit(searcher, address, score: float, rank: int, tokens: set[str]) -> SearchHit:
        fields = searcher.doc(address).to_dict()
        title = _first_text(fields, "title_text")
        body = _first_text(fields, "body_text")
        folded = _first_text(fields, "body_folded")
        return SearchHit(
            key=fields["key"][0],
            doc_type=fields["doc_type"][0],
            doc_id=int(fields["doc_id"][0]),
            slug=(fields.get("slug") or [""])[0],
            title=title,
            snippet=snippet_html(body, tokens, folded),
            title_html=title_html(title, tokens),
            score=float(score),
            rank=rank,
        )

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Titles containing the earlier tokens and a token starting with the last one."""
        searcher = self._searcher()
        tokens, limit = suggest_input(prefix, limit)
        if not tokens:
            return []
        expansions = [
            term
            for term, _count in searcher.terms_with_prefix(
                "title", tokens[-1], limit=_SUGGEST_TERMS
            )
        ]
        if not expansions:
            return []
        query = suggest_query(self._schema, tokens[:-1], expansions)
        found = searcher.search(query, limit=limit * 4, count=False).hits
        titles = (
            _first_text(searcher.doc(address).to_dict(), "title_text") for _score, address in found
        )
        return first_unique(titles, limit)

    def document_count(self) -> int:
        """Number of live documents in the latest committed generation (0 for an index of
        an older version, which has to be rebuilt)."""
        if self._index is None:
            return 0
        return self._searcher().num_docs

    # -- writing ---------------------------------------------------------------------

    def _file_lock(self, name: str):
        return file_lock(
            self.index_dir / f".portal-{name}.lock",
            WRITER_TIMEOUT,
            f"the search index {name} lock is busy",
        )

    @contextmanager
    def _writer(self, heap: int) -> Iterator[tantivy.IndexWriter]:
        """tantivy's writer for one batch: waits for other writers, commits on success,
        and merges segments before letting go, so small commits do not pile up."""
        with self._write_lock, self._file_lock("writer"):
            index = self._current()
            deadline = time.monotonic() + WRITER_TIMEOUT
            while True:
                try:
                    writer = index.writer(heap_size=heap, num_threads=1)
                    break
                except ValueError:  # tantivy's own lock, held by a writer outside ours
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            try:
                yield writer
            except BaseException:
                writer.rollback()
                raise
            writer.commit()
            writer.wait_merging_threads()
        self._seen_meta = None

    def apply(self, upserts: Iterable[IndexDocument], deletes: Iterable[str]) -> None:
        """Upsert and delete by key in one commit; an upsert wins over a delete of its key."""
        latest, delete_keys = net_changes(upserts, deletes)
        if not latest and not delete_keys:
            return
        documents = [to_document(doc, analyse(doc)) for doc in latest.values()]
        with self._writer(APPLY_HEAP) as writer:
            for key in [*delete_keys, *latest]:
                writer.delete_documents_by_term("key", key)
            for document in documents:
                writer.add_document(document)

    def rebuild(
        self, docs: Iterable[IndexDocument], progress: Callable[[int], None] | None = None
    ) -> int:
        """Replace the index with ``docs`` in one commit; ``progress(n)`` per batch added.
        Readers keep the old index until the commit. A repeated key keeps its first one."""
        count = 0
        if self._index is None:
            self._replace_outdated()
        with self._writer(REBUILD_HEAP) as writer:
            writer.delete_all_documents()
            for batch in analysed_batches(docs, REBUILD_BATCH, analyse_batch):
                for doc, analysed in batch:
                    writer.add_document(to_document(doc, analysed))
                count += len(batch)
                if progress is not None:
                    progress(len(batch))
        return count

    def _replace_outdated(self) -> None:
        # Only tantivy's files go; our lock files stay (other processes may hold them).
        with self._write_lock, self._file_lock("writer"):
            for path in self.index_dir.iterdir():
                if path.is_file() and not path.name.startswith(".portal-"):
                    path.unlink()
        self._open()

    def close(self) -> None:
        """Nothing to release: tantivy frees the reader with the object."""


def count_hits(searcher: tantivy.Searcher, query: tantivy.Query) -> int:
    """How many live documents match ``query``. An aggregation collects without scores,
    where search(count=True) scores every match for its top-k: a third less at 100k
    documents (the bench corpus). Every document has one uid, so its count is the total."""
    counted = searcher.aggregate(query, {"n": {"value_count": {"field": "uid"}}})
    return int(counted["n"]["value"])


def _first_text(fields: dict, name: str) -> str:
    values = fields.get(name) or [b""]
    value = values[0]
    return value.decode("utf-8", "surrogatepass") if isinstance(value, bytes) else str(value)
