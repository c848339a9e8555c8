"""Rate limits: one table of endpoint -> limit, applied by wrapping the view functions when the
app is built, so views stay untouched and an endpoint added later is limited once it exists.

Counts live in memory (one process) or, with PORTAL_REDIS_URL, in Redis shared by every worker
and host. If Redis stops answering the portal keeps serving and counts in memory until it is
back: a limiter must never take the site down."""

import logging
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_qualified_name, get_remote_address
from flask_login import current_user

from portal.shared_cache import REDIS_TIMEOUTS

logger = logging.getLogger(__name__)

EXTENSION = "portal_limiter"

# "endpoint" is counted per client IP; "endpoint@email" per submitted e-mail address;
# "endpoint@ip_email" per (client IP, submitted e-mail); "endpoint@account" per logged-in
# account (per IP for anonymous callers). Endpoints that also
# answer GET (a form) count only their POSTs. Missing endpoints are skipped.
# Override or add entries with the RATE_LIMITS config dict.
LIMITS: dict[str, str] = {
    # Accounts. Logins per (IP, e-mail), like the back-off in auth/lockout.py: a limit per
    # e-mail alone let anyone keep the owner out of their account. The e-mail limit on
    # /forgot stops one mailbox being flooded with reset mails.
    "auth.login": "10/minute",
    "auth.login@ip_email": "20/hour",
    "auth.register": "5/hour",
    "auth.register@email": "3/hour",  # it mails the address, like /forgot
    "auth.forgot_password": "5/hour",
    "auth.forgot_password@email": "3/hour",
    "auth.reset_password": "10/hour",
    # Forum posting, per account: offices share one IP behind NAT, accounts do not.
    "forum.new_topic@account": "10/hour",
    "forum.reply@account": "30/hour",
    "forum.edit_post@account": "30/hour",
    "forum.vote@account": "60/hour",
    "forum.flag@account": "20/hour",
    "forum.preview@account": "120/minute",  # sent while typing; renders Markdown
    # Asking: every step-1 visit and suggestion list is recorded (deflection statistics).
    "ask.start": "60/minute",
    "ask.suggest": "120/minute",
    "ask.open": "120/minute",
    "ask.post@account": "10/hour",
    # "Was this helpful?": a vote re-ranks the article and is reindexed; per IP, since a
    # fresh cookie costs nothing (one vote per visitor is kept by kb.feedback as well).
    "kb.feedback": "5/minute;30/hour",
    # Search: autocomplete and click-through are per keystroke pause / per result opened.
    "search.results": "60/minute",
    "search.autocomplete": "120/minute",
    "search.click": "120/minute",
    # The JSON API: every endpoint of the api blueprint except those in UNLIMITED.
    "api.*": "120/minute",
}

# Load balancers and monitoring must always get an answer.
UNLIMITED = frozenset({"api.healthz"})


def submitted_email() -> str:
    """The e-mail address in the posted form; one bucket for posts without one."""
    return (request.form.get("email") or "").strip().lower() or "(none)"


def ip_and_email() -> str:
    return f"{get_remote_address()} {submitted_email()}"


def account_or_ip() -> str:
    if current_user.is_authenticated:
        return f"user:{current_user.get_id()}"
    return get_remote_address()


_KEYS = {
    "": get_remote_address,
    "email": submitted_email,
    "ip_email": ip_and_email,
    "account": account_or_ip,
}


@dataclass(frozen=True)
class Rule:
    endpoint: str
    limit: str
    key: str = ""  # "", "email" or "account" (see _KEYS)
    shared: str = ""  # a wildcard's endpoints count in one bucket named after it

    @property
    def scope(self) -> str | None:
        return self.shared or self.key or None


def limits_table(app: Flask) -> list[Rule]:
    """LIMITS with the config's RATE_LIMITS on top, for the endpoints this app has."""
    rules = []
    for name, limit in {**LIMITS, **app.config["RATE_LIMITS"]}.items():
        endpoint, _, key = name.partition("@")
        if key not in _KEYS:
            raise ValueError(
                f"rate limit {name!r}: unknown key {key!r} (use email, ip_email or account)"
            )
        if endpoint.endswith(".*"):
            blueprint = endpoint[:-2]
            rules += [
                Rule(match, limit, key, shared=blueprint)
                for match in app.view_functions
                if match.startswith(f"{blueprint}.") and match not in UNLIMITED
            ]
        elif endpoint in app.view_functions and endpoint not in UNLIMITED:
            rules.append(Rule(endpoint, limit, key))
    return rules


def _posts_only(app: Flask, endpoint: str) -> list[str] | None:
    """Endpoints that take a POST count only POSTs: showing their form again costs nothing."""
    methods = {m for rule in app.url_map.iter_rules(endpoint) for m in rule.methods or ()}
    return ["POST"] if "POST" in methods else None


def _storage_options(uri: str) -> dict:
    # Short timeouts: an unreachable Redis must cost a request half a second at most.
    return dict(REDIS_TIMEOUTS) if uri.startswith(("redis://", "rediss://")) else {}


def _where(uri: str) -> str:
    """The storage URI without any password, for logs."""
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"


def init_app(app: Flask) -> None:
    """A Limiter of its own for this app (tests build one app each: no counts leak across)."""
    config = app.config
    config.setdefault("RATELIMIT_ENABLED", True)
    config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    config.setdefault("RATELIMIT_KEY_PREFIX", "portal")
    if not config["RATELIMIT_ENABLED"]:
        logger.info("rate limits are switched off")
        return
    uri = config["RATELIMIT_STORAGE_URI"]
    limiter = Limiter(
        get_remote_address,
        storage_options=_storage_options(uri),
        headers_enabled=True,  # X-RateLimit-* and Retry-After
        in_memory_fallback_enabled=True,
        swallow_errors=True,  # a storage failure lets the request through, logged
    )
    limiter.init_app(app)
    app.extensions[EXTENSION] = limiter
    if not uri.startswith("memory://") and not limiter.storage.check():
        logger.warning(
            "rate-limit storage %s does not answer: counting in memory per process until it does",
            _where(uri),
        )

    for rule in limits_table(app):
        options = dict(key_func=_KEYS[rule.key], methods=_posts_only(app, rule.endpoint))
        if rule.shared:
            decorate = limiter.shared_limit(rule.limit, rule.scope, **options)
        else:
            decorate = limiter.limit(rule.limit, scope=rule.scope, **options)
        app.view_functions[rule.endpoint] = decorate(app.view_functions[rule.endpoint])


def count_refused_request() -> None:
    """Count a request refused before its view ran (a bad CSRF token) toward that view's
    limits, as if the view had run: otherwise refused tries are free and unlimited.
    Raises RateLimitExceeded (a 429) when this request breaks a limit."""
    limiter = current_app.extensions.get(EXTENSION)
    view = current_app.view_functions.get(request.endpoint or "")
    if limiter is None or view is None:
        return
    # The check the limit decorator runs before the view; the view's qualified name is the
    # key its limits were registered under (flask-limiter has no public call for this).
    limiter._check_request_limit(callable_name=get_qualified_name(view), in_middleware=False)


def retry_after_seconds() -> int | None:
    """Seconds until the limit this request broke lets it through again (None if none did)."""
    limiter = current_app.extensions.get(EXTENSION)
    breached = limiter.current_limit if limiter is not None else None
    if breached is None or not breached.breached:
        return None
    return max(1, int(breached.reset_at - time.time()))
