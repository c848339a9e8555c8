"""Security headers on every response, with a Content-Security-Policy that allows no inline
script and no inline style attribute (templates and static/js are written for it).

A header a view sets itself wins (the downloads send their own sandboxing policy)."""

import base64
import hashlib

from flask import Flask, Response, current_app, request, session
from werkzeug.serving import WSGIRequestHandler


def _style_hash(declaration: str) -> str:
    digest = hashlib.sha256(declaration.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


# Markdown tables align their columns with style="text-align:…", which the sanitiser keeps:
# allow exactly those three attribute values and no other inline style.
_TABLE_ALIGN = " ".join(_style_hash(f"text-align:{side}") for side in ("left", "center", "right"))

_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": f"'self' 'unsafe-hashes' {_TABLE_ALIGN}",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# Pages with personal data or secrets must not be kept by a browser or a proxy (the back button
# on a shared computer after logout): every response to a logged-in user, and these anonymous
# pages, which carry a one-time secret in their URL or form.
NO_STORE = "no-store"
_SECRET_ENDPOINTS = frozenset({"auth.reset_password", "auth.forgot_password"})

# What the development server (`flask run`) says in its Server header instead of its and
# Python's versions. gunicorn sends "Server: gunicorn" with no version; nginx hides its version
# with server_tokens off (docs/deploy.md).
SERVER_NAME = "portal"

# One year; sent only when cookies are HTTPS-only, i.e. the site is known to be served over HTTPS
# (`make run` serves plain http on 127.0.0.1, where HSTS would be wrong).
HSTS = "max-age=31536000"


def content_security_policy(endpoint: str | None) -> str:
    """The policy for a response of ``endpoint`` (None for unmatched URLs such as 404s)."""
    return "; ".join(f"{name} {value}" for name, value in _POLICY.items())


def add_security_headers(response: Response) -> Response:
    for name, value in _HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault(
        "Content-Security-Policy", content_security_policy(request.endpoint)
    )
    if current_app.config["SESSION_COOKIE_SECURE"]:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if _is_private():
        response.headers.setdefault("Cache-Control", NO_STORE)
    return response


def _is_private() -> bool:
    """Whether this response may show personal data or a secret (static files never do).
    Read from the session and cookies, not current_user: loading the user here would query
    the database again while a 500 for a broken database is being answered."""
    if request.endpoint == "static":
        return False
    remember_cookie = current_app.config["REMEMBER_COOKIE_NAME"]
    return (
        request.endpoint in _SECRET_ENDPOINTS
        or "_user_id" in session
        or remember_cookie in request.cookies
    )


def _server_name(handler: WSGIRequestHandler) -> str:
    return SERVER_NAME


def hide_server_version() -> None:
    """The development server names Werkzeug's and Python's versions in every Server header;
    `flask run` builds it with no way to pass a handler, so its handler class is told instead."""
    WSGIRequestHandler.version_string = _server_name


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
    hide_server_version()
