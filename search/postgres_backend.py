"""PostgreSQL full-text implementation of SearchBackend, over the portal analyzer's tokens.

Every document is one row of the index table with a tsvector built from our own tokens
(search/postgres_query.py) under a GIN index; ranking is ts_rank_cd with the field weights,
synonym weight, boost and freshness of search/ranking.py; snippets come from the shared
search/highlight.py. Several app processes on several hosts may write at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

import psycopg
from psycopg import errors

from search.backend import IndexDocument, SearchRequest, SearchResults
from search.paging import first_unique, suggest_input
from search.postgres_query import (
    CATEGORY_CONDITION,
    RANK,
    clean_text,
    count_statement,
    prefix_query,
    search_statement,
    tsvector_literal,
)
from search.postgres_store import (
    DEFAULT_TABLE,
    Connections,
    build_table_name,
    create_indexes,
    create_table,
    ensure_table,
    quote_table,
    swap_in,
)
from search.ranking import FRESHNESS_WEIGHT
from search.sql_common import BIGINT, doc_filters, page_hits, plan_search
from search.token_documents import (
    REBUILD_BATCH,
    TokenRow,
    analysed_batches,
    document_boost,
    freshness_anchor,
    freshness_now,
    net_changes,
    tags_text,
    token_row,
)

__all__ = ["PostgresBackend"]

logger = logging.getLogger(__name__)

WRITE_RETRIES = 3  # deadlock victims and serialisation failures are simply run again

COLUMNS = ("key", "doc_type", "doc_id", "slug", "title", "tags", "body", "language",
           "category_ids", "boost", "updated", "freshness", "tsv")


def _utc(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None)  # naive values are UTC
    return moment


def _values(doc: IndexDocument, tokens: TokenRow) -> tuple:
    categories = dict.fromkeys(int(c) for c in doc.category_ids if -BIGINT <= int(c) < BIGINT)
    return (
        clean_text(doc.key), clean_text(doc.doc_type), int(doc.doc_id), clean_text(doc.slug),
        clean_text(doc.title), clean_text(tags_text(doc.tags)), clean_text(doc.body),
        clean_text(doc.language), list(categories), document_boost(doc), _utc(doc.updated),
        freshness_anchor(doc.updated), tsvector_literal(tokens),
    )


class PostgresBackend:
    """SearchBackend over the table ``table`` of the PostgreSQL database at ``url``
    (created when missing).

    Reads use one autocommit connection per thread. apply() upserts and deletes in one
    transaction, row by row in key order, so concurrent writers never deadlock on each
    other. rebuild() fills a new table and renames it over the live one in the same
    transaction; it holds a lock that lets searches through but makes apply() wait, and
    apply() then writes to the new table.
    """

    def __init__(self, url: str, table: str = DEFAULT_TABLE) -> None:
        self.table = table
        self._name = quote_table(table)
        self._connections = Connections(url)
        ensure_table(self._connections.get(), table)
        columns = ", ".join(COLUMNS)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS[1:])
        marks = ", ".join(["%s"] * (len(COLUMNS) - 1))
        self._upsert = (f"INSERT INTO {self._name} ({columns}) VALUES ({marks}, %s::tsvector)"
                        f" ON CONFLICT (key) DO UPDATE SET {updates}")

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
        """Search with filters and paging; only the returned page is highlighted."""
        search = plan_search(request, clean_text)
        plan, page = search.plan, search.page
        if plan is None:
            return search.results()
        filters = doc_filters(search, "%s", CATEGORY_CONDITION)
        sql, params = search_statement(self._name, plan, filters, FRESHNESS_WEIGHT,
                                       freshness_now(), search.per_page, search.offset)

        def work(conn: psycopg.Connection) -> tuple[list, int]:
            rows = conn.execute(sql, params).fetchall()
            if rows or page == 1:
                return rows, rows[0][2] if rows else 0
            count_sql, count_params = count_statement(self._name, plan, filters)
            return rows, conn.execute(count_sql, count_params).fetchone()[0]

        rows, total = self._read(work)
        hits = page_hits(((score, *stored) for _id, score, _total, *stored in rows),
                         search.offset, plan.highlight_tokens())
        return search.results(total, hits)

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Titles containing the earlier tokens and a token starting with the last one."""
        tokens, limit = suggest_input(prefix, limit)
        if not tokens:
            return []
        query = prefix_query(tokens)
        sql = (f"SELECT d.title FROM {self._name} d WHERE d.tsv @@ %s::tsquery"
               f" ORDER BY {RANK} * d.boost DESC, d.id LIMIT %s")
        rows = self._read(lambda conn: conn.execute(sql, [query, query, limit * 4]).fetchall())
        return first_unique((title for (title,) in rows), limit)

    def document_count(self) -> int:
        """Number of documents in the latest committed state."""
        sql = f"SELECT count(*) FROM {self._name}"
        return self._read(lambda conn: conn.execute(sql).fetchone()[0])

    # -- writing ---------------------------------------------------------------------

    def apply(self, upserts: Iterable[IndexDocument], deletes: Iterable[str]) -> None:
        """Upsert and delete by key in one transaction; an upsert wins over a delete of
        its key."""
        latest, delete_keys = net_changes(upserts, deletes)
        if not latest and not delete_keys:
            return
        rows = {key: _values(doc, token_row(doc)) for key, doc in latest.items()}
        delete = f"DELETE FROM {self._name} WHERE key = %s"
        for attempt in range(1, WRITE_RETRIES + 1):
            conn = self._connections.get()
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
                for batch in analysed_batches(docs, REBUILD_BATCH):
                    with conn.cursor() as cur, cur.copy(copy_sql) as copy:
                        for doc, tokens in batch:
                            copy.write_row(_values(doc, tokens))
                    count += len(batch)
                    if progress is not None:
                        progress(len(batch))
                create_indexes(conn, build)
                conn.execute(f"ANALYZE {quote_table(build)}")
                swap_in(conn, build, self.table)
        finally:
            conn.close()
        return count

    def close(self) -> None:
        """Close every connection (a later call reopens one)."""
        self._connections.close()
