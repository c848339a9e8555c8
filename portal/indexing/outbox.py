"""The durable outbox: enqueue in the content transaction, drain with a single writer."""

import gc
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, func, select

from portal.extensions import db
from portal.indexing.backend import get_backend
from portal.indexing.documents import all_sources, get_source, key_for
from portal.models import IndexTask
from search.backend import DocumentBatches
from search.file_lock import file_lock
from search.token_documents import REBUILD_BATCH

logger = logging.getLogger(__name__)

# Inside drains_deferred(), commit_and_index() only commits: one drain at the end.
_drains_deferred: ContextVar[bool] = ContextVar("drains_deferred", default=False)


def enqueue(doc_type: str, doc_id: int) -> None:
    """Record that a document changed. Call before the commit of that change."""
    db.session.add(IndexTask(doc_type=doc_type, doc_id=doc_id))


def pending_count() -> int:
    return db.session.scalar(select(func.count()).select_from(IndexTask)) or 0


def writer_lock(timeout: float = 30.0):
    """An inter-process lock so only one process writes the index at a time."""
    path = Path(current_app.config["DATA_DIR"]) / "index-writer.lock"
    return file_lock(path, timeout, "the search index writer is busy")


def _load_search_tuning() -> None:
    # Index with the product terms editors have added. Imported here: portal.search_tuning
    # imports this module (a cycle at import time).
    from portal.search_tuning.loader import ensure_current

    ensure_current()


def drain(batch_size: int = 500) -> int:
    """Apply every pending IndexTask to the index; return how many were applied.

    Never raises for an index failure: the tasks stay queued and the next drain retries,
    so a saved article is never lost from search for good."""
    if db.session.scalar(select(IndexTask.id).limit(1)) is None:
        return 0  # nothing queued: no need to load the tuning (and its segmenter)
    _load_search_tuning()
    applied = 0
    try:
        with writer_lock():
            while True:
                tasks = db.session.scalars(
                    select(IndexTask).order_by(IndexTask.id).limit(batch_size)
                ).all()
                if not tasks:
                    break
                try:
                    _apply(tasks)
                except Exception as exc:  # keep the tasks; report and retry later
                    logger.exception("index update failed; %d tasks kept for retry", len(tasks))
                    for task in tasks:
                        task.attempts += 1
                        task.last_error = repr(exc)[:1000]
                    db.session.commit()
                    break
                for task in tasks:
                    db.session.delete(task)
                db.session.commit()
                applied += len(tasks)
    except TimeoutError:
        logger.warning("index writer busy; pending changes stay queued")
    return applied


def _apply(tasks: list[IndexTask]) -> None:
    ids_by_type: dict[str, set[int]] = defaultdict(set)
    for task in tasks:
        ids_by_type[task.doc_type].add(task.doc_id)
    upserts, deletes = [], []
    for doc_type, ids in ids_by_type.items():
        docs = get_source(doc_type).load(ids)
        upserts.extend(docs.values())
        deletes.extend(key_for(doc_type, i) for i in ids if i not in docs)
    get_backend().apply(upserts, deletes)


def reindex_all(progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the whole index from the database. Tasks queued before the rebuild started
    are covered by it and removed; later ones stay queued."""
    _load_search_tuning()
    last_task_id = db.session.scalar(select(func.max(IndexTask.id))) or 0

    def batches():
        for source in all_sources():
            yield from source.batches(REBUILD_BATCH)

    with writer_lock(timeout=300), _no_cycle_collection():
        # As batches of rows: the engines that analyse in worker processes make the
        # documents (Markdown to text) there too.
        count = get_backend().rebuild(DocumentBatches(batches()), progress)
        db.session.execute(delete(IndexTask).where(IndexTask.id <= last_task_id))
        db.session.commit()
    return count


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    # A rebuild allocates millions of short-lived objects and makes no reference cycles to
    # speak of, so the cycle collector only re-scans what is alive: ~7 % of its CPU in this
    # process and in the analysis workers forked from it (they inherit the setting).
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def total_documents() -> int:
    return sum(source.count_all() for source in all_sources())


def commit_and_index() -> None:
    """Commit the content change with its IndexTask rows, then bring the index up to date,
    so the change is searchable when the request returns (inside drains_deferred(): at its
    end)."""
    db.session.commit()
    if not _drains_deferred.get():
        drain()


@contextmanager
def drains_deferred() -> Iterator[None]:
    """For bulk writers (demo traffic): every change is still committed with its outbox
    rows at once, but the index is brought up to date once, when the block ends, instead
    of one index commit per change."""
    token = _drains_deferred.set(True)
    try:
        yield
    finally:
        _drains_deferred.reset(token)
        drain()
