"""Whoosh postings as numpy arrays: the hits as masks and BM25F scores summed per document.

Whoosh's own matchers walk a posting at a time in Python. A portal query is a union of
many terms (each word in three fields, its synonyms, its Han bigrams and characters), and
stepping through that tree with whoosh's block-quality top-k was slower than scoring
every word match had been (median 780 ms against 220 ms, 10,000 documents). So a search
reads each term's posting blocks whole, decodes them into arrays, and does the set
algebra and the BM25F sums with numpy, a term at a time. The scores are whoosh's own: its
BM25F formula, idf, field lengths (as stored, one byte each) and field boosts. A phrase
intersects its words' postings in numpy and checks positions only where all occur.

Segments never change once written (a deletion only marks documents), so their decoded
postings, field lengths and columns are kept in an LRU of bounded size; phrase answers
are kept for as long as the index generation lasts.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pickle import loads

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.reading import TermNotFound
from whoosh.system import _INT_SIZE
from whoosh.util.numeric import byte_to_length

__all__ = ["DEFAULT_CACHE_BYTES", "ReaderArrays", "SegmentCache"]

_BYTE_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
_EMPTY_IDS = np.zeros(0, dtype=np.int32)
_EMPTY_WEIGHTS = np.zeros(0, dtype=np.float32)
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


def _leaf_postings(matcher) -> tuple[np.ndarray, np.ndarray]:
    """(docnums, weights) of one segment's posting list, decoded a block at a time."""
    if not isinstance(matcher, W3LeafMatcher) or matcher._byteids:  # e.g. inlined
        ids, values = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            values.append(matcher.weight())
            matcher.next()
        return np.array(ids, dtype=np.int32), np.array(values, dtype=np.float32)
    deltas: list[int] = []
    weights: list[float] = []
    starts: list[int] = []  # where each block begins in ``deltas``
    previous: list[int] = []  # the last docnum of the block before it (0 for the first)
    last = 0
    while matcher.is_active():
        # A block as whoosh stores it: docnums delta-coded from 0 within the block;
        # weights None (all 1), one float (all equal) or one per posting. Gathered into
        # plain lists and turned into arrays once per term.
        matcher._read_data()
        block_deltas, block_weights = matcher._data[0], matcher._data[1]
        starts.append(len(deltas))
        previous.append(last)
        deltas.extend(block_deltas)
        if block_weights is None or isinstance(block_weights, float):
            weights.extend([1.0 if block_weights is None else block_weights] * len(block_deltas))
        else:
            weights.extend(block_weights)
        last = matcher._maxid
        matcher._next_block()
    if not deltas:
        return _EMPTY_IDS, _EMPTY_WEIGHTS
    ids = np.array(deltas, dtype=np.int64)
    ids[starts] -= np.array(previous, dtype=np.int64)  # continue from the previous block
    return np.cumsum(ids).astype(np.int32), np.array(weights, dtype=np.float32)


def _values_of(matcher, docnums: np.ndarray):
    """(docnum, encoded value) of the postings of ``docnums`` (sorted, all present),
    reading only the blocks that hold them."""
    if not isinstance(matcher, W3LeafMatcher) or matcher._byteids:
        wanted = set(docnums.tolist())
        while matcher.is_active():
            if matcher.id() in wanted:
                yield matcher.id(), matcher.value()
            matcher.next()
        return
    start = 0
    while matcher.is_active() and start < len(docnums):
        end = int(np.searchsorted(docnums, matcher._maxid, side="right"))
        if end > start:
            matcher._read_data()
            ids = np.cumsum(np.array(matcher._data[0], dtype=np.int64))
            values = matcher._data[2]
            for docnum, at in zip(
                docnums[start:end].tolist(),
                np.searchsorted(ids, docnums[start:end]).tolist(),
                strict=True,
            ):
                yield docnum, values[at]
            start = end
        matcher._next_block()


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

    def _segment_postings(self, sub, segid: str, field: str, text: str) -> tuple:
        def load() -> tuple[np.ndarray, np.ndarray]:
            try:
                tbytes = sub.schema[field].to_bytes(text)
                matcher = sub._terms.matcher(field, tbytes, sub.schema[field].format)
            except (TermNotFound, KeyError):
                return _EMPTY_IDS, _EMPTY_WEIGHTS
            return _leaf_postings(matcher)

        if field not in sub.schema:
            return _EMPTY_IDS, _EMPTY_WEIGHTS
        return self._cache.get(("postings", segid, field, text), load)

    def postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(global docnums, weights) of a term over every segment, deleted ones included."""
        ids, weights = [], []
        for sub, offset, segid in self._segments:
            local, weight = self._segment_postings(sub, segid, field, text)
            if len(local):
                ids.append(local + offset if offset else local)
                weights.append(weight)
        if not ids:
            return _EMPTY_IDS, _EMPTY_WEIGHTS
        if len(ids) == 1:
            return ids[0], weights[0]
        return np.concatenate(ids), np.concatenate(weights)

    def docnums(self, query: wq.Query) -> np.ndarray:
        """Docnums matching a Term or Phrase query (deleted ones may be among them)."""
        if isinstance(query, wq.Term):
            return self.postings(query.fieldname, query.text)[0]
        return self.scored(query)[0]

    def _occurrences(self, field: str, text: str, docnums: np.ndarray) -> np.ndarray:
        """Every occurrence of a term in ``docnums`` (sorted, all have the term) as sorted
        keys docnum << 32 | position."""
        docs: list[int] = []
        counts: list[int] = []
        deltas: list[int] = []
        for sub, offset, _segid in self._segments:
            local = docnums[(docnums >= offset) & (docnums < offset + sub.doc_count_all())]
            if not len(local):
                continue
            field_format = sub.schema[field].format
            matcher = sub._terms.matcher(field, sub.schema[field].to_bytes(text), field_format)
            for docnum, value in _values_of(matcher, local - offset):
                # whoosh's Positions value: the count, then the pickled position deltas.
                # Our own index files, written by Whoosh: never data from a request.
                codes = loads(  # noqa: S301
                    value[_INT_SIZE:] if value.endswith(b".") else value[_INT_SIZE:] + b"."
                )
                docs.append(docnum + offset)
                counts.append(len(codes))
                deltas.extend(codes)
        if not deltas:
            return np.zeros(0, dtype=np.int64)
        sizes = np.array(counts, dtype=np.int64)
        running = np.cumsum(np.array(deltas, dtype=np.int64))
        firsts = np.cumsum(sizes) - sizes  # each document's first delta
        before = np.repeat(running[firsts] - np.array(deltas, dtype=np.int64)[firsts], sizes)
        return (np.repeat(np.array(docs, dtype=np.int64), sizes) << 32) | (running - before)

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
        terms = [self.scored(wq.Term(field, word)) for word in words]
        docnums = terms[0][0]
        for ids, _scores in terms[1:]:
            docnums = np.intersect1d(docnums, ids, assume_unique=True)
        if not len(docnums):
            return _EMPTY_IDS, _EMPTY_WEIGHTS
        # Where the phrase could start, as docnum << 32 | position; each further word
        # keeps the starts it follows at the right distance.
        starts = self._occurrences(field, words[0], docnums)
        for k, word in enumerate(words[1:], start=1):
            following = self._occurrences(field, word, np.unique(starts >> 32))
            starts = starts[np.isin(starts + k, following)]
            if not len(starts):
                return _EMPTY_IDS, _EMPTY_WEIGHTS
        docnums = np.unique(starts >> 32)
        total = np.zeros(len(docnums), dtype=np.float64)
        for ids, scores in terms:
            total += scores[np.searchsorted(ids, docnums)]
        return docnums, total

    def _matched(self, query: wq.Query) -> tuple[np.ndarray, np.ndarray]:
        # Any other query (phrases) through whoosh's own matcher, with its scores.
        try:
            matcher = query.matcher(self.searcher, self.searcher.context())
        except TermNotFound:
            return _EMPTY_IDS, _EMPTY_WEIGHTS
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
