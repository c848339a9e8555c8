"""The cache several hosts share through Redis, and how it degrades without Redis."""

import logging
import socket
from contextlib import suppress

import pytest

from portal import create_app
from portal.shared_cache import cached_json, redis_client
from tests.conftest import _app_config

REDIS_URL = "redis://127.0.0.1:6379/13"


def _redis_answers() -> bool:
    with suppress(OSError), socket.create_connection(("127.0.0.1", 6379), timeout=1):
        return True
    return False


def _host(tmp_path, name, redis_url):
    data_dir = tmp_path / name
    data_dir.mkdir()
    # On disk whatever the suite's engine: these apps test the cache, not search.
    return create_app(_app_config(data_dir) | {"REDIS_URL": redis_url, "SEARCH_BACKEND": "whoosh"})


@pytest.mark.skipif(not _redis_answers(), reason="no Redis server on 127.0.0.1:6379")
def test_a_value_built_on_one_host_is_reused_by_another(tmp_path):
    first, second = _host(tmp_path, "a", REDIS_URL), _host(tmp_path, "b", REDIS_URL)
    with first.app_context():
        redis_client().flushdb()
    builds = []

    def build():
        builds.append(1)
        return {"ids": [3, 1, 2], "名": "退货"}

    with first.app_context():
        assert cached_json("test:key", 60, build) == {"ids": [3, 1, 2], "名": "退货"}
    with second.app_context():
        assert cached_json("test:key", 60, build) == {"ids": [3, 1, 2], "名": "退货"}
        assert redis_client().ttl("portal:cache:test:key") > 0
    assert len(builds) == 1


def test_without_redis_every_call_builds(app):
    calls = []
    assert cached_json("test:none", 60, lambda: calls.append(1) or len(calls)) == 1
    assert cached_json("test:none", 60, lambda: calls.append(1) or len(calls)) == 2


def test_a_redis_that_is_down_costs_a_local_build_not_an_error(tmp_path, caplog):
    host = _host(tmp_path, "down", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    with host.app_context(), caplog.at_level(logging.WARNING, logger="portal.shared_cache"):
        assert cached_json("test:down", 60, lambda: [1, 2]) == [1, 2]
    assert "shared cache unavailable" in caplog.text
