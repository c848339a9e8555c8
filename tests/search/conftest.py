"""Fixtures of the search backend tests: every engine (tantivy, Whoosh, and PostgreSQL when
a server answers: PORTAL_TEST_DATABASE_URL, else 127.0.0.1:5432) on a real index of the
test's own, and a throwaway PostgreSQL database per session with a table per test."""

import uuid

import psycopg
import pytest

from bench._postgres import throwaway_database
from bench._postgres import unavailable_reason as postgres_unavailable
from search.postgres.backend import PostgresBackend
from search.postgres.store import conninfo
from search.tantivy import TantivyBackend
from search.whoosh.backend import WhooshBackend
from tests.search_helpers import instances

ENGINES = ["tantivy", "whoosh", pytest.param("postgres", marks=pytest.mark.postgres)]
BACKEND_CLASSES = {"tantivy": TantivyBackend, "whoosh": WhooshBackend}


@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway database for the whole session (skips when no server answers)."""
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    with throwaway_database("portal_test") as url:
        yield url


@pytest.fixture
def postgres_table(postgres_url):
    """A table name of this test's own; the table is dropped afterwards."""
    name = f"search_t{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(conninfo(postgres_url), autocommit=True) as conn:
        conn.execute(f'DROP TABLE IF EXISTS "{name}"')


@pytest.fixture(params=ENGINES)
def open_backend(request, tmp_path):
    """Opens one more instance on this test's index, as another server process would;
    every instance is closed afterwards."""
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        table = request.getfixturevalue("postgres_table")

        def factory():
            return PostgresBackend(url, table)
    else:

        def factory():
            return BACKEND_CLASSES[request.param](tmp_path / "index")

    with instances(factory) as open_one:
        yield open_one


@pytest.fixture
def backend(open_backend):
    return open_backend()


@pytest.fixture
def whoosh_backend(tmp_path):
    backend = WhooshBackend(tmp_path / "index")
    yield backend
    backend.close()


@pytest.fixture
def sql(postgres_url):
    """An autocommit connection to the session's throwaway database."""
    with psycopg.connect(conninfo(postgres_url), autocommit=True) as conn:
        yield conn
