"""Inverse document frequencies of query operands, for PostgreSQL's text score.

ts_rank_cd has no idf: a character in every document (我) weighed as much as a rare word,
and the single characters and bigrams, which most documents share, drowned the words.

The document counts come from the server's own statistics of the tsvector column, which
ANALYZE (the rebuild's, and autovacuum's as the table changes) gathers: pg_stats keeps
the most common lexemes with the share of rows holding each (up to STATISTICS_TARGET x 10
of them; store.create_table sets the column's target). A lexeme missing from that list
is rare (below the list's smallest share), so counting its rows through the index is
cheap, and it is counted exactly; so is every lexeme of a table never analysed. Counting
a common operand instead (a character in most documents) read nearly every row: seconds
at 100,000 documents, on nearly every search with distinct queries.

An operand's count from its lexemes' counts: a word matches the whole word or the same
text as a sub-word (query._term), counted as their sum (at most every row); a phrase as
its rarest word's (an upper bound, so a phrase weighs a little less than its exact idf;
all its hits hold it, so the order among them does not change).

Counts are kept per backend for IDF_TTL seconds: frequencies move slowly, and the common
operands recur in every other query.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence

import psycopg

from search.postgres.query import operand_lexemes, tsquery_lexeme

__all__ = ["IDF_TTL", "STATISTICS_TARGET", "DocumentFrequencies", "bm25_idf"]

IDF_TTL = 600.0  # seconds a document count is trusted
MAX_KEPT = 50_000  # operands kept; the cache starts afresh beyond
# The tsvector column's statistics target: pg_stats then keeps up to 10,000 lexemes,
# those in more than about 0.15 % of the rows at 10,000 documents.
STATISTICS_TARGET = 1000
# An exact count stops here: only a table never analysed has common lexemes to count,
# and its idf then flattens above the cap until autovacuum analyses it.
COUNT_CAP = 20_000

_STATISTICS = """
    SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_stats s
      ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = 'tsv'
    WHERE c.oid = to_regclass(%s)"""


def bm25_idf(total: int, frequency: int) -> float:
    """BM25's idf, in the "+1" form that stays positive for operands in most documents."""
    return math.log(1.0 + (total - frequency + 0.5) / (frequency + 0.5))


class DocumentFrequencies:
    """Document counts of tsquery operands in one table, kept for IDF_TTL seconds."""

    def __init__(self, table: str) -> None:
        self.table = table  # quoted
        self._counts: dict[str, int] = {}  # lexeme -> rows holding it
        self._total = 0
        self._since = -math.inf
        self._lock = threading.Lock()

    def idf(self, conn: psycopg.Connection, operands: Sequence[str]) -> dict[str, float]:
        """Operand -> idf for ``operands`` (tsquery text), counting the unseen lexemes."""
        total, counts = self.counts(conn, operands)
        return {operand: bm25_idf(total, count) for operand, count in counts.items()}

    def counts(
        self, conn: psycopg.Connection, operands: Sequence[str]
    ) -> tuple[int, dict[str, int]]:
        """The table's rows and operand -> rows matching it (estimated as above)."""
        lexemes = {operand: operand_lexemes(operand) for operand in operands}
        with self._lock:
            stale = time.monotonic() - self._since > IDF_TTL or len(self._counts) > MAX_KEPT
        if stale:
            self._read_statistics(conn)
        with self._lock:
            words = (x for xs, _phrase in lexemes.values() for x in xs)
            missing = list(dict.fromkeys(x for x in words if x not in self._counts))
        if missing:
            self._count(conn, missing)
        with self._lock:
            total, counts = self._total, self._counts
            return total, {
                operand: _operand_count(words, counts, total) for operand, words in lexemes.items()
            }

    def _read_statistics(self, conn: psycopg.Connection) -> None:
        row = conn.execute(_STATISTICS, [self.table]).fetchone()
        elements, shares, rows = row if row else (None, None, -1)
        counts: dict[str, int] = {}
        if rows is not None and rows >= 0 and elements:
            # The shares end with the list's smallest and largest share (no null share for
            # tsvector): one per element before them.
            counts = {e: round(s * rows) for e, s in zip(elements, shares, strict=False)}
            total = round(rows)
        else:
            total = conn.execute(f"SELECT count(*) FROM {self.table}").fetchone()[0]
        with self._lock:
            self._counts, self._total, self._since = counts, int(total), time.monotonic()

    def _count(self, conn: psycopg.Connection, lexemes: list[str]) -> None:
        # One index lookup per lexeme; a single lexeme needs no recheck of the row.
        one = (
            f"(SELECT count(*) FROM (SELECT FROM {self.table} d"
            f" WHERE d.tsv @@ %s::tsquery LIMIT %s) c)"
        )
        row = conn.execute(
            "SELECT " + ", ".join([one] * len(lexemes)),
            [value for lexeme in lexemes for value in (tsquery_lexeme(lexeme), COUNT_CAP)],
        ).fetchone()
        with self._lock:
            self._counts.update(zip(lexemes, map(int, row), strict=True))


def _operand_count(lexemes: tuple[list[str], bool], counts: dict[str, int], total: int) -> int:
    words, phrase = lexemes
    found = [counts.get(word, 0) for word in words]
    if not found:
        return 0
    if phrase:
        return min(found)
    return min(total, sum(found))
