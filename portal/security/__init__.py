"""Security for every response: headers, HTTPS-aware cookies behind a proxy, rate limits, a cap
on form fields and a new CSRF token at login."""

import logging

from flask import Flask, g, session
from flask_login import user_logged_in
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.security import bans, form_parts, headers, limits

logger = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Call after the blueprints are registered: the rate limits wrap their view functions."""
    proxies = app.config["PROXY_FIX"]
    if proxies:
        # Only X-Forwarded-For and -Proto: trusting X-Forwarded-Host would let a client choose
        # the host written into password-reset links (nginx passes that header through as is).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    form_parts.init_app(app)
    headers.init_app(app)
    bans.init_app(app)
    limits.init_app(app)
    user_logged_in.connect(rotate_csrf_token, app)


def rotate_csrf_token(app: Flask, **_extra) -> None:
    """A new CSRF token at login: a token seen before it (a shared computer, a page left open)
    is worth nothing after it. Flask-WTF makes the next one on demand."""
    field = app.config["WTF_CSRF_FIELD_NAME"]
    session.pop(field, None)
    g.pop(field, None)
