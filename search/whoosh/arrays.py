"""Whoosh postings as numpy arrays: the hits as masks and BM25F scores summed per document.

Whoosh's own matchers walk a posting at a time in Python. A portal query is a union of
many terms (each word in three fields, its synonyms, its Han bigrams and characters), and
stepping through that tree with whoosh's block-quality top-k was slower than scoring
every word match had been (median 780 ms against 220 ms, 10,000 documents). So a search
reads each term's posting blocks whole, decodes them into arrays (search/whoosh/postings.py),
and does the set algebra and the BM25F sums with numpy, a term at a time. The scores are
whoosh's own: its BM25F formula, idf, field lengths (as stored, one byte each) and field
boosts. A phrase intersects its words' postings in numpy and checks positions only where
all occur, from the same decoding of its words' blocks when they were not cached yet.

Segments never change once written (a deletion only marks documents), so their decoded
postings, field lengths and columns are kept in an LRU of bounded size; phrase answers
are kept for as long as the index generation lasts.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from itertools import chain

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from search.whoosh.postings import (
    EMPTY_IDS,
    EMPTY_WEIGHTS,
    leaf_postings,
    position_deltas,
    values_of,
)

__all__ = ["DEFAULT_CACHE_BYTES", "ReaderArrays", "SegmentCache"]

_BYTE_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
# Decoded postings take 8 bytes each. Every term of the 400 benchmark queries over 100,000
# documents took 121 MB; with them all cached the p95 was 23 ms, against 200 ms while
# terms were still being decoded for the first time.
DEFAULT_CACHE_BYTES = 256 * 1024 * 1024
_PHRASES_KEPT = 256  # phrase answers kept per searcher generation


class SegmentCache:
    """Arrays decoded from immutable segments, least recently used dropped beyond
    ``max_bytes``; safe to share between threads."""

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, tuple[np.ndarray, ...]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple, load: Callable[[], tuple[np.ndarray, ...]]) -> tuple:
        """The arrays under ``key``, loaded (outside the lock) when missing."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        value = load()
        size = sum(array.nbytes for array in value)
        with self._lock:
            if key not in self._items and size <= self.max_bytes:
                self._items[key] = value
                self._bytes += size
                while self._bytes > self.max_bytes:
                    _old, dropped = self._items.popitem(last=False)
                    self._bytes -= sum(array.nbytes for array in dropped)
        return value


def _distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values of a sorted array (np.unique without its sort or hash)."""
    if len(values) < 2:
        return values
    return values[np.concatenate(([True], values[1:] != values[:-1]))]


def _members(values: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Which of ``values`` are in ``pool`` (sorted): np.isin by binary search."""
    if not len(pool):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(pool, values), len(pool) - 1)
    return pool[at] == values


def _segment_column(sub, name: str) -> np.ndarray:
    """A numeric column of one segment as float64 (its default where a value is absent)."""
    count = sub.doc_count_all()
    reader = sub.column_reader(name, translate=False)
    raw = getattr(reader, "_dbfile", None)
    typecode = getattr(reader, "_typecode", None)
    if raw is None or typecode not in ("b", "B", "h", "H", "i", "I", "q", "Q", "f", "d"):
        return np.array([reader[n] for n in range(count)], dtype=np.float64)
    values = np.full(count, float(reader._default), dtype=np.float64)
    stored = min(reader._count, count)
    if stored:
        data = bytes(raw.get(reader._basepos, stored * reader._fixedlen))
        values[:stored] = np.frombuffer(data, dtype=np.dtype(typecode).newbyteorder(">"))
    return values


class ReaderArrays:
    """One searcher's documents as arrays indexed by (global) docnum. Not thread-safe:
    the backend uses it under its searcher lock."""

    def __init__(self, searcher, cache: SegmentCache, B: float, K1: float) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.size = searcher.doc_count_all()
        self._cache = cache
        self._B, self._K1 = B, K1
        self._segments = [
            (sub, offset, sub.segment().segment_id())
            for sub, offset in self.reader.leaf_readers()
            if sub.segment() is not None
        ]  # an empty index has none
        self._lengths: dict[str, np.ndarray] = {}
        self._phrases: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        live = np.ones(self.size, dtype=bool)
        for sub, offset, _segid in self._segments:
            deleted = sub.deleted_docs_set
            if deleted:
                live[offset + np.fromiter(deleted, dtype=np.int64, count=len(deleted))] = False
        self.live = live

    # -- postings ----------------------------------------------------------------------

    def _segment_postings(
        self, sub, segid: str, field: str, text: str, values: dict | None = None
    ) -> tuple:
        # With ``values``, postings decoded now (not found in the cache) also leave
        # values[segid] = (docnums, their encoded values) for a phrase to read positions.
        def load() -> tuple[np.ndarray, np.ndarray]:
            try:
                tbytes = sub.schema[field].to_bytes(text)
                matcher = sub._terms.matcher(field, tbytes, sub.schema[field].format)
            except (TermNotFound, KeyError):
                return EMPTY_IDS, EMPTY_WEIGHTS
            if values is None:
                return leaf_postings(matcher)
            ids, weights, encoded = leaf_postings(matcher, keep_values=True)
            values[segid] = (ids, encoded)
            return ids, weights

        if field not in sub.schema:
            return EMPTY_IDS, EMPTY_WEIGHTS
        return self._cache.get(("postings", segid, field, text), load)

    def postings(
        self, field: str, text: str, values: dict | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(global docnums, weights) of a term over every segment, deleted ones included."""
        ids, weights = [], []
        for sub, offset, segid in self._segments:
            local, weight = self._segment_postings(sub, segid, field, text, values)
            if len(local):
                ids.append(local + offset if offset else local)
                weights.append(weight)
        if not ids:
            return EMPTY_IDS, EMPTY_WEIGHTS
        if len(ids) == 1:
            return ids[0], weights[0]
        return np.concatenate(ids), np.concatenate(weights)

    def docnums(self, query: wq.Query) -> np.ndarray:
        """Docnums matching a Term or Phrase query (deleted ones may be among them)."""
        if isinstance(query, wq.Term):
            return self.postings(query.fieldname, query.text)[0]
        return self.scored(query)[0]

    def _occurrences(self, field: str, text: str, docnums: np.ndarray, decoded: dict) -> np.ndarray:
        """Every occurrence of a term in ``docnums`` (sorted, all have the term) as sorted
        keys docnum << 32 | position; ``decoded`` holds the values of segments whose
        postings were just decoded (see _segment_postings), the others are read again."""
        docs: list[np.ndarray] = []
        lists: list[list[int]] = []
        for sub, offset, segid in self._segments:
            local = docnums[(docnums >= offset) & (docnums < offset + sub.doc_count_all())]
            if not len(local):
                continue
            if segid in decoded:
                ids, encoded = decoded[segid]
                values = [encoded[at] for at in np.searchsorted(ids, local - offset).tolist()]
            else:
                field_format = sub.schema[field].format
                tbytes = sub.schema[field].to_bytes(text)
                values = values_of(sub._terms.matcher(field, tbytes, field_format), local - offset)
            docs.append(local.astype(np.int64))
            lists.extend(position_deltas(values))
        sizes = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        if not sizes.sum():
            return np.zeros(0, dtype=np.int64)
        deltas = np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(sizes.sum()))
        running = np.cumsum(deltas)
        firsts = np.cumsum(sizes) - sizes  # each document's first delta
        before = np.repeat(running[firsts] - deltas[firsts], sizes)
        keys = (np.repeat(np.concatenate(docs), sizes) << 32) | (running - before)
        if len(keys) > 1 and (keys[1:] < keys[:-1]).any():  # positions stored out of order
            keys.sort()
        return keys

    def _phrase(self, query: wq.Phrase) -> tuple[np.ndarray, np.ndarray]:
        # A search asks twice (its hits, its scores); the same generation keeps the answer.
        key = (query.fieldname, tuple(query.words))
        found = self._phrases.get(key)
        if found is None:
            if len(self._phrases) >= _PHRASES_KEPT:
                self._phrases.clear()
            found = self._phrases[key] = self._unboosted_phrase(*key)
        docnums, scores = found
        return docnums, scores * query.boost if query.boost != 1.0 else scores

    def _unboosted_phrase(
        self, field: str, words: tuple[str, ...]
    ) -> tuple[np.ndarray, np.ndarray]:
        # whoosh's Phrase (slop 1): the words at consecutive positions; scored, like
        # whoosh's phrase matcher, as the sum of its words' term scores.
        query = wq.Phrase(field, list(words))
        schema = self.searcher.schema
        if field not in schema or not schema[field].format.supports("positions"):
            return self._matched(query)
        # The words' postings, when decoded now, come with the values that hold their
        # positions, so no block is read twice.
        decoded: dict[str, dict] = {word: {} for word in words}
        for word in words:
            self.postings(field, word, decoded[word])
        terms = [self.scored(wq.Term(field, word)) for word in words]
        docnums = terms[0][0]
        for ids, _scores in terms[1:]:
            docnums = np.intersect1d(docnums, ids, assume_unique=True)
        if not len(docnums):
            return EMPTY_IDS, EMPTY_WEIGHTS
        # Where the phrase could start, as docnum << 32 | position; each further word
        # keeps the starts it follows at the right distance.
        starts = self._occurrences(field, words[0], docnums, decoded[words[0]])
        for k, word in enumerate(words[1:], start=1):
            following = self._occurrences(field, word, _distinct(starts >> 32), decoded[word])
            starts = starts[_members(starts + k, following)]
            if not len(starts):
                return EMPTY_IDS, EMPTY_WEIGHTS
        docnums = _distinct(starts >> 32)
        total = np.zeros(len(docnums), dtype=np.float64)
        for ids, scores in terms:
            total += scores[np.searchsorted(ids, docnums)]
        return docnums, total

    def _matched(self, query: wq.Query) -> tuple[np.ndarray, np.ndarray]:
        # Any other query (phrases) through whoosh's own matcher, with its scores.
        try:
            matcher = query.matcher(self.searcher, self.searcher.context())
        except TermNotFound:
            return EMPTY_IDS, EMPTY_WEIGHTS
        ids, scores = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            scores.append(matcher.score())
            matcher.next()
        return np.array(ids, dtype=np.int64), np.array(scores, dtype=np.float64)

    def mask(self, queries: Iterable[wq.Query]) -> np.ndarray:
        """Which documents match any of ``queries``."""
        found = np.zeros(self.size, dtype=bool)
        for query in queries:
            found[self.docnums(query)] = True
        return found

    def column(self, name: str, default: float) -> np.ndarray:
        """Every document's value of a numeric column (``default`` where it has none)."""
        parts = []
        for sub, _offset, segid in self._segments:
            if sub.has_column(name):
                parts.append(
                    self._cache.get(
                        ("column", segid, name), lambda sub=sub: (_segment_column(sub, name),)
                    )[0]
                )
            else:
                parts.append(np.full(sub.doc_count_all(), default, dtype=np.float64))
        return np.concatenate(parts) if parts else np.zeros(0)

    # -- scores ------------------------------------------------------------------------

    def field_lengths(self, field: str) -> np.ndarray:
        """Every document's length of ``field`` as whoosh's scorer reads it."""
        lengths = self._lengths.get(field)
        if lengths is None:
            parts = [
                self._cache.get(
                    ("lengths", segid, field), lambda sub=sub: (self._segment_lengths(sub, field),)
                )[0]
                for sub, _offset, segid in self._segments
            ]
            lengths = self._lengths[field] = np.concatenate(parts) if parts else np.zeros(0)
        return lengths

    @staticmethod
    def _segment_lengths(sub, field: str) -> np.ndarray:
        count = sub.doc_count_all()
        codes = np.zeros(count, dtype=np.uint8)
        column = sub._perdoc._cached_reader(f"_{field}_len", LENGTHS_COLUMN)
        if column is not None:
            stored = min(column._count, count)
            raw = column._dbfile.get(column._basepos, stored)
            codes[:stored] = np.frombuffer(bytes(raw), dtype=np.uint8)
        return _BYTE_LENGTHS[codes]

    def scored(self, query: wq.Query) -> tuple[np.ndarray, np.ndarray]:
        """(docnums, BM25F score times the query's boost) of a Term or Phrase."""
        if isinstance(query, wq.Phrase):
            return self._phrase(query)
        if not isinstance(query, wq.Term):
            return self._matched(query)
        field, text = query.fieldname, query.text
        ids, weights32 = self.postings(field, text)
        if not len(ids):
            return ids, weights32.astype(np.float64)
        weights = weights32.astype(np.float64)
        searcher = self.searcher
        idf = searcher.idf(field, text)
        average = searcher.avg_field_length(field) or 1
        lengths = self.field_lengths(field)[ids]
        B, K1 = self._B, self._K1
        scores = idf * (weights * (K1 + 1)) / (weights + K1 * ((1 - B) + B * lengths / average))
        return ids, scores * query.boost if query.boost != 1.0 else scores

    def scores(self, queries: Iterable[wq.Query]) -> np.ndarray:
        """Every document's summed score over ``queries`` (0 where none matches)."""
        total = np.zeros(self.size, dtype=np.float64)
        for query in queries:
            ids, scores = self.scored(query)
            total[ids] += scores  # a term's docnums are unique
        return total
