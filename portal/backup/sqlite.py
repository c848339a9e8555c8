"""SQLite: copy with the online backup API (never the live file, which may have a WAL
beside it), and put a restored copy in place atomically."""

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine

from portal.backup.archive import BackupError

DUMP_NAME = "portal.sqlite3"
# Left beside the database by SQLite; a stale one would be replayed onto the restored file.
_SIDE_FILES = ("-wal", "-shm", "-journal")


def database_path(engine: Engine) -> Path:
    name = engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError(f"Cannot back up the SQLite database {name!r}: not a plain file.")
    return Path(name).resolve()


@contextmanager
def snapshot(engine: Engine, workdir: Path, **_tools) -> Iterator[tuple[Connection, Path]]:
    """Copy the database into ``workdir`` and yield a connection to the copy (to read the
    manifest figures from exactly what was copied) and its path."""
    source_path = database_path(engine)
    if not source_path.exists():
        raise BackupError(f"The database {source_path} does not exist.")
    dump = workdir / DUMP_NAME
    with (
        closing(sqlite3.connect(source_path, timeout=30)) as source,
        closing(sqlite3.connect(dump)) as target,
    ):
        # One step (pages=-1) reads one consistent state: a stepped copy restarts whenever
        # another connection writes, and might never finish on a busy site. Writers wait for
        # the copy (it runs at disk speed), or not at all in WAL mode.
        source.backup(target)
    copy = create_engine(f"sqlite:///{dump}")
    try:
        with copy.connect() as conn:
            yield conn, dump
    finally:
        copy.dispose()


def verify_dump(dump: Path, **_tools) -> None:
    """Refuse a copy SQLite itself does not find sound, before anything is replaced."""
    try:
        with closing(sqlite3.connect(dump)) as conn:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise BackupError(f"The database in the backup cannot be read ({error}).") from None
    if result != "ok":
        raise BackupError(f"The database in the backup is damaged ({result}).")


def restore_dump(engine: Engine, dump: Path, tables: list[str], **_tools) -> None:
    """Replace the configured database file with ``dump``: copied to a temporary file in the
    same directory, then renamed over the old one, so there is never a half-written file."""
    target = database_path(engine)
    engine.dispose()  # pooled connections would keep using the old file
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        with closing(sqlite3.connect(target, timeout=30)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # no-op outside WAL mode
    fd, temp_name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".restore"
    )
    try:
        with os.fdopen(fd, "wb") as out, Path(dump).open("rb") as source:
            shutil.copyfileobj(source, out, 1024 * 1024)
            out.flush()
            os.fsync(out.fileno())
        if target.exists():
            shutil.copymode(target, temp_name)  # mkstemp made it 0600
        Path(temp_name).replace(target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    for suffix in _SIDE_FILES:
        Path(f"{target}{suffix}").unlink(missing_ok=True)
