"""PostgreSQL full-text implementation of SearchBackend, over the portal analyzer's tokens.

Every document is one row of the index table with one tsvector of our own tokens, Han
characters and bigrams (search/postgres/query.py) under a RUM index where the server has
the `rum` extension, else a GIN index. A search follows the query model of
search/ranking.py: the best ranking.CANDIDATES of a bounded pool of matches by text score
(ts_rank_cd with the field, synonym, character and bigram weights and each operand's idf
from the column's statistics: search/postgres/idf.py), the total from the index's count
of hits up to TOTAL_CAP, then boost, freshness and coordination re-rank the candidates in
Python (search/rerank.py) and only the page shown is highlighted (search/highlight.py).

The pool, so that no search ranks every match: with RUM, the first RUM_POOL matches in the
index's own distance order (its cover density with fixed label weights, and without the
single characters, whose posting lists are the longest: close to the text score, not
equal); on plain GIN, which has no order, at most GIN_POOL matches in tiers GIN answers
from posting lists alone (every query word, a query word in the title, the rest in table
order). The bound's price: a match outside the pool is never a candidate, so a query with
many matches may miss one that ranking everything would show.
Measured on 12,000 synthetic articles and topics (about 3,300 matches per query), the
top 10 agreed with ranking every match on 84 % of its hits with RUM at 400, 96 % at 800;
with GIN tiers 56 % at 400, 88 % at 1,000. On the public relevance set (bench.relevance,
10,000 FAQ documents) GIN at 600 kept MRR@10 where 1,000 had it (0.540 vs 0.541; 400:
0.529). The cost: each pooled row's tsvector is read from the TOAST table once (~15 us a
row: most are over 2 kB and pglz leaves them uncompressed), then every rank call reads
the positions of its operands (the characters' are the longest); the RUM order reads the
positions of every match of the ordered terms in the index.

The total is exact up to TOTAL_CAP hits and TOTAL_CAP beyond, meaning "at least that many":
an exact count of a common word's hits visits every one of them (190 ms of a 550 ms
search for 54,537 hits at 100,000 documents). On GIN the pool's last tiers are those
hits, so the count reads nothing more: TOTAL_CAP rows of one common word or bigram of the
query when they are there (statements._known_hits), else the OR of every one.

Several app processes on several hosts may write at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime

import psycopg
from psycopg import errors

from search.backend import IndexDocument, SearchHit, SearchRequest, SearchResults
from search.highlight import snippet_html, title_html
from search.ngrams import query_grams
from search.paging import TOTAL_CAP, first_unique, suggest_input
from search.planning import BIGINT, plan_search
from search.postgres.idf import DocumentFrequencies, bm25_idf
from search.postgres.query import QueryGrams, clean_text, prefix_query, tsvector_literal
from search.postgres.statements import (
    CATEGORY_CONDITION,
    RANK,
    Pool,
    candidates_statement,
    doc_filters,
    page_statement,
    score_units,
)
from search.postgres.store import (
    DEFAULT_TABLE,
    Connections,
    IndexLayoutError,
    TableState,
    build_table_name,
    create_indexes,
    create_table,
    enable_rum,
    ensure_table,
    quote_table,
    swap_in,
    table_state,
)
from search.ranking import CANDIDATES, age_in_days
from search.rerank import Candidate, rerank
from search.timestamps import naive_utc, utcnow
from search.token_documents import (
    REBUILD_BATCH,
    analysed_batches,
    document_boost,
    document_tokens,
    net_changes,
    tags_text,
)

__all__ = ["PostgresBackend"]

logger = logging.getLogger(__name__)

WRITE_RETRIES = 3  # deadlock victims and serialisation failures are simply run again
# Pool bounds (module docstring): what keeps the top 10 close to ranking every match.
RUM_POOL = 4 * CANDIDATES
GIN_POOL = 3 * CANDIDATES

COLUMNS = (
    "key",
    "doc_type",
    "doc_id",
    "slug",
    "title",
    "tags",
    "body",
    "language",
    "category_ids",
    "boost",
    "updated",
    "tsv",
)


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else naive_utc(moment)


def document_tsvector(doc: IndexDocument) -> str:
    """The tsvector literal of ``doc``: words per field, and the Han characters and
    bigrams of title, tags and body."""
    return tsvector_literal(*document_tokens(doc))


def _tsvector_batch(docs: list[IndexDocument]) -> list[str]:
    # Module level: rebuild() runs it in worker processes, literal building included.
    return [document_tsvector(doc) for doc in docs]


def _values(doc: IndexDocument, tsvector: str) -> tuple:
    categories = dict.fromkeys(int(c) for c in doc.category_ids if -BIGINT <= int(c) < BIGINT)
    return (
        clean_text(doc.key),
        clean_text(doc.doc_type),
        int(doc.doc_id),
        clean_text(doc.slug),
        clean_text(doc.title),
        clean_text(tags_text(doc.tags)),
        clean_text(doc.body),
        clean_text(doc.language),
        list(categories),
        document_boost(doc),
        _utc(doc.updated),
        tsvector,
    )


def page_hits(rows: Iterable[tuple], offset: int, tokens: set[str]) -> list[SearchHit]:
    """Hits from (score, key, doc_type, doc_id, slug, title, body) rows, ranked from
    ``offset`` + 1; snippet and title are highlighted for ``tokens``."""
    return [
        SearchHit(
            key=key,
            doc_type=doc_type,
            doc_id=doc_id,
            slug=slug,
            title=title,
            snippet=snippet_html(body, tokens),
            title_html=title_html(title, tokens),
            score=float(score),
            rank=rank,
        )
        for rank, (score, key, doc_type, doc_id, slug, title, body) in enumerate(
            rows, start=offset + 1
        )
    ]


class PostgresBackend:
    """SearchBackend over the table ``table`` of the PostgreSQL database at ``url``
    (created when missing).

    ``rum``: None uses the RUM index when the server has the extension (creating it in
    the database if allowed), False always plain GIN (new tables get a GIN index and
    searches bound their pool as on GIN), True insists on RUM (RuntimeError without it).

    Reads use one autocommit connection per thread. apply() upserts and deletes in one
    transaction, row by row in key order, so concurrent writers never deadlock on each
    other. rebuild() fills a new table and renames it over the live one in the same
    transaction; it holds a lock that lets searches through but makes apply() wait, and
    apply() then writes to the new table.
    """

    def __init__(self, url: str, table: str = DEFAULT_TABLE, rum: bool | None = None) -> None:
        self.table = table
        self._name = quote_table(table)
        self._connections = Connections(url)
        self._frequencies = DocumentFrequencies(self._name)
        conn = self._connections.get()
        self._rum_wanted = rum is not False and enable_rum(conn)
        if rum and not self._rum_wanted:
            raise RuntimeError("the rum extension is not available on this PostgreSQL server")
        self._state = ensure_table(conn, table, self._rum_wanted)
        columns = ", ".join(COLUMNS)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS[1:])
        marks = ", ".join(["%s"] * (len(COLUMNS) - 1))
        self._upsert = (
            f"INSERT INTO {self._name} ({columns}) VALUES ({marks}, %s::tsvector)"
            f" ON CONFLICT (key) DO UPDATE SET {updates}"
        )

    @property
    def uses_rum(self) -> bool:
        """True when searches order their pool with the RUM index."""
        return self._rum_wanted and self._state.rum

    def _current(self, conn: psycopg.Connection) -> TableState:
        # An old table may have been rebuilt by another process since: look again.
        if not self._state.current:
            self._state = table_state(conn, self.table) or self._state
        return self._state

    def _check_layout(self, conn: psycopg.Connection) -> None:
        if not self._current(conn).current:
            raise IndexLayoutError("PostgreSQL", f"table {self.table}", "has an older layout")

    def _read(self, work: Callable[[psycopg.Connection], object]):
        # A connection the server dropped (restart, idle timeout) is replaced once.
        conn = self._connections.get()
        try:
            return work(conn)
        except psycopg.OperationalError:
            if not conn.broken:
                raise
            self._connections.discard()
            return work(self._connections.get())

    # -- reading ---------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResults:
        """Top candidates by text score, re-ranked (search/rerank.py); the page highlighted."""
        search = plan_search(request, clean_text)
        plan = search.plan
        if plan is None:
            return search.results()
        unigrams, bigrams = query_grams(search.parsed)
        filters = doc_filters(search, "%s", CATEGORY_CONDITION)
        depth = max(CANDIDATES, search.offset + search.per_page)

        def work(conn: psycopg.Connection) -> tuple[list, int, bool]:
            self._check_layout(conn)
            grams = QueryGrams(unigrams, bigrams)
            operands = [operand for operand, _w, _word in score_units(plan, grams)]
            total, counts = self._frequencies.counts(conn, operands)
            idf = {operand: bm25_idf(total, count) for operand, count in counts.items()}
            grams = QueryGrams(unigrams, bigrams, idf, counts)
            size = max(RUM_POOL if self.uses_rum else GIN_POOL, depth)
            cap = max(TOTAL_CAP, size)
            # One hit past the cap is counted, so "at least" is said only when it is true.
            pool = Pool(size, rum=self.uses_rum, count=cap + 1)
            sql, params = candidates_statement(self._name, plan, grams, filters, pool, depth)
            rows = conn.execute(sql, params).fetchall()
            total = min(rows[0][5], cap) if rows else 0
            at_least = bool(rows) and rows[0][5] > cap
            now = utcnow()
            ranked = rerank(
                (
                    Candidate(
                        ref=row_id,
                        text_score=score,
                        boost=boost,
                        age_days=age_in_days(updated, now),
                        matched=matched,
                    )
                    for row_id, score, boost, updated, matched, _total in rows
                ),
                len(plan.should),
            )
            page = ranked[search.offset : search.offset + search.per_page]
            stored = {}
            if page:
                stored = {
                    row[0]: row[1:]
                    for row in conn.execute(
                        page_statement(self._name), [[r.ref for r in page]]
                    ).fetchall()
                }
            return [(r.score, *stored[r.ref]) for r in page if r.ref in stored], total, at_least

        rows, total, at_least = self._read(work)
        hits = page_hits(rows, search.offset, search.highlight_tokens())
        return search.results(total, hits, at_least)

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Titles containing the earlier tokens and a token starting with the last one."""
        tokens, limit = suggest_input(prefix, limit)
        if not tokens:
            return []
        query = prefix_query(tokens)
        sql = (
            f"SELECT d.title FROM {self._name} d WHERE d.tsv @@ %s::tsquery"
            f" ORDER BY {RANK} * d.boost DESC, d.id LIMIT %s"
        )

        def work(conn: psycopg.Connection) -> list:
            self._check_layout(conn)
            return conn.execute(sql, [query, query, limit * 4]).fetchall()

        rows = self._read(work)
        return first_unique((title for (title,) in rows), limit)

    def document_count(self) -> int:
        """Number of documents in the latest committed state; 0 for a table of an older
        layout, which no search reads (so `search reindex --if-missing` rebuilds it)."""
        sql = f"SELECT count(*) FROM {self._name}"

        def work(conn: psycopg.Connection) -> int:
            if not self._current(conn).current:
                return 0
            return conn.execute(sql).fetchone()[0]

        return self._read(work)

    # -- writing ---------------------------------------------------------------------

    def apply(self, upserts: Iterable[IndexDocument], deletes: Iterable[str]) -> None:
        """Upsert and delete by key in one transaction; an upsert wins over a delete of
        its key."""
        latest, delete_keys = net_changes(upserts, deletes)
        if not latest and not delete_keys:
            return
        rows = {key: _values(doc, document_tsvector(doc)) for key, doc in latest.items()}
        delete = f"DELETE FROM {self._name} WHERE key = %s"
        for attempt in range(1, WRITE_RETRIES + 1):
            conn = self._connections.get()
            self._check_layout(conn)
            try:
                # One round trip for all rows; taking the row locks in one global (key)
                # order means two writers can wait for each other but never deadlock.
                with conn.transaction(), conn.pipeline(), conn.cursor() as cur:
                    for key in sorted({*rows, *delete_keys}):
                        if key in rows:
                            cur.execute(self._upsert, rows[key])
                        else:
                            cur.execute(delete, [clean_text(key)])
                return
            except (errors.DeadlockDetected, errors.SerializationFailure):
                if attempt == WRITE_RETRIES:
                    raise
                logger.info("search index write retried (attempt %d)", attempt)

    def rebuild(
        self,
        docs: Iterable[IndexDocument],
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Load ``docs`` into a new table and swap it in; ``progress(n)`` per batch.

        Searches keep reading the old table until the swap commits, then read the new
        one. SHARE ROW EXCLUSIVE admits readers but no writer and no second rebuild, so
        no apply() lands in a table about to be dropped: it waits and then writes to the
        new table. A repeated key keeps its first document.
        """
        build = build_table_name(self.table)
        conn = self._connections.open()  # its own: the transaction spans the whole load
        count = 0
        try:
            with conn.transaction():
                conn.execute(f"LOCK TABLE {self._name} IN SHARE ROW EXCLUSIVE MODE")
                create_table(conn, build, indexes=False)
                copy_sql = f"COPY {quote_table(build)} ({', '.join(COLUMNS)}) FROM STDIN"
                for batch in analysed_batches(docs, REBUILD_BATCH, _tsvector_batch):
                    with conn.cursor() as cur, cur.copy(copy_sql) as copy:
                        for doc, tokens in batch:
                            copy.write_row(_values(doc, tokens))
                    count += len(batch)
                    if progress is not None:
                        progress(len(batch))
                create_indexes(conn, build, self._rum_wanted)
                conn.execute(f"ANALYZE {quote_table(build)}")
                swap_in(conn, build, self.table)
        finally:
            conn.close()
        self._state = TableState(current=True, rum=self._rum_wanted)
        return count

    def close(self) -> None:
        """Close every connection (a later call reopens one)."""
        self._connections.close()
