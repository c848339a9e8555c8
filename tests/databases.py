"""The suite's test databases: each test gets one that looks freshly migrated.

SQLite: a copy of one migrated file. PostgreSQL: a few databases per xdist worker, made from
the migrated one as a template once and then put back to the template's state between
tests, which is much cheaper than a database per test (DROP DATABASE waits for a checkpoint
of the whole server)."""

import itertools
import os
import shutil
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url


class SQLiteDatabases:
    """Each test's database is a copy of one migrated SQLite file."""

    def __init__(self, template_dir):
        self.template = template_dir / "portal.db"
        self.template_url = f"sqlite:///{self.template}"

    def template_ready(self) -> None:
        """Nothing to note: the file is the template."""

    def new(self, data_dir) -> str:
        shutil.copy(self.template, data_dir / "portal.db")
        return f"sqlite:///{data_dir / 'portal.db'}"

    def drop(self, url: str) -> None:
        """The file goes with the test's temp dir."""

    def finish(self) -> None:
        """Nothing outlives the session's temp dirs."""


# What a schema is made of, to tell a database whose schema a test changed (a restored
# backup, a migration run down and up) from one that only holds other rows.
SCHEMA_QUERY = """
SELECT concat_ws('|',
  (SELECT string_agg(concat_ws(':', c.relname, c.relkind, a.attname,
                               format_type(a.atttypid, a.atttypmod), a.attnotnull,
                               pg_get_expr(d.adbin, d.adrelid)), ','
                     ORDER BY c.relname, a.attnum)
     FROM pg_class c
     LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
    WHERE c.relnamespace = 'public'::regnamespace),
  (SELECT string_agg(indexdef, ',' ORDER BY indexname) FROM pg_indexes
    WHERE schemaname = 'public'),
  (SELECT string_agg(conname || ':' || pg_get_constraintdef(oid), ',' ORDER BY conname)
     FROM pg_constraint WHERE connamespace = 'public'::regnamespace),
  (SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension),
  (SELECT string_agg(proname, ',' ORDER BY proname) FROM pg_proc
    WHERE pronamespace = 'public'::regnamespace),
  (SELECT string_agg(version_num, ',') FROM alembic_version))
"""


@dataclass
class Template:
    """The migrated database's state that a reset puts back."""

    schema: str
    tables: list[str]  # every table but alembic_version
    extensions: set[str]
    rows: dict[str, tuple[list[str], list[tuple]]]  # rows the migrations inserted
    sequences: dict[str, tuple[int | None, bool]]  # last value, is_called
    superuser: bool  # may skip foreign-key checks (session_replication_role)
    empty_check: str = field(init=False)

    def __post_init__(self):
        # One round trip tells which tables hold rows.
        self.empty_check = " UNION ALL ".join(
            f"(SELECT '{name}' FROM {_quoted(name)} LIMIT 1)" for name in self.tables
        )


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tables(connection: Connection) -> list[str]:
    return list(
        connection.scalars(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version' ORDER BY tablename"
            )
        )
    )


def _sequences(connection: Connection) -> dict[str, tuple[int | None, bool]]:
    # pg_sequences.last_value is NULL before the first nextval(), like is_called = false.
    rows = connection.execute(
        text(
            "SELECT format('%I.%I', schemaname, sequencename), last_value "
            "FROM pg_sequences WHERE schemaname = 'public'"
        )
    )
    return {name: (value, value is not None) for name, value in rows}


def read_template(connection: Connection) -> Template:
    tables = _tables(connection)
    rows = {}
    for name in tables:
        result = connection.execute(text(f"SELECT * FROM {_quoted(name)}"))
        found = [tuple(row) for row in result]
        if found:
            rows[name] = (list(result.keys()), found)
    return Template(
        schema=connection.scalar(text(SCHEMA_QUERY)),
        tables=tables,
        extensions=set(connection.scalars(text("SELECT extname FROM pg_extension"))),
        rows=rows,
        sequences=_sequences(connection),
        superuser=connection.scalar(
            text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        ),
    )


def reset(connection: Connection, template: Template) -> bool:
    """Put a database created from ``template`` back to its state, in one transaction:
    tables and extensions it lacked dropped, rows deleted, the migrations' rows and the
    sequences restored. False when its schema differs otherwise (then make it again)."""
    # Connections a test left open (a killed process's) would hold locks: ended first.
    connection.execute(
        text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    )
    for name in set(_tables(connection)) - set(template.tables):
        connection.execute(text(f"DROP TABLE IF EXISTS {_quoted(name)} CASCADE"))
    extensions = set(connection.scalars(text("SELECT extname FROM pg_extension")))
    for name in extensions - template.extensions:
        connection.execute(text(f"DROP EXTENSION IF EXISTS {_quoted(name)} CASCADE"))
    if connection.scalar(text(SCHEMA_QUERY)) != template.schema:
        return False
    filled = set(connection.scalars(text(template.empty_check))) | set(template.rows)
    if filled and template.superuser:
        # DELETE is ~15 times faster than TRUNCATE on these small tables (TRUNCATE makes new
        # files for each table and index). The replica role skips the foreign-key checks,
        # so the order does not matter (posts and topics point at each other).
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for name in sorted(filled):
            connection.execute(text(f"DELETE FROM {_quoted(name)}"))
        connection.execute(text("SET LOCAL session_replication_role = DEFAULT"))
    elif filled:
        # CASCADE empties the tables that point at these too.
        names = ", ".join(_quoted(name) for name in sorted(filled))
        connection.execute(text(f"TRUNCATE {names} CASCADE"))
    for name, (columns, rows) in template.rows.items():
        insert = text(
            f"INSERT INTO {_quoted(name)} ({', '.join(_quoted(c) for c in columns)}) "
            f"VALUES ({', '.join(f':c{i}' for i in range(len(columns)))})"
        )
        connection.execute(insert, [{f"c{i}": v for i, v in enumerate(row)} for row in rows])
    current = _sequences(connection)
    moved = {name: state for name, state in template.sequences.items() if current[name] != state}
    if moved:
        calls = ", ".join(
            f"setval('{name}', {value or 1}, {'true' if called else 'false'})"
            for name, (value, called) in moved.items()
        )
        connection.execute(text(f"SELECT {calls}"))
    return True


class PostgresDatabases:
    """Databases made from the migrated one (CREATE DATABASE ... TEMPLATE), each reused by
    later tests once ``drop()`` gave it back: ``new()`` resets it first."""

    def __init__(self, url: str):
        # Under pytest-xdist each worker process has its own template (and copies of it).
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        name = make_url(url).database
        self.template_name = f"{name}_{worker}" if worker else name
        self.url = make_url(url).set(database=self.template_name)
        self.template_url = self.url.render_as_string(hide_password=False)
        self.counter = itertools.count(1)
        self.template: Template | None = None
        self.free: list[str] = []  # made and given back, to reset before the next use
        self.made: set[str] = set()
        self.engines: dict[str, Engine] = {}  # to reset each database
        # Maintenance connection to the server's own database, outside any transaction.
        self.admin = create_engine(self.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        self._execute(f'DROP DATABASE IF EXISTS "{self.template_name}" WITH (FORCE)')
        self._execute(f'CREATE DATABASE "{self.template_name}"')

    def _execute(self, statement: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(statement))

    def _url(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def template_ready(self) -> None:
        """Note the migrated template's state, which each reset puts back."""
        engine = create_engine(self.template_url)
        with engine.connect() as connection:
            self.template = read_template(connection)
        engine.dispose()

    def _create(self) -> str:
        name = f"{self.template_name}_{next(self.counter)}"
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template_name}"')
        # Test databases need not wait for the disk at each commit; what a commit shows
        # to other connections is the same.
        self._execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        self.made.add(name)
        return name

    def _reset(self, name: str) -> bool:
        # One engine per database, kept: a new connection costs ~15 ms.
        engine = self.engines.get(name) or create_engine(self._url(name), pool_size=1)
        self.engines[name] = engine
        with engine.connect() as connection:
            done = reset(connection, self.template)
            (connection.commit if done else connection.rollback)()
        return done

    def new(self, data_dir) -> str:
        while self.free:
            name = self.free.pop()
            if self._reset(name):
                return self._url(name)
            self._forget(name)  # its schema was changed: a new one instead
        return self._url(self._create())

    def drop(self, url: str) -> None:
        self.free.append(make_url(url).database)

    def _forget(self, name: str) -> None:
        if name in self.engines:
            self.engines.pop(name).dispose()
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.made.discard(name)

    def finish(self) -> None:
        for name in list(self.made):
            self._forget(name)
        self._execute(f'DROP DATABASE IF EXISTS "{self.template_name}" WITH (FORCE)')
        self.admin.dispose()
