"""Inverse document frequencies of query operands, for PostgreSQL's text score.

ts_rank_cd has no idf: a character in every document (我) weighed as much as a rare word,
and the single characters and bigrams, which most documents share, drowned the words.
Each operand's document count comes from the GIN/RUM index (one statement for all the
operands a search has not seen before) and is kept per backend for IDF_TTL seconds:
frequencies move slowly, and the common operands recur in every other query.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence

import psycopg

__all__ = ["IDF_TTL", "DocumentFrequencies", "bm25_idf"]

IDF_TTL = 600.0  # seconds a document count is trusted
MAX_KEPT = 50_000  # operands kept; the cache starts afresh beyond


def bm25_idf(total: int, frequency: int) -> float:
    """BM25's idf, in the "+1" form that stays positive for operands in most documents."""
    return math.log(1.0 + (total - frequency + 0.5) / (frequency + 0.5))


class DocumentFrequencies:
    """Document counts of tsquery operands in one table, kept for IDF_TTL seconds."""

    def __init__(self, table: str) -> None:
        self.table = table  # quoted
        self._counts: dict[str, int] = {}
        self._total = 0
        self._since = -math.inf
        self._lock = threading.Lock()

    def idf(self, conn: psycopg.Connection, operands: Sequence[str]) -> dict[str, float]:
        """Operand -> idf for ``operands`` (tsquery text), counting the unseen ones."""
        with self._lock:
            if time.monotonic() - self._since > IDF_TTL or len(self._counts) > MAX_KEPT:
                self._counts, self._total, self._since = {}, 0, time.monotonic()
            missing = list(dict.fromkeys(o for o in operands if o not in self._counts))
        if missing:
            self._count(conn, missing)
        with self._lock:
            total = self._total
            return {o: bm25_idf(total, self._counts.get(o, 0)) for o in operands}

    def _count(self, conn: psycopg.Connection, operands: list[str]) -> None:
        counts = ", ".join("count(*) FILTER (WHERE d.tsv @@ %s::tsquery)" for _ in operands)
        row = conn.execute(
            f"SELECT (SELECT count(*) FROM {self.table}), {counts}"
            f" FROM {self.table} d WHERE d.tsv @@ %s::tsquery",
            [*operands, " | ".join(operands)],
        ).fetchone()
        with self._lock:
            self._total = int(row[0])
            self._counts.update(zip(operands, map(int, row[1:]), strict=True))
