"""Security for every response: headers, HTTPS-aware cookies behind a proxy, and rate limits."""

import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.security import bans, headers, limits

logger = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Call after the blueprints are registered: the rate limits wrap their view functions."""
    proxies = app.config.get("PROXY_FIX", 0)
    if proxies:
        # Only X-Forwarded-For and -Proto: trusting X-Forwarded-Host would let a client choose
        # the host written into password-reset links (nginx passes that header through as is).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    headers.init_app(app)
    bans.init_app(app)
    limits.init_app(app)
