"""Freshness over HTTP: an editor publishes an article through the form, then fresh
connections poll the search API until every worker (of the same host, or of another host
sharing the database) finds it."""

import http.client
import json
import random
import re
import string
import time
from http.cookiejar import CookieJar
from urllib.parse import quote, urlencode
from urllib.request import HTTPCookieProcessor, build_opener

EDITOR_EMAIL = "bench-editor@example.com"
# Must pass portal.auth.passwords: no part of the e-mail's local part, nothing common.
EDITOR_PASSWORD = "Freshness-probe-2026!"
TOKEN_RE = re.compile(r'name="csrf-token" content="([^"]+)"')
STREAK = 20
TIMEOUT_S = 30.0


def _token(opener, url: str) -> str:
    page = opener.open(url).read().decode("utf-8")
    match = TOKEN_RE.search(page)
    if match is None:
        raise RuntimeError(f"no CSRF token on {url}")
    return match.group(1)


def _post(opener, url: str, fields: dict) -> str:
    """POST a form (with the page's CSRF token); returns the final URL after redirects."""
    fields = {**fields, "csrf_token": _token(opener, url)}
    response = opener.open(url, data=urlencode(fields).encode("utf-8"))
    return response.geturl()


def _found(port: int, word: str) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:  # a new connection each time, so either worker may answer
        connection.request("GET", f"/api/v1/search?q={quote(word)}")
        response = connection.getresponse()
        return response.status == 200 and json.loads(response.read())["total"] > 0
    finally:
        connection.close()


def publish_and_poll(port: int, poll_port: int | None = None) -> str:
    """A sentence with the publish round trip and the time until STREAK polls in a row
    found the new article's unique word; published on ``port``, polled on ``poll_port``
    (default: the same server)."""
    poll_port = poll_port or port
    base = f"http://127.0.0.1:{port}"
    opener = build_opener(HTTPCookieProcessor(CookieJar()))
    _post(opener, f"{base}/login", {"email": EDITOR_EMAIL, "password": EDITOR_PASSWORD})
    word = "".join(random.choices(string.ascii_lowercase, k=12))
    fields = {
        "title": f"Freshness check {word}",
        "slug": f"freshness-{word}",
        "summary": "",
        "category_id": "",
        "language": "en",
        "status": "published",
        "tags": "",
        "body_md": f"The unique word is {word}.",
        "note": "bench",
        "base_revision": "",
    }
    started = time.perf_counter()
    landed = _post(opener, f"{base}/editor/articles/new", fields)
    saved = time.perf_counter()
    if "/edit" not in landed:
        return f"publish FAILED (ended on {landed})"
    streak, polls, streak_start = 0, 0, None
    while streak < STREAK and time.perf_counter() - saved < TIMEOUT_S:
        polls += 1
        poll_start = time.perf_counter()
        if _found(poll_port, word):
            streak_start = streak_start if streak else poll_start
            streak += 1
        else:
            streak = 0
    if streak < STREAK:
        return f"published edit NOT searchable in every worker within {TIMEOUT_S:g} s"
    return (
        f"publish through the editor form: {1000 * (saved - started):.0f} ms round trip; "
        f"searchable {1000 * max(0.0, streak_start - saved):.0f} ms after it returned "
        f"({STREAK} fresh-connection polls in a row found it, {polls} polls in all; "
        f"target < 1000 ms)"
    )
