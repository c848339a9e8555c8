"""Settings that need an optional package: the PostgreSQL driver and the Redis client are
extras of the distribution (`pip install 'qinghe-portal[postgres,redis]'`), so the default
install needs nothing but Python. A setting that needs a missing one stops the app at start,
with the command that installs it, instead of a traceback on first use."""

import importlib.util
from collections.abc import Mapping
from urllib.parse import urlsplit

from portal.config import ConfigError

DISTRIBUTION = "qinghe-portal"
# extra -> (the module it installs, what that module is)
EXTRAS = {"postgres": ("psycopg", "the PostgreSQL driver"), "redis": ("redis", "the Redis client")}


def _scheme(url) -> str:
    return urlsplit(str(url or "")).scheme.lower()


def needed_extras(config: Mapping) -> dict[str, str]:
    """Each extra the configuration needs -> the setting that needs it."""
    needed = {}
    if _scheme(config.get("SQLALCHEMY_DATABASE_URI")) == "postgresql+psycopg":
        needed["postgres"] = "PORTAL_DATABASE_URL"
    elif config.get("SEARCH_BACKEND") == "postgres":
        needed["postgres"] = "PORTAL_SEARCH_BACKEND=postgres"
    if config.get("REDIS_URL") or _scheme(config.get("RATELIMIT_STORAGE_URI")).startswith("redis"):
        needed["redis"] = "PORTAL_REDIS_URL"
    return needed


def require_configured(config: Mapping) -> None:
    """ConfigError naming the extra to install when a setting needs a missing package."""
    for extra, setting in needed_extras(config).items():
        module, what = EXTRAS[extra]
        if importlib.util.find_spec(module) is None:
            raise ConfigError(
                f"{setting} needs {what} ({module}), which is not installed: "
                f"pip install '{DISTRIBUTION}[{extra}]'"
            )
