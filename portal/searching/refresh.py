"""Values built from the database once per process and app, rebuilt when older than a TTL.

The spelling and autocomplete lookups and the also-read lists use it: reading them must cost
nothing per request, and a few minutes of staleness is fine for suggestions."""

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from portal.heap import release_free_heap

logger = logging.getLogger(__name__)
_first_lock = threading.Lock()


@dataclass
class _Entry:
    value: Any
    built_at: float
    building: bool = False


class TimedCache:
    """Per-app values by key, each rebuilt by its ``build`` function after ``ttl`` seconds.

    The TTL comes from ``app.config[ttl_setting]`` (declared in portal.config). While one
    background thread rebuilds a stale value every caller keeps getting the old one (the
    autocomplete index takes seconds to build at 100k titles), and a failed rebuild keeps
    the old value (logged) rather than breaking the page that asked.
    """

    def __init__(self, name: str, ttl_setting: str, max_keys: int = 10_000):
        self.name = name
        self.ttl_setting = ttl_setting
        self.max_keys = max_keys

    def _store(self, app: Flask) -> dict[Hashable, _Entry]:
        return app.extensions.setdefault("timed_caches", {}).setdefault(self.name, {})

    def ttl(self, app: Flask) -> float:
        """Seconds a value stays fresh in ``app``."""
        return float(app.config[self.ttl_setting])

    def get(
        self,
        key: Hashable,
        build: Callable[[], Any],
        app: Flask | None = None,
        meanwhile: Callable[[], Any] | None = None,
    ) -> Any:
        """The cached value for ``key``, built with ``build()`` on first use. A stale value
        is returned at once while a background thread rebuilds it; a TTL of 0 turns the
        cache off (every call builds, as tests want). ``meanwhile()``, when given and not
        None, is returned instead of waiting for the first build, which then runs in the
        background too (a build of tens of seconds would hold the first request that long,
        past gunicorn's worker timeout on a busy machine)."""
        app = app or current_app._get_current_object()
        store = self._store(app)
        entry = store.get(key)
        ttl = self.ttl(app)
        if entry is None and ttl > 0 and meanwhile is not None:
            stand_in = meanwhile()
            if stand_in is not None:
                with _first_lock:  # one stand-in, so one first build
                    entry = store.setdefault(key, _Entry(stand_in, float("-inf")))
        if entry is None or ttl <= 0:
            value = build()
            self._remember(store, key, value)
            return value
        if not entry.building and time.monotonic() - entry.built_at >= ttl:
            entry.building = True
            threading.Thread(
                target=self._rebuild,
                args=(app, store, key, entry, build),
                name=f"refresh-{self.name}",
                daemon=True,
            ).start()
        return entry.value

    def _rebuild(
        self, app: Flask, store: dict, key: Hashable, entry: _Entry, build: Callable[[], Any]
    ) -> None:
        try:
            with app.app_context():
                value = build()
        except Exception:
            logger.exception("rebuilding %s[%r] failed; keeping the previous value", self.name, key)
            if entry.built_at == float("-inf"):
                entry.built_at = time.monotonic()  # a failed first build: retried after the TTL
            entry.building = False
            return
        self._remember(store, key, value)
        release_free_heap()  # what the build passed through (an unpickled lookup's copies)

    def _remember(self, store: dict, key: Hashable, value: Any) -> None:
        if len(store) >= self.max_keys and key not in store:
            store.clear()  # a crude bound: the values are cheap to rebuild
        store[key] = _Entry(value, time.monotonic())

    def put(self, key: Hashable, value: Any, app: Flask | None = None) -> None:
        """Install a ready value (benchmarks build theirs without a database)."""
        self._remember(self._store(app or current_app._get_current_object()), key, value)

    def clear(self, app: Flask | None = None) -> None:
        """Forget every value, so the next read rebuilds."""
        self._store(app or current_app._get_current_object()).clear()
