"""A throwaway PostgreSQL database, for the benchmarks and the postgres engine's tests.

The server is PORTAL_TEST_DATABASE_URL (any database on it; default: the local
postgresql://postgres@127.0.0.1:5432/postgres). A database with a unique name is created
there and dropped afterwards, so nothing real is ever touched."""

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

SERVER_ENV = "PORTAL_TEST_DATABASE_URL"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def server_url() -> str:
    """The PostgreSQL server to create throwaway databases on."""
    return os.environ.get(SERVER_ENV) or DEFAULT_SERVER


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def unavailable_reason() -> str | None:
    """None when the server answers, else why not (for a skip message)."""
    try:
        with psycopg.connect(_libpq(server_url()), connect_timeout=3):
            return None
    except (psycopg.Error, ValueError) as exc:
        where = make_url(server_url()).render_as_string(hide_password=True)
        return f"no PostgreSQL server at {where} (set {SERVER_ENV}): {exc}".strip()


@contextmanager
def throwaway_database(prefix: str = "portal_throwaway") -> Iterator[str]:
    """Create an empty database, yield its URL, drop it (even while connections remain)."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    server = _libpq(server_url())
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def engine_configs(names: list[str], stack: ExitStack) -> dict[str, dict]:
    """Extra app configuration per engine to run: postgres gets a throwaway database that
    ``stack`` drops, or is left out with a printed line when no server answers."""
    configs: dict[str, dict] = {name: {} for name in names}
    if "postgres" in configs:
        reason = unavailable_reason()
        if reason:
            print(f"postgres skipped: {reason}")
            del configs["postgres"]
        else:
            url = stack.enter_context(throwaway_database("portal_bench"))
            configs["postgres"] = {"SEARCH_DATABASE_URL": url}
    return configs
