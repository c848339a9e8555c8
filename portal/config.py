"""Configuration: safe defaults, then PORTAL_* environment variables, then explicit overrides.

Every key the portal reads is declared in build_config() with its default and what it means,
and code reads ``app.config["KEY"]`` with no default of its own (tests/test_config.py checks
both, and that the README's table names exactly the PORTAL_* variables read here)."""

import logging
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)


def data_dir_from_env() -> Path:
    """The directory holding the SQLite file, the search index and the generated secret key."""
    return Path(os.environ.get("PORTAL_DATA_DIR", "instance")).resolve()


def load_secret_key(data_dir: Path) -> str:
    """Return SECRET_KEY from the environment, or one generated once and kept in the data dir."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_hex(32)
    # O_EXCL: if two processes start at once, the first one's key wins for both.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


class ConfigError(ValueError):
    """A setting the portal cannot start with; the message says what to change."""


LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def trusted_hosts(base_url: str) -> list[str]:
    """The Host names the app answers: the base URL's, plus loopback names (the test client,
    health checks on the machine itself). Any other Host header gets a 400."""
    host = urlsplit(base_url).hostname
    if not host:
        raise ConfigError(f"PORTAL_BASE_URL must be an absolute http(s) URL, not {base_url!r}")
    return sorted({host, *LOCAL_HOSTS})


# PORTAL_SMTP_TLS values, each with the port it is usually served on (the default port).
SMTP_TLS_PORTS = {"none": 25, "starttls": 587, "ssl": 465}


def check_smtp(config: dict) -> None:
    """Refuse mail settings that cannot work or would send the password in clear text."""
    tls = config["SMTP_TLS"]
    if tls not in SMTP_TLS_PORTS:
        raise ConfigError(
            f"PORTAL_SMTP_TLS must be one of {', '.join(SMTP_TLS_PORTS)}, not {tls!r}"
        )
    if config["SMTP_PORT"] is None:
        config["SMTP_PORT"] = SMTP_TLS_PORTS[tls]
    host = config["SMTP_HOST"]
    if config["SMTP_USER"] and tls == "none" and host and host not in LOCAL_HOSTS:
        raise ConfigError(
            "PORTAL_SMTP_USER needs PORTAL_SMTP_TLS=starttls or ssl: without TLS "
            f"the password would cross the network to {host} in clear text"
        )
    if config["SMTP_CA_FILE"] and not Path(config["SMTP_CA_FILE"]).is_file():
        raise ConfigError(f"PORTAL_SMTP_CA_FILE is not a file: {config['SMTP_CA_FILE']}")


def env_flag(name: str, default: bool = False) -> bool:
    """A yes/no environment variable: 1, true, yes, on (any case) mean yes."""
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


# The old name of PORTAL_JOBS_INTERVAL, from when the router sweep was the only job; still
# read (the new name wins) with a warning logged once per process.
DEPRECATED_JOBS_INTERVAL = "PORTAL_ROUTER_INTERVAL"
_warned_deprecated: set[str] = set()


def jobs_interval_from_env() -> int:
    value = os.environ.get("PORTAL_JOBS_INTERVAL")
    old = os.environ.get(DEPRECATED_JOBS_INTERVAL)
    if old is not None and DEPRECATED_JOBS_INTERVAL not in _warned_deprecated:
        _warned_deprecated.add(DEPRECATED_JOBS_INTERVAL)
        logger.warning(
            "%s is deprecated: set PORTAL_JOBS_INTERVAL instead (%s)",
            DEPRECATED_JOBS_INTERVAL,
            "ignored, PORTAL_JOBS_INTERVAL is set" if value is not None else "used for now",
        )
    return int(value if value is not None else old if old is not None else "60")


def build_config(overrides: dict | None = None) -> dict:
    """Build the app configuration; ``overrides`` (tests) win over the environment."""
    overrides = dict(overrides or {})
    data_dir = Path(overrides.pop("DATA_DIR", None) or data_dir_from_env())
    data_dir.mkdir(parents=True, exist_ok=True)
    config = {
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": overrides.pop("SECRET_KEY", None) or load_secret_key(data_dir),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("PORTAL_DATABASE_URL")
        or f"sqlite:///{data_dir / 'portal.db'}",
        # tantivy (default), whoosh or postgres: see portal.indexing.backend.
        "SEARCH_BACKEND": os.environ.get("PORTAL_SEARCH_BACKEND") or "tantivy",
        # postgres backend only: where its index table lives (default: the app's database).
        "SEARCH_DATABASE_URL": os.environ.get("PORTAL_SEARCH_DATABASE_URL", ""),
        # The site's public address: links in mail are built from it, never from the request's
        # Host header (which a client chooses), and requests for other hosts are refused.
        "BASE_URL": os.environ.get("PORTAL_BASE_URL") or "http://127.0.0.1:5000",
        "SEARCH_INDEX_DIR": str(data_dir / "index"),
        "SEARCH_PER_PAGE": 10,
        # The "contact support" next step offered where self-service found nothing (empty
        # URL: only "ask the community" is offered); the text defaults to "Contact support".
        "SUPPORT_URL": os.environ.get("PORTAL_SUPPORT_URL", "mailto:support@qinghe.example"),
        "SUPPORT_TEXT": os.environ.get("PORTAL_SUPPORT_TEXT", ""),
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        # Time zone of dates shown on pages (stored times are naive UTC).
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("PORTAL_TIMEZONE") or "Asia/Shanghai",
        "LANGUAGES": {"zh_CN": "中文", "en": "English"},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # HTTPS-only cookies (and HSTS) once the site is served over HTTPS; off by default
        # because `make run` serves plain http on 127.0.0.1.
        "SESSION_COOKIE_SECURE": env_flag("PORTAL_SECURE_COOKIES"),
        "REMEMBER_COOKIE_SECURE": env_flag("PORTAL_SECURE_COOKIES"),
        # How many proxies (nginx: 1) to trust for X-Forwarded-For/-Proto; 0 trusts none.
        "PROXY_FIX": int(os.environ.get("PORTAL_PROXY_FIX", "0")),
        # Rate limits (portal.security.limits): counted in Redis when a URL is given, shared by
        # every worker; RATE_LIMITS overrides entries of the table there.
        "RATELIMIT_ENABLED": env_flag("PORTAL_RATE_LIMITS_ENABLED", default=True),
        "RATELIMIT_STORAGE_URI": os.environ.get("PORTAL_REDIS_URL") or "memory://",
        # Redis, when given, also holds caches every host shares (portal.shared_cache).
        "REDIS_URL": os.environ.get("PORTAL_REDIS_URL", ""),
        "RATE_LIMITS": {},
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        # Fields in one posted form, multipart or urlencoded (portal.security.form_parts).
        "MAX_FORM_PARTS": 1000,
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_FIELD_NAME": "csrf_token",  # Flask-WTF's default, read at login (rotation)
        "REMEMBER_COOKIE_NAME": "remember_token",  # Flask-Login's default, read by headers
        # A callable giving naive UTC "now" instead of the real clock (tests, demo traffic).
        "CLOCK": None,
        "PASSWORD_RESET_MAX_AGE": 3600,  # seconds a password-reset link works
        # PostgreSQL client programs used by `flask backup` for a PostgreSQL database.
        "PG_DUMP_PATH": "pg_dump",
        "PG_RESTORE_PATH": "pg_restore",
        # postgres search backend: the index table's name (empty: search_documents).
        "SEARCH_DATABASE_TABLE": "",
        "INSIGHTS_MIN_RISING": 5,  # searches in the current range before a query is "rising"
        # Seconds before per-process caches are rebuilt (0: rebuilt on every use).
        "SPELLING_REFRESH_SECONDS": 300,
        "AUTOCOMPLETE_REFRESH_SECONDS": 300,
        # From this many indexed documents the did-you-mean and autocomplete lookups are
        # built in a process of their own (portal/searching/apart.py), so a worker keeps
        # only the result, not the build's garbage (~60 and ~110 MiB at 100k documents).
        "LOOKUPS_APART_FROM": 20_000,
        "ALSO_READ_CACHE_SECONDS": 300,
        # The sidebar's article counts per category and the most-viewed list: each costs
        # a pass over every published article (40 ms and 0.8 s at 80,000 articles).
        "KB_LISTS_CACHE_SECONDS": 60,
        # The first admin, made by `flask users ensure-admin` when there is none (empty
        # password: one is generated and printed once); the demo accounts' password.
        "ADMIN_EMAIL": os.environ.get("PORTAL_ADMIN_EMAIL") or "admin@example.com",
        "ADMIN_PASSWORD": os.environ.get("PORTAL_ADMIN_PASSWORD", ""),
        "DEMO_PASSWORD": os.environ.get("PORTAL_DEMO_PASSWORD", ""),
        # Forum and routing
        "FORUM_FIRST_RESPONSE_HOURS": int(os.environ.get("PORTAL_FIRST_RESPONSE_HOURS", "4")),
        "NEW_ACCOUNT_DAYS": 7,  # accounts younger than this are throttled...
        "NEW_ACCOUNT_POSTS_PER_HOUR": 5,  # ...to this many posts per hour (spam)
        # Periodic jobs (portal.jobs): seconds between passes of the schedule (router sweep,
        # index drain, mail, rollups; the retention purge daily); 0 starts no thread in the
        # web workers.
        "JOBS_INTERVAL_SECONDS": jobs_interval_from_env(),
        # Whether each web worker runs the schedule in a thread; off when `flask jobs run`
        # runs it as a process of its own.
        "JOBS_IN_WORKER": env_flag("PORTAL_JOBS_IN_WORKER", default=True),
        # A query becomes an autocomplete suggestion for everybody once this many different
        # visitors (accounts, or networks for anonymous visitors) searched it with results.
        "SUGGESTION_MIN_SEARCHERS": int(os.environ.get("PORTAL_SUGGESTION_MIN_SEARCHERS", "5")),
        # Raw search-log rows older than this are deleted once rolled up (privacy).
        "SEARCH_RETENTION_DAYS": int(os.environ.get("PORTAL_SEARCH_RETENTION_DAYS", "400")),
        # Mail: kept in the outbox table; sent only when an SMTP host is configured.
        "SMTP_HOST": os.environ.get("PORTAL_SMTP_HOST", ""),
        # Empty: the usual port of SMTP_TLS (25, 587 or 465; check_smtp fills it in).
        "SMTP_PORT": int(os.environ["PORTAL_SMTP_PORT"])
        if os.environ.get("PORTAL_SMTP_PORT")
        else None,
        # none, starttls (upgrade the connection) or ssl (TLS from the start); the server's
        # certificate is always verified.
        "SMTP_TLS": (os.environ.get("PORTAL_SMTP_TLS") or "none").strip().lower(),
        # Login, when the server wants one (never over plain SMTP to another host).
        "SMTP_USER": os.environ.get("PORTAL_SMTP_USER", ""),
        "SMTP_PASSWORD": os.environ.get("PORTAL_SMTP_PASSWORD", ""),
        # A PEM file of the CA certificates that sign the SMTP server's certificate (a private
        # CA), trusted instead of the system's; empty: the system's.
        "SMTP_CA_FILE": os.environ.get("PORTAL_SMTP_CA_FILE", ""),
        "MAIL_FROM": os.environ.get("PORTAL_MAIL_FROM", "help@qinghe.example"),
        # Downloads library: files live outside static/ and are served by the app.
        "UPLOAD_DIR": os.environ.get("PORTAL_UPLOAD_DIR") or str(data_dir / "uploads"),
        "MAX_UPLOAD_MB": float(os.environ.get("PORTAL_MAX_UPLOAD_MB", "200")),
        "UPLOAD_EXTENSIONS": (
            "pdf",
            "zip",
            "7z",
            "tar.gz",
            "dmg",
            "exe",
            "msi",
            "apk",
            "deb",
            "rpm",
            "txt",
            "md",
            "png",
            "jpg",
        ),
    }
    config.update(overrides)
    config.setdefault("TRUSTED_HOSTS", trusted_hosts(config["BASE_URL"]))
    check_smtp(config)
    return config
