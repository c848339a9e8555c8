"""SQLite in write-ahead-log mode with NORMAL sync: a commit appends to the WAL without
waiting for the disk, and readers never block the writer.

Every search writes a SearchLog row, and with the default rollback journal each of those
commits waited for two fsyncs while holding the database's only write lock, which bounded
the search routes' throughput under several workers. In WAL mode with synchronous=NORMAL a
process that crashes or is killed loses nothing committed; only a power cut or an operating
system crash can lose the last commits before the WAL was synced (at a checkpoint), and the
database stays consistent. PostgreSQL databases are untouched.

A writer that finds the write lock taken waits up to BUSY_TIMEOUT_MS for it instead of
answering "database is locked" (a vote storm beside searches that each log a row)."""

from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_TIMEOUT_MS = 15_000


def _on_connect(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def install(engine: Engine) -> None:
    """WAL and NORMAL sync on every new connection of a file-backed SQLite ``engine``."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return
    if not event.contains(engine, "connect", _on_connect):
        event.listen(engine, "connect", _on_connect)
