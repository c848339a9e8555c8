"""SQLite FTS5 index files: the schema, per-thread connections and the generation swap.

``<index_dir>/fts.sqlite3`` is a symlink to the live generation ``fts-<id>.sqlite3``;
rebuild writes a new generation and swaps the link with os.replace. Each generation keeps
its own -wal/-shm files (SQLite resolves the link), which is what makes the swap safe:
replacing a WAL database file in place would hand its old -wal to the new file.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import uuid
from pathlib import Path

from search.token_documents import TOKEN_COLUMNS

__all__ = ["IndexFiles", "LINK_NAME", "SCHEMA_VERSION", "create_schema"]

logger = logging.getLogger(__name__)

LINK_NAME = "fts.sqlite3"
SCHEMA_VERSION = 1
BUSY_TIMEOUT_SECONDS = 10.0
OPEN_RETRIES = 5

# The ascii tokenizer keeps every non-ASCII character inside a token and splits only on
# ASCII punctuation and spaces, so analyzer tokens (any script, 4.2.1, c++, c#) stay whole.
# Never trigram: it cannot index two-character Chinese words.
_TOKENIZER = "ascii tokenchars '.+#'"


def create_schema(conn: sqlite3.Connection) -> None:
    """Create the tables of an empty index generation."""
    columns = ", ".join(TOKEN_COLUMNS)
    conn.executescript(
        f"""
        CREATE TABLE docs (
            id INTEGER PRIMARY KEY,  -- the rowid of the document's row in fts
            key TEXT NOT NULL UNIQUE,
            doc_type TEXT NOT NULL,
            doc_id INTEGER NOT NULL,
            slug TEXT NOT NULL,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            language TEXT NOT NULL,
            boost REAL NOT NULL,
            freshness REAL NOT NULL  -- token_documents.freshness_anchor(updated)
        );
        CREATE TABLE doc_categories (
            doc INTEGER NOT NULL,
            category_id INTEGER NOT NULL,
            PRIMARY KEY (doc, category_id)
        ) WITHOUT ROWID;
        CREATE VIRTUAL TABLE fts USING fts5({columns}, tokenize="{_TOKENIZER}", prefix='1 2');
        PRAGMA user_version = {SCHEMA_VERSION};
        """
    )


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA synchronous = NORMAL")  # WAL: durable at checkpoints, never corrupt
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA cache_size = -16000")  # 16 MB per connection
    conn.execute("PRAGMA mmap_size = 268435456")


class IndexFiles:
    """The live generation of one index directory and this process's connections to it.

    Every thread gets its own connection (sqlite3 objects must not be shared between
    threads mid-statement); it is reopened when the link points at a new generation.
    """

    def __init__(self, index_dir: str | Path) -> None:
        self.index_dir = Path(index_dir)
        self.link = self.index_dir / LINK_NAME
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[sqlite3.Connection] = []  # for close(), whatever thread made them
        self._pid = os.getpid()
        self._ensure_exists()

    # -- generations -------------------------------------------------------------------

    def _ensure_exists(self) -> None:
        self.index_dir.mkdir(parents=True, exist_ok=True)
        if self.link.exists():
            return
        path = self.new_generation()
        self._seal(path, self.open_for_build(path))
        try:
            # Atomic create: with two processes starting at once, one link wins.
            os.symlink(path.name, self.link)
        except FileExistsError:
            self.discard(path)

    def new_generation(self) -> Path:
        """A fresh, not yet created generation file name."""
        return self.index_dir / f"fts-{uuid.uuid4().hex[:12]}.sqlite3"

    def open_for_build(self, path: Path) -> sqlite3.Connection:
        """Create ``path`` with the schema and return a connection tuned for bulk loading
        (no journal, no fsync: the file is not live until :meth:`swap_in`)."""
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA page_size = 8192")
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -64000")
        create_schema(conn)
        return conn

    def swap_in(self, path: Path, conn: sqlite3.Connection) -> Path | None:
        """Finish the bulk-loaded generation ``path`` and make it live; return the previous
        generation's file (the caller deletes it once it has let go of it)."""
        conn.execute("INSERT INTO fts(fts) VALUES ('optimize')")
        self._seal(path, conn)
        previous = self.target()
        temporary_link = self.index_dir / f".{path.name}.link"
        os.symlink(path.name, temporary_link)
        os.replace(temporary_link, self.link)
        return previous

    @staticmethod
    def _seal(path: Path, conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA journal_mode = WAL")  # persistent in the file
        conn.close()
        with open(path, "rb+") as handle:
            os.fsync(handle.fileno())  # it was loaded with synchronous=OFF

    def target(self) -> Path | None:
        """The live generation file (None when the link is a plain file or missing)."""
        try:
            return self.index_dir / os.readlink(self.link)
        except OSError:
            return None

    @staticmethod
    def discard(path: Path | None) -> None:
        """Delete a generation file and its -wal/-shm. Connections still open on it keep
        working on the unlinked files until they notice the new link."""
        if path is None:
            return
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                os.unlink(f"{path}{suffix}")
            except FileNotFoundError:
                pass

    def generation_id(self) -> int:
        """The inode of the live generation; it changes when rebuild swaps the link."""
        return os.stat(self.link).st_ino

    # -- connections -------------------------------------------------------------------

    def connection(self) -> sqlite3.Connection:
        """This thread's connection to the live generation, reopened after a swap."""
        if self._pid != os.getpid():
            # Inherited across fork: never touch the parent's handles, just forget them.
            self._local, self._all, self._pid = threading.local(), [], os.getpid()
        current = self.generation_id()
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.generation == current:
            return conn
        if conn is not None:
            self._forget(conn)
        conn = self._open()
        self._local.conn, self._local.generation = conn, current
        return conn

    def _open(self) -> sqlite3.Connection:
        # mode=rw: a generation deleted between reading the link and opening it must fail
        # (and be retried) instead of silently creating an empty database.
        for attempt in range(OPEN_RETRIES):
            try:
                conn = sqlite3.connect(
                    f"file:{self.link}?mode=rw",
                    uri=True,
                    timeout=BUSY_TIMEOUT_SECONDS,
                    isolation_level=None,
                    check_same_thread=False,
                )
                _configure(conn)
                break
            except sqlite3.OperationalError:
                if attempt == OPEN_RETRIES - 1:
                    raise
                time.sleep(0.01 * (attempt + 1))
        with self._lock:
            self._all.append(conn)
        return conn

    def _forget(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            if conn in self._all:
                self._all.remove(conn)
        conn.close()

    def drop_thread_connection(self) -> None:
        """Close this thread's connection (the next call to connection() reopens)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            self._local.conn = None
            self._forget(conn)

    def close(self) -> None:
        """Close every connection this object opened, in any thread."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            try:
                conn.close()
            except sqlite3.ProgrammingError:
                logger.debug("connection already closed")
        self._local = threading.local()
