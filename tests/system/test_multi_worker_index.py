"""Several real worker processes write at once: every change lands in the index exactly once.

Each process is a separate interpreter (spawn) with its own app, database connection and
search backend, like pre-forked server workers; they share one SQLite file and one index."""

import multiprocessing
import os
import signal
from functools import partial

import pytest
from sqlalchemy import func, select

from portal import create_app
from portal.extensions import db
from portal.indexing import outbox
from portal.indexing.backend import get_backend
from portal.indexing.outbox import drain, writer_lock
from portal.models import Article, IndexTask
from search.backend import SearchRequest
from tests.conftest import TEST_DATABASE_URL

WORKERS = 3
ARTICLES_PER_WORKER = 6


def _config(data_dir: str, backend: str, database_url: str) -> dict:
    return {
        "DATA_DIR": data_dir,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        # Several writers on one SQLite file wait for each other instead of failing.
        "SQLALCHEMY_ENGINE_OPTIONS": (
            {"connect_args": {"timeout": 30}} if database_url.startswith("sqlite") else {}
        ),
        "SEARCH_INDEX_DIR": f"{data_dir}/index",
        "SEARCH_BACKEND": backend,
        "TESTING": True,
    }


def _write_articles(data_dir: str, backend: str, database_url: str, worker: int) -> None:
    from portal.editor.services import ArticleData, save_article
    from tests.factories import Factories

    app = create_app(_config(data_dir, backend, database_url))
    with app.app_context():
        make = Factories()
        for i in range(ARTICLES_PER_WORKER):
            article = make.article(
                f"Worker note mw{worker}x{i}",
                body=f"first text w{worker}",
                slug=f"worker-{worker}-{i}",
            )
            # An edit right after: the index must hold the new text, once.
            data = ArticleData(
                title=article.title,
                slug=article.slug,
                body_md=f"edited text ed{worker}x{i}",
                category_id=None,
                status="published",
            )
            save_article(article, data, None, "edit")


def _hold_writer_lock_forever(data_dir: str, backend: str, database_url: str, ready) -> None:
    app = create_app(_config(data_dir, backend, database_url))
    with app.app_context(), writer_lock():
        ready.set()
        signal.pause()


def _spawn(target, *args):
    process = multiprocessing.get_context("spawn").Process(target=target, args=args)
    process.start()
    return process


# The on-disk engines (their file locks: the same on either database, so in the SQLite pass
# alone); the PostgreSQL one when the suite runs on PostgreSQL, which is also the outbox on
# PostgreSQL under several processes.
ON_DISK = pytest.mark.any_database
ENGINES = [pytest.param("tantivy", marks=ON_DISK), pytest.param("whoosh", marks=ON_DISK)] + (
    ["postgres"] if TEST_DATABASE_URL else []
)


@pytest.mark.parametrize("backend", ENGINES)
def test_writes_from_many_processes_are_searchable_exactly_once(app, tmp_path, backend):
    """Three worker processes create and edit articles at once; each edit is found once."""
    app.config["SEARCH_BACKEND"] = backend
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    workers = [_spawn(_write_articles, str(tmp_path), backend, url, n) for n in range(WORKERS)]
    for process in workers:
        process.join(timeout=120)
        assert process.exitcode == 0
    drain()  # nothing should be left, but a worker killed between commit and index would
    search = get_backend(app).search
    for worker in range(WORKERS):
        for i in range(ARTICLES_PER_WORKER):
            assert search(SearchRequest(text=f"ed{worker}x{i}")).total == 1
            assert search(SearchRequest(text=f"mw{worker}x{i}")).total == 1
        assert search(SearchRequest(text=f"w{worker}")).total == 0  # old text is gone
    assert get_backend(app).document_count() == WORKERS * ARTICLES_PER_WORKER
    assert db.session.scalar(select(func.count(Article.id))) == WORKERS * ARTICLES_PER_WORKER
    assert db.session.scalar(select(func.count(IndexTask.id))) == 0


@ON_DISK  # a file lock
def test_writer_killed_while_holding_the_lock_does_not_block_the_next(
    app, tmp_path, make, monkeypatch
):
    """The index writer lock dies with its process (SIGKILL): the next drain goes ahead."""
    # The save while the lock is held gives up after a second, not the default 30 s: what
    # counts is the drain after the kill.
    monkeypatch.setattr(outbox, "writer_lock", partial(outbox.writer_lock, timeout=1.0))
    ready = multiprocessing.get_context("spawn").Event()
    holder = _spawn(
        _hold_writer_lock_forever,
        str(tmp_path),
        "whoosh",
        app.config["SQLALCHEMY_DATABASE_URI"],
        ready,
    )
    assert ready.wait(timeout=60)
    article = make.article("断电后的写入", body="stalelockcheck", status="draft")
    os.kill(holder.pid, signal.SIGKILL)
    holder.join(timeout=10)
    from portal.editor.services import change_status

    change_status(article, "published", None)
    assert get_backend(app).search(SearchRequest(text="stalelockcheck")).total == 1
