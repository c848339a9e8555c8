"""PostgreSQL index table: the database URL, per-thread connections, the schema and the
rebuild swap.

The index is derived data, rebuildable from the portal's own tables at any time (like the
Whoosh directory), so the backend creates its table when it is missing rather than through
an Alembic migration: it may live in another database than the app's (SEARCH_DATABASE_URL),
which the app's migrations never touch, and every rebuild replaces the table wholesale
(a new table renamed over the old one), which a migration history could not follow.

The table records its layout in its comment (LAYOUT). A table of an older layout is left
alone: searches and writes refuse it with a message naming the reindex command, its
document_count() is 0 (so `search reindex --if-missing` rebuilds it), and rebuild()
replaces it. The text column is indexed with RUM (the `rum` extension) when the server
has it, else with GIN; query.py reads either.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import uuid
from dataclasses import dataclass

import psycopg
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from search.backend import REINDEX_COMMAND, OutdatedIndexError
from search.postgres.idf import STATISTICS_TARGET

__all__ = [
    "DEFAULT_TABLE",
    "LAYOUT",
    "REINDEX_HINT",
    "Connections",
    "IndexLayoutError",
    "TableState",
    "build_table_name",
    "conninfo",
    "create_indexes",
    "create_table",
    "enable_rum",
    "ensure_table",
    "is_engine_table",
    "quote_table",
    "swap_in",
    "table_state",
]

logger = logging.getLogger(__name__)

DEFAULT_TABLE = "search_documents"
_TABLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,40}")
CONNECT_TIMEOUT_SECONDS = 10
# Bumped whenever the rows or indexes change meaning. 2: Han characters and bigrams in
# the tsvector, a RUM or GIN index, no freshness column (the re-rank computes it); 3: the
# title's words repeated behind a mark (the GIN pool's title tier). A table without this
# comment is layout 1.
LAYOUT = "portal-search layout 3"
REINDEX_HINT = f"rebuild it with `{REINDEX_COMMAND}`"


class IndexLayoutError(OutdatedIndexError):
    """The index table was built by an older version of this backend."""


@dataclass(frozen=True)
class TableState:
    """What the live table is: its layout comment matches LAYOUT; its text index is RUM."""

    current: bool
    rum: bool


def conninfo(url: str) -> str:
    """A libpq connection URL from a PostgreSQL URL in SQLAlchemy or libpq spelling
    (``postgresql+psycopg://`` works); ValueError for anything else."""
    try:
        parsed = make_url(str(url))
    except ArgumentError:
        raise ValueError("the postgres search backend needs a postgresql:// database URL") from None
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(
            "the postgres search backend needs a postgresql:// database URL, "
            f"not {parsed.drivername}://"
        )
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def quote_table(name: str) -> str:
    """``name`` as a quoted identifier; only plain lower-case names are accepted, so the
    table name (configuration, never user text) is safe to put into SQL."""
    if not _TABLE_NAME.fullmatch(name):
        raise ValueError(f"search table name must match {_TABLE_NAME.pattern}: {name!r}")
    return f'"{name}"'


def build_table_name(table: str) -> str:
    """A fresh name for the table a rebuild fills before it is swapped in."""
    return f"{_build_prefix(table)}{uuid.uuid4().hex[:10]}"


def _build_prefix(table: str) -> str:
    return f"{table}_build_"


def is_engine_table(name: str, table: str) -> bool:
    """True for ``table`` itself and the build tables of its rebuilds."""
    return name == table or name.startswith(_build_prefix(table))


def create_table(
    conn: psycopg.Connection, table: str, indexes: bool = True, rum: bool = False
) -> None:
    """Create the index table ``table`` (and its indexes unless ``indexes`` is False: a
    bulk load builds them once at the end, which is much faster)."""
    name = quote_table(table)
    conn.execute(f"""
        CREATE TABLE {name} (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            key text NOT NULL UNIQUE,
            doc_type text NOT NULL,
            doc_id bigint NOT NULL,
            slug text NOT NULL,
            title text NOT NULL,
            tags text NOT NULL,
            body text NOT NULL,
            language text NOT NULL,
            category_ids bigint[] NOT NULL,  -- the category and all its ancestors
            boost double precision NOT NULL,
            updated timestamp,  -- UTC
            tsv tsvector NOT NULL  -- query.tsvector_literal
        )""")
    conn.execute(f"COMMENT ON TABLE {name} IS '{LAYOUT}'")
    # The document counts of the idf come from this column's statistics (idf.py).
    conn.execute(f"ALTER TABLE {name} ALTER COLUMN tsv SET STATISTICS {STATISTICS_TARGET}")
    if indexes:
        create_indexes(conn, table, rum)


def create_indexes(conn: psycopg.Connection, table: str, rum: bool = False) -> None:
    """The text index (RUM when ``rum``, else GIN) and the category filter's GIN index
    (names chosen by the server, so a build table's never clash with the live table's)."""
    name = quote_table(table)
    method = "rum (tsv rum_tsvector_ops)" if rum else "gin (tsv)"
    conn.execute(f"CREATE INDEX ON {name} USING {method}")
    conn.execute(f"CREATE INDEX ON {name} USING gin (category_ids)")


def enable_rum(conn: psycopg.Connection) -> bool:
    """True when the `rum` extension is in the database, created here if the server has
    it and we may (an extension needs the right privileges); False otherwise."""
    installed = "SELECT 1 FROM pg_extension WHERE extname = 'rum'"
    if conn.execute(installed).fetchone():
        return True
    if not conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'").fetchone():
        return False
    try:
        with conn.transaction():
            # Two processes starting at once would race on the extension's catalog rows.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('portal-search:rum'))")
            conn.execute("CREATE EXTENSION IF NOT EXISTS rum")
    except psycopg.Error as exc:
        logger.warning("the rum extension could not be created (%s); search uses GIN", exc)
        return False
    return True


def table_state(conn: psycopg.Connection, table: str) -> TableState | None:
    """The live table's :class:`TableState`, None when it does not exist."""
    row = conn.execute(
        """
        SELECT obj_description(c.oid, 'pg_class'),
               EXISTS (SELECT 1 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                       JOIN pg_am am ON am.oid = ic.relam
                       WHERE i.indrelid = c.oid AND am.amname = 'rum')
        FROM pg_class c WHERE c.oid = to_regclass(%s)""",
        [quote_table(table)],
    ).fetchone()
    if row is None:
        return None
    return TableState(current=row[0] == LAYOUT, rum=bool(row[1]))


def ensure_table(conn: psycopg.Connection, table: str, rum: bool = False) -> TableState:
    """Create ``table`` unless it exists (its text index RUM when ``rum``); safe when
    several processes start at once. Returns the table's state."""
    with conn.transaction():
        # CREATE TABLE IF NOT EXISTS can still fail on a race (pg_type unique key), so
        # starters queue on an advisory lock named after the table.
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"portal-search:{table}"])
        state = table_state(conn, table)
        if state is None:
            create_table(conn, table, rum=rum)
            state = TableState(current=True, rum=rum)
    if not state.current:
        logger.warning("search table %s has an older layout: %s", table, REINDEX_HINT)
    return state


def swap_in(conn: psycopg.Connection, build: str, table: str) -> None:
    """Replace ``table`` by the filled ``build`` table, inside the caller's transaction.

    Statements waiting on the old table's lock look its name up again once they get
    it, so they run against the new table; nobody ever sees the name missing.
    """
    conn.execute(f"DROP TABLE {quote_table(table)}")
    conn.execute(f"ALTER TABLE {quote_table(build)} RENAME TO {quote_table(table)}")


class Connections:
    """One autocommit connection per thread (psycopg connections serialise their users),
    opened on first use, replaced when broken, and forgotten after a fork."""

    def __init__(self, url: str) -> None:
        self.conninfo = conninfo(url)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[psycopg.Connection] = []
        self._pid = os.getpid()

    def open(self) -> psycopg.Connection:
        """A new connection of the caller's own (rebuilds use one for their transaction)."""
        conn = psycopg.connect(
            self.conninfo,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            application_name="portal-search",
        )
        # The planner prices `tsv @@ query` as one cheap operator call per row and so
        # prefers a sequential scan for common words, which reads and decompresses every
        # row's tsvector: several times slower than the index. These connections only
        # serve the index table, where an index always exists.
        conn.execute("SET enable_seqscan = off")
        # A search's pool keeps a thousand decompressed tsvectors (statements.py); with
        # the default 4 MB they spill to a temporary file. Compiling a search's plan
        # (jit) costs more than the whole search is meant to take.
        conn.execute("SET work_mem = '32MB'")
        conn.execute("SET jit = off")
        return conn

    def get(self) -> psycopg.Connection:
        """This thread's connection."""
        if self._pid != os.getpid():
            # Inherited across fork: the socket belongs to the parent; never touch it.
            self._local, self._all, self._pid = threading.local(), [], os.getpid()
        conn = getattr(self._local, "conn", None)
        if conn is not None and not (conn.closed or conn.broken):
            return conn
        if conn is not None:
            self.discard()
        conn = self.open()
        with self._lock:
            self._all.append(conn)
        self._local.conn = conn
        return conn

    def discard(self) -> None:
        """Close this thread's connection; the next get() opens another."""
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is None:
            return
        with self._lock:
            if conn in self._all:
                self._all.remove(conn)
        conn.close()

    def close(self) -> None:
        """Close every connection opened here, in any thread."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
        self._local = threading.local()
