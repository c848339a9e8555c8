"""Values several app hosts compute once and share: in Redis when PORTAL_REDIS_URL is set.

Without Redis every process keeps its own copy (portal.searching.refresh.TimedCache does
that already), so this module only adds sharing: a Redis that is down or slow costs one
warning and a local computation, never a failed page."""

import json
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

logger = logging.getLogger(__name__)

# Short timeouts for every Redis use (caches, rate limits): a Redis that hangs must cost a
# request half a second at most, which is worse than no cache but better than no answer.
REDIS_TIMEOUTS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def redis_client(app: Flask | None = None):
    """The app's Redis client, or None when no PORTAL_REDIS_URL is configured."""
    app = app or current_app._get_current_object()
    url = app.config["REDIS_URL"]
    if not url:
        return None
    if "redis_client" not in app.extensions:
        import redis

        app.extensions["redis_client"] = redis.Redis.from_url(url, **REDIS_TIMEOUTS)
    return app.extensions["redis_client"]


def cached_json(key: str, ttl_seconds: int, build: Callable[[], Any]) -> Any:
    """``build()``'s JSON-able value, shared through Redis for ``ttl_seconds`` when there
    is one; otherwise (or when Redis fails) simply ``build()``."""
    client = redis_client()
    if client is None or ttl_seconds <= 0:
        return build()
    import redis

    name = f"portal:cache:{key}"
    try:
        stored = client.get(name)
        if stored is not None:
            return json.loads(stored)
    except redis.RedisError as error:
        logger.warning("shared cache unavailable (%s); computing %s here", error, key)
        return build()
    value = build()
    try:
        client.set(name, json.dumps(value), ex=ttl_seconds)
    except redis.RedisError as error:
        logger.warning("shared cache unavailable (%s); %s not stored", error, key)
    return value
