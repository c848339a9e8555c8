"""PostgreSQL: pg_dump in the same snapshot the manifest is read from, pg_restore back.

The password goes to pg_dump/pg_restore in PGPASSWORD, not on the command line (where
every user of the machine could read it in the process list)."""

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, inspect

from portal.backup.archive import BackupError

DUMP_NAME = "portal.pgdump"
TIMEOUT_SECONDS = 6 * 3600
# A restore waits this long for a lock, then fails: a session of a still-running app would
# otherwise make it hang for ever.
LOCK_TIMEOUT = "30s"


def libpq_connection(engine: Engine) -> tuple[str, dict[str, str]]:
    """A libpq URL for the configured database (the SQLAlchemy URL without its
    "+psycopg" driver and without the password) and the environment carrying the password."""
    url = engine.url.set(drivername="postgresql")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
        url = url.set(password=None)
    return url.render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str] | None = None) -> str:
    try:
        # No shell: the arguments are a list of the configured pg_dump path and our options.
        result = subprocess.run(  # noqa: S603
            args,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except FileNotFoundError:
        raise BackupError(
            f"{args[0]} was not found; install the PostgreSQL client tools "
            "or set PG_DUMP_PATH / PG_RESTORE_PATH."
        ) from None
    if result.returncode != 0:
        tool = Path(args[0]).name
        raise BackupError(f"{tool} failed: {result.stderr.strip() or result.returncode}")
    return result.stdout


@contextmanager
def snapshot(
    engine: Engine, workdir: Path, pg_dump: str = "pg_dump", **_tools
) -> Iterator[tuple[Connection, Path]]:
    """Dump the database into ``workdir`` and yield a connection that sees the very same
    snapshot (exported to pg_dump), so the manifest describes exactly what was dumped."""
    dump = workdir / DUMP_NAME
    url, env = libpq_connection(engine)
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        snapshot_id = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
        _run(
            [
                pg_dump,
                "--format=custom",
                f"--snapshot={snapshot_id}",
                f"--file={dump}",
                f"--lock-wait-timeout={LOCK_TIMEOUT}",
                f"--dbname={url}",
            ],
            env,
        )
        yield conn, dump
        conn.rollback()


def verify_dump(dump: Path, pg_restore: str = "pg_restore", **_tools) -> None:
    """pg_restore can read the dump's table of contents (a damaged file fails here)."""
    _run([pg_restore, "--list", str(dump)])


def dump_foreign_keys(dump: Path, pg_restore: str = "pg_restore") -> set[str]:
    """Names of the foreign keys the dump creates (from its table of contents)."""
    names = set()
    for line in _run([pg_restore, "--list", str(dump)]).splitlines():
        words = line.split()
        if not line.startswith(";") and "FK" in words and "CONSTRAINT" in words:
            names.add(words[words.index("CONSTRAINT") + 3])  # CONSTRAINT schema table name
    return names


def restore_dump(
    engine: Engine, dump: Path, tables: list[str], pg_restore: str = "pg_restore", **_tools
) -> None:
    """Restore ``dump`` over the configured database in one transaction."""
    url, env = libpq_connection(engine)
    env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c lock_timeout={LOCK_TIMEOUT}".strip()
    # --clean only drops what the dump holds. A table a later migration added would survive
    # and then stop the migrations from creating it again: drop what the backup lacks. So
    # would a foreign key a later migration added to a table the dump also holds, and it
    # stops --clean dropping the key it points at: drop those too (the migrations after
    # the restore make them again).
    dump_keys = dump_foreign_keys(dump, pg_restore)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        quote = conn.dialect.identifier_preparer.quote
        existing = set(inspect(conn).get_table_names())
        for name in sorted(existing - set(tables)):
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {quote(name)} CASCADE")
        for name in sorted(existing & set(tables)):
            for key in inspect(conn).get_foreign_keys(name):
                if key.get("name") and key["name"] not in dump_keys:
                    conn.exec_driver_sql(
                        f"ALTER TABLE {quote(name)} DROP CONSTRAINT IF EXISTS {quote(key['name'])}"
                    )
    engine.dispose()  # an idle pooled connection must not hold locks pg_restore needs
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={url}",
            str(dump),
        ],
        env,
    )
