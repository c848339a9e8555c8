"""One search backend object per process, reused by every request."""

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app

from portal.config import ConfigError
from search.backend import SearchBackend

# tantivy: the default, embedded and fast; whoosh: pure Python; postgres: several hosts.
BACKENDS = ("tantivy", "whoosh", "postgres")
DEFAULT_BACKEND = "tantivy"
RETIRED_BACKENDS = {
    "sqlite": "the SQLite FTS5 engine was retired in favour of tantivy, the fast embedded "
    "engine. Set PORTAL_SEARCH_BACKEND=tantivy (or leave it unset), then build "
    "the index with `flask --app wsgi search reindex`.",
}


@dataclass
class _State:
    backend: SearchBackend | None = None
    pid: int = 0


_lock = threading.Lock()


def search_database_url(app: Flask) -> str:
    """Where the postgres backend keeps its index: SEARCH_DATABASE_URL, else the app's own
    database when that is PostgreSQL; ValueError when neither is."""
    from search.postgres.store import conninfo

    url = app.config["SEARCH_DATABASE_URL"] or app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        conninfo(str(url or ""))
    except ValueError as exc:
        raise ConfigError(
            "PORTAL_SEARCH_BACKEND=postgres needs SEARCH_DATABASE_URL, or else the app's "
            f"SQLALCHEMY_DATABASE_URI, to be PostgreSQL: {exc}"
        ) from None
    return str(url)


def engine_index_dir(app: Flask) -> Path:
    """Where an embedded engine keeps its files: a folder of its own under
    SEARCH_INDEX_DIR, so switching engines never mixes two engines' files."""
    return Path(app.config["SEARCH_INDEX_DIR"]) / app.config["SEARCH_BACKEND"]


def init_app(app: Flask) -> None:
    name = app.config["SEARCH_BACKEND"]
    if name in RETIRED_BACKENDS:
        raise ConfigError(f"PORTAL_SEARCH_BACKEND={name}: {RETIRED_BACKENDS[name]}")
    if name not in BACKENDS:
        raise ConfigError(
            f"PORTAL_SEARCH_BACKEND must be one of {', '.join(BACKENDS)}, not {name!r}"
        )
    if name == "postgres":
        search_database_url(app)  # refuse a wrong URL at start-up, not on the first search
    app.extensions["search_backend"] = _State()


def search_table_filter(app: Flask):
    """Alembic's ``include_object``: the postgres engine's index table (and a rebuild's
    build tables) may share the app's database but belong to the engine, which makes and
    replaces them itself; `flask db check` and autogenerate must not propose dropping them."""

    def include(_object, name, type_, reflected, compare_to) -> bool:
        if type_ != "table" or not reflected or compare_to is not None:
            return True
        if app.config["SEARCH_BACKEND"] != "postgres":
            return True
        from search.postgres.store import is_engine_table

        return not is_engine_table(name, _postgres_table(app))

    return include


def _postgres_table(app: Flask) -> str:
    from search.postgres.store import DEFAULT_TABLE

    return app.config["SEARCH_DATABASE_TABLE"] or DEFAULT_TABLE


def _create(app: Flask) -> SearchBackend:
    # Imported here so a process only loads the engine it is configured for.
    if app.config["SEARCH_BACKEND"] == "postgres":
        from search.postgres.backend import PostgresBackend

        return PostgresBackend(search_database_url(app), _postgres_table(app))
    if app.config["SEARCH_BACKEND"] == "whoosh":
        from search.whoosh.backend import WhooshBackend

        return WhooshBackend(engine_index_dir(app))
    from search.tantivy import TantivyBackend

    return TantivyBackend(engine_index_dir(app))


def get_backend(app: Flask | None = None) -> SearchBackend:
    """The backend for this process. Created lazily, and again after a fork, because open
    index files must not be shared between pre-forked server workers."""
    app = app or current_app._get_current_object()
    state: _State = app.extensions["search_backend"]
    if state.backend is None or state.pid != os.getpid():
        with _lock:
            if state.backend is None or state.pid != os.getpid():
                state.backend = _create(app)
                state.pid = os.getpid()
    return state.backend


def close_backend(app: Flask) -> None:
    state: _State = app.extensions["search_backend"]
    if state.backend is not None and state.pid == os.getpid():
        state.backend.close()
    state.backend = None
