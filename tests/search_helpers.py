"""Helpers shared by the search backend tests: opening several instances of one index (as
several server processes would), an apply() that arrives in the middle of a rebuild, and
one that waits for another writer. The postgres engine's throwaway database is the
benchmarks' (bench/_postgres.py), on the same server (PORTAL_TEST_DATABASE_URL)."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from search.backend import IndexDocument, SearchBackend, SearchRequest


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
