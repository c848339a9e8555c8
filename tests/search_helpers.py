"""Helpers shared by the search backend tests: opening several instances of one index (as
several server processes would), an apply() that arrives in the middle of a rebuild, and
one that waits for another writer; a throwaway PostgreSQL database for the postgres engine."""

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.engine import make_url

from search.backend import IndexDocument, SearchBackend, SearchRequest

# The server to create throwaway databases on (any database of it names the server).
PG_SERVER = os.environ.get("PORTAL_TEST_DATABASE_URL") or (
    "postgresql://postgres@127.0.0.1:5432/postgres"
)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def postgres_unavailable() -> str | None:
    """None when the PostgreSQL server answers, else why not (for a skip message)."""
    import psycopg  # only the postgres tests need it

    try:
        with psycopg.connect(_libpq(PG_SERVER), connect_timeout=3):
            return None
    except (psycopg.Error, ValueError) as exc:
        where = make_url(PG_SERVER).render_as_string(hide_password=True)
        return f"no PostgreSQL server at {where} (set PORTAL_TEST_DATABASE_URL): {exc}"


@contextmanager
def throwaway_database(prefix: str) -> Iterator[str]:
    """Create an empty database, yield its URL, drop it (even while connections remain)."""
    import psycopg
    from psycopg import sql

    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    server = _libpq(PG_SERVER)
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@contextmanager
def instances(factory: Callable[[], SearchBackend]) -> Iterator[Callable[[], SearchBackend]]:
    """Yield ``open_one()``, which opens one more backend with ``factory``; every backend
    opened is closed on exit."""
    opened: list[SearchBackend] = []

    def open_one() -> SearchBackend:
        opened.append(factory())
        return opened[-1]

    try:
        yield open_one
    finally:
        for backend in opened:
            backend.close()


def rebuild_with_late_apply(
    backend: SearchBackend, writer: SearchBackend, docs: list[IndexDocument], late: IndexDocument
) -> None:
    """Rebuild ``backend`` with ``docs`` while ``writer`` applies ``late`` from another
    thread, started at the first progress report; return once that apply has finished.

    The writer must still be waiting 0.2 s later: the rebuild holds the write lock."""
    threads: list[threading.Thread] = []

    def progress(_count: int) -> None:
        if not threads:
            thread = threading.Thread(target=writer.apply, args=([late], []))
            thread.start()
            threads.append(thread)
            threading.Event().wait(0.2)
            assert thread.is_alive()

    backend.rebuild(docs, progress=progress)
    threads[0].join(timeout=15)


def apply_waits_for(
    backend: SearchBackend, release: Callable[[], object], new: IndexDocument
) -> None:
    """Apply ``new`` while another writer holds the index's write lock until ``release()``
    runs 0.3 s later: the apply must wait (≥ 0.2 s), then land."""
    releaser = threading.Timer(0.3, release)
    releaser.start()
    started = time.monotonic()
    backend.apply([new], [])
    assert time.monotonic() - started >= 0.2
    releaser.join()


def doc(n, title="", body="", **kwargs):
    kwargs.setdefault("doc_type", "article")
    return IndexDocument(
        key=f"{kwargs['doc_type']}:{n}",
        doc_id=n,
        title=title,
        body=body,
        slug=f"slug-{n}",
        **kwargs,
    )


def keys(backend, text, **kwargs):
    return [hit.key for hit in backend.search(SearchRequest(text, **kwargs)).hits]
