"""SQLite FTS5 implementation of SearchBackend, over the portal analyzer's own tokens."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from search.backend import IndexDocument, SearchHit, SearchRequest, SearchResults
from search.paging import first_unique, suggest_input
from search.sql_common import doc_filters, page_hits, plan_search
from search.sqlite_query import (
    BM25,
    CATEGORY_CONDITION,
    count_statement,
    prefix_match,
    search_statement,
)
from search.sqlite_store import IndexFiles
from search.token_documents import (
    REBUILD_BATCH,
    analysed_batches,
    document_boost,
    freshness_anchor,
    freshness_now,
    net_changes,
    token_row,
)

__all__ = ["SqliteBackend"]

logger = logging.getLogger(__name__)

WRITE_RETRIES = 3  # a rebuild may swap the generation while a writer waits for its lock

_INSERT_DOC = (
    "INSERT INTO docs (id, key, doc_type, doc_id, slug, title, body, language, boost,"
    " freshness) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_FTS = (
    "INSERT INTO fts (rowid, title, tags, body, title_sub, tags_sub, body_sub)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _doc_values(doc_rowid: int, doc: IndexDocument) -> tuple:
    return (
        doc_rowid,
        doc.key,
        doc.doc_type or "",
        int(doc.doc_id),
        doc.slug or "",
        doc.title or "",
        doc.body or "",
        doc.language or "",
        document_boost(doc),
        freshness_anchor(doc.updated),
    )


def _insert_rows(conn: sqlite3.Connection, rows: list[tuple[IndexDocument, tuple]]) -> None:
    # Explicit ids let every table be written with one executemany.
    first = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM docs").fetchone()[0]
    numbered = list(enumerate(rows, start=first))
    conn.executemany(_INSERT_DOC, [_doc_values(i, doc) for i, (doc, _) in numbered])
    conn.executemany(_INSERT_FTS, [(i, *tokens) for i, (_, tokens) in numbered])
    conn.executemany(
        "INSERT OR IGNORE INTO doc_categories (doc, category_id) VALUES (?, ?)",
        [(i, int(c)) for i, (doc, _) in numbered for c in doc.category_ids],
    )


def _delete(conn: sqlite3.Connection, keys: Iterable[str]) -> None:
    for key in keys:
        row = conn.execute("SELECT id FROM docs WHERE key = ?", (key,)).fetchone()
        if row is None:
            continue
        conn.execute("DELETE FROM fts WHERE rowid = ?", row)
        conn.execute("DELETE FROM doc_categories WHERE doc = ?", row)
        conn.execute("DELETE FROM docs WHERE id = ?", row)


class SqliteBackend:
    """SearchBackend over one SQLite FTS5 file in ``index_dir`` (created when missing).

    Readers use one connection per thread in WAL mode, so they never block the writer
    and see another process's commit on their next query. Writers take the database's
    write lock with BEGIN IMMEDIATE (waiting up to the busy timeout).
    """

    def __init__(self, index_dir: str | Path) -> None:
        self.index_dir = Path(index_dir)
        self._files = IndexFiles(self.index_dir)
        self._write_lock = threading.Lock()  # one writer per process at a time

    # -- reading ---------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResults:
        """Search with filters and paging; only the returned page is highlighted."""
        search = plan_search(request)
        plan, page, per_page, offset = search.plan, search.page, search.per_page, search.offset
        if plan is None:
            return search.results()
        filters = doc_filters(search, "?", CATEGORY_CONDITION)
        sql, params = search_statement(plan, filters, freshness_now())
        conn = self._files.connection()
        conn.execute("BEGIN")  # one snapshot for ranking, counting and loading the page
        try:
            rows = conn.execute(f"{sql} LIMIT ? OFFSET ?", [*params, per_page, offset]).fetchall()
            if (rows or page == 1) and len(rows) < per_page:
                total = offset + len(rows)  # the last page: no need to count
            else:
                count_sql, count_params = count_statement(plan, filters)
                total = conn.execute(count_sql, count_params).fetchone()[0]
            hits = self._hits(conn, rows, offset, plan.highlight_tokens()) if rows else []
        finally:
            conn.execute("COMMIT")
        return search.results(total, hits)

    @staticmethod
    def _hits(conn, rows, offset: int, tokens: set[str]) -> list[SearchHit]:
        ids = [row[0] for row in rows]
        marks = ", ".join("?" * len(ids))
        stored = {
            row[0]: row[1:]
            for row in conn.execute(
                f"SELECT id, key, doc_type, doc_id, slug, title, body FROM docs"
                f" WHERE id IN ({marks})",
                ids,
            )
        }
        return page_hits(((score, *stored[doc_rowid]) for doc_rowid, score in rows),
                         offset, tokens)

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Titles containing the earlier tokens and a token starting with the last one."""
        tokens, limit = suggest_input(prefix, limit)
        if not tokens:
            return []
        rows = self._files.connection().execute(
            f"SELECT d.title FROM fts JOIN docs d ON d.id = fts.rowid WHERE fts MATCH ?"
            f" ORDER BY {BM25} * d.boost, d.id LIMIT ?",
            (prefix_match(tokens), limit * 4),
        )
        return first_unique((title for (title,) in rows), limit)

    def document_count(self) -> int:
        """Number of documents in the latest committed state."""
        return self._files.connection().execute("SELECT count(*) FROM docs").fetchone()[0]

    # -- writing ---------------------------------------------------------------------

    def _write(self, work: Callable[[sqlite3.Connection], None]) -> None:
        # BEGIN IMMEDIATE takes the write lock now (waiting up to the busy timeout), so a
        # transaction never fails half-way on a lock upgrade. If a rebuild swapped the
        # generation while we waited, this connection is on the retired file: start over.
        for _ in range(WRITE_RETRIES):
            conn = self._files.connection()
            generation = self._files.generation_id()
            conn.execute("BEGIN IMMEDIATE")
            try:
                if self._files.generation_id() != generation:
                    conn.execute("ROLLBACK")
                    self._files.drop_thread_connection()
                    continue
                work(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return
        raise sqlite3.OperationalError("search index generation kept changing")

    def apply(self, upserts: Iterable[IndexDocument], deletes: Iterable[str]) -> None:
        """Upsert and delete by key in one transaction; an upsert wins over a delete of
        its key."""
        latest, delete_keys = net_changes(upserts, deletes)
        if not latest and not delete_keys:
            return
        rows = [(doc, token_row(doc)) for doc in latest.values()]

        def work(conn: sqlite3.Connection) -> None:
            _delete(conn, [*delete_keys, *latest])
            _insert_rows(conn, rows)

        with self._write_lock:
            self._write(work)

    def rebuild(
        self,
        docs: Iterable[IndexDocument],
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Build a new generation from ``docs`` and swap it in; ``progress(n)`` per batch.

        Readers keep the old index until the swap, then see the complete new one. The old
        generation's write lock is held throughout, so no apply() lands in a file that is
        about to be retired (it waits, like the Whoosh backend's writer lock). A repeated
        key keeps its first document.
        """
        with self._write_lock:
            live = self._files.connection()
            live.execute("BEGIN IMMEDIATE")
            path = self._files.new_generation()
            build = None
            try:
                build = self._files.open_for_build(path)
                count = self._load(build, docs, progress)
                previous = self._files.swap_in(path, build)
            except BaseException:
                if build is not None:
                    build.close()
                live.execute("ROLLBACK")
                self._files.discard(path)
                raise
            live.execute("ROLLBACK")
            self._files.drop_thread_connection()
            self._files.discard(previous)
        return count

    @staticmethod
    def _load(conn, docs: Iterable[IndexDocument], progress) -> int:
        count = 0
        conn.execute("BEGIN")
        for batch in analysed_batches(docs, REBUILD_BATCH):
            _insert_rows(conn, batch)
            count += len(batch)
            if progress is not None:
                progress(len(batch))
        conn.execute("COMMIT")
        return count

    def close(self) -> None:
        """Close every connection (a later call reopens one)."""
        self._files.close()

