"""Absolute links for mail and other text read outside the site, built from PORTAL_BASE_URL.

Never from the request: its Host and X-Forwarded-Host headers are chosen by the client, and a
reset link pointing at another host hands that host the token (host-header poisoning)."""

from flask import current_app, url_for


def absolute(path: str) -> str:
    """``path`` (a site path such as "/forum/t/3") on the configured public address; any
    other value (empty, already absolute) is returned as it is."""
    if not path.startswith("/") or path.startswith("//"):
        return path
    return current_app.config["BASE_URL"].rstrip("/") + path


def absolute_url_for(endpoint: str, **values) -> str:
    """url_for() on the configured public address (works without a request, e.g. the router)."""
    return absolute(url_for(endpoint, **values, _external=False))
