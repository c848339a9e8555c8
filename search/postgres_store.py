"""PostgreSQL index table: the database URL, per-thread connections, the schema and the
rebuild swap.

The index is derived data, rebuildable from the portal's own tables at any time (like the
Whoosh directory), so the backend creates its table when it is missing rather than through
an Alembic migration: it may live in another database than the app's (SEARCH_DATABASE_URL),
which the app's migrations never touch, and every rebuild replaces the table wholesale
(a new table renamed over the old one), which a migration history could not follow.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import uuid

import psycopg
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

__all__ = ["DEFAULT_TABLE", "Connections", "build_table_name", "conninfo", "create_indexes",
           "create_table", "ensure_table", "quote_table", "swap_in"]

logger = logging.getLogger(__name__)

DEFAULT_TABLE = "search_documents"
_TABLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,40}")
CONNECT_TIMEOUT_SECONDS = 10


def conninfo(url: str) -> str:
    """A libpq connection URL from a PostgreSQL URL in SQLAlchemy or libpq spelling
    (``postgresql+psycopg://`` works); ValueError for anything else."""
    try:
        parsed = make_url(str(url))
    except ArgumentError:
        raise ValueError("the postgres search backend needs a postgresql:// database URL") \
            from None
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
    return f"{table}_build_{uuid.uuid4().hex[:10]}"


def create_table(conn: psycopg.Connection, table: str, indexes: bool = True) -> None:
    """Create the index table ``table`` (and its GIN indexes unless ``indexes`` is False:
    a bulk load builds them once at the end, which is much faster)."""
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
            freshness double precision NOT NULL,  -- token_documents.freshness_anchor
            tsv tsvector NOT NULL  -- postgres_query.tsvector_literal
        )""")
    if indexes:
        create_indexes(conn, table)


def create_indexes(conn: psycopg.Connection, table: str) -> None:
    """The GIN indexes for text matches and the category filter (names chosen by the
    server, so a build table's never clash with the live table's)."""
    name = quote_table(table)
    conn.execute(f"CREATE INDEX ON {name} USING gin (tsv)")
    conn.execute(f"CREATE INDEX ON {name} USING gin (category_ids)")


def ensure_table(conn: psycopg.Connection, table: str) -> None:
    """Create ``table`` unless it exists; safe when several processes start at once."""
    with conn.transaction():
        # CREATE TABLE IF NOT EXISTS can still fail on a race (pg_type unique key), so
        # starters queue on an advisory lock named after the table.
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"portal-search:{table}"])
        found = conn.execute("SELECT to_regclass(%s)", [quote_table(table)]).fetchone()[0]
        if found is None:
            create_table(conn, table)


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
        return psycopg.connect(self.conninfo, autocommit=True,
                               connect_timeout=CONNECT_TIMEOUT_SECONDS,
                               application_name="portal-search")

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
