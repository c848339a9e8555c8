"""The load side of bench/faults.py: HTTP clients that log in through the real forms, and
the tally of every request and every write with its outcome.

Reads are retried through a dead server; writes are sent once: a write whose response was
lost is "unknown" (it may or may not be saved, but must never be saved twice)."""

import contextlib
import http.client
import random
import re
import socket
import string
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode, urlsplit
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

from bench._http_publish import TOKEN_RE

TIMEOUT_S = 30.0
READ_RETRY_S = 60.0  # long enough for a server restart
ACKED, UNKNOWN, REJECTED = "acknowledged", "unknown", "rejected"
ERROR_KINDS = ("refused", "reset", "timeout", "5xx", "4xx", "other")


def marker(rng: random.Random) -> str:
    """fz + 6 letters + 4 digits: one token for the analyzer (checked with
    search.analyzer.analyze in both modes: trailing digits keep the stemmer off it)."""
    return (
        "fz"
        + "".join(rng.choices(string.ascii_lowercase, k=6))
        + "".join(rng.choices(string.digits, k=4))
    )


@dataclass
class Write:
    """One write sent to the server: its kind, marker, target and what the client saw."""

    kind: str  # topic | reply | edit | vote
    marker: str
    outcome: str  # ACKED | UNKNOWN | REJECTED
    detail: str = ""  # error kind or status, for the report
    user: str = ""  # e-mail of the account that sent it
    target: int | None = None  # topic id (reply), article id (edit/vote); topic id once acked


@dataclass
class Tally:
    """Shared by the client threads: request counts, errors and the write log."""

    budget: int | None  # requests to send (not counting refused retries); None: time bound
    deadline: float | None
    sent: int = 0  # requests that reached the server or were lost on the way
    by_kind: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    writes: list[Write] = field(default_factory=list)
    topics: list[int] = field(default_factory=list)  # acknowledged topics, to reply to
    progress: object = None  # a tqdm bar, updated per budgeted request
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, kind: str, error: str | None) -> None:
        with self.lock:
            self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
            if error:
                self.errors[error] = self.errors.get(error, 0) + 1
            if error != "refused":  # the server never saw it: retries while it restarts
                self.sent += 1
                if self.progress is not None:
                    self.progress.update(1)

    def done(self) -> bool:
        if self.budget is not None:
            return self.sent >= self.budget
        return time.monotonic() >= self.deadline

    def record(self, write: Write) -> None:
        with self.lock:
            self.writes.append(write)
            if write.kind == "topic" and write.outcome == ACKED:
                self.topics.append(write.target)


class _NoRedirects(HTTPRedirectHandler):
    """Answer 3xx as an HTTPError: the Location of a POST's redirect is the proof of
    success, and following it would turn a saved write into an error if that GET failed."""

    def redirect_request(self, *args, **kwargs):
        return None


def error_kind(exc: BaseException) -> str:
    """refused | reset | timeout | 5xx | 4xx | other, for the errors table."""
    if isinstance(exc, HTTPError):
        return "5xx" if exc.code >= 500 else "4xx"
    if isinstance(exc, URLError) and isinstance(exc.reason, BaseException):
        exc = exc.reason
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return "timeout"
    if isinstance(exc, (ConnectionError, http.client.HTTPException)):
        return "reset"  # reset, broken pipe, RemoteDisconnected, IncompleteRead
    return "other"


class _FormParser(HTMLParser):
    """The fields of the form that contains ``wanted`` (a field name), as a browser would
    submit them: inputs, checked boxes, selected options, textarea text."""

    def __init__(self, wanted: str):
        super().__init__(convert_charrefs=True)
        self.wanted, self.forms, self.fields = wanted, [], None
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.fields = {}
            self.forms.append(self.fields)
        elif self.fields is None:
            return
        elif tag == "option" and self._select:
            if "selected" in attrs or self._select not in self.fields:
                self.fields[self._select] = attrs.get("value") or ""
        elif not attrs.get("name"):
            return
        elif tag == "input" and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs:
                self.fields[attrs["name"]] = attrs.get("value") or ""
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.fields[self._textarea] = ""
        elif tag == "select":
            self._select = attrs["name"]

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def result(self) -> dict:
        for form in self.forms:
            if self.wanted in form:
                # A browser drops the newline WTForms puts after <textarea>.
                text = form[self.wanted]
                form[self.wanted] = text[2:] if text[:2] == "\r\n" else text.removeprefix("\n")
                return form
        raise ValueError(f"no form with a {self.wanted} field")


def form_fields(page: str, wanted: str) -> dict:
    parser = _FormParser(wanted)
    parser.feed(page)
    return parser.result()


class Client:
    """One logged-in visitor with its own cookie jar, counting every request in ``tally``."""

    def __init__(self, base: str, tally: Tally, email: str):
        self.base, self.tally, self.email = base, tally, email
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()), _NoRedirects())
        self.token = ""

    def _send(self, kind: str, path: str, data: dict | None = None) -> tuple[int, str, str]:
        """(status, Location, body); raises on transport errors and 4xx/5xx."""
        body = urlencode(data).encode("utf-8") if data is not None else None
        try:
            response = self.opener.open(Request(self.base + path, data=body), timeout=TIMEOUT_S)
            result = (response.status, "", response.read().decode("utf-8"))
        except HTTPError as exc:
            if 300 <= exc.code < 400:
                result = (exc.code, exc.headers.get("Location", ""), "")
            else:
                with contextlib.suppress(OSError, http.client.HTTPException):
                    exc.read()  # the status is what counts
                self.tally.count(kind, error_kind(exc))
                raise
        except Exception as exc:
            self.tally.count(kind, error_kind(exc))
            raise
        self.tally.count(kind, None)
        return result

    def read(self, kind: str, path: str) -> str | None:
        """GET a page, retrying lost connections and 5xx until it answers (None if it
        never answers 200: a 4xx or a redirect is not retried)."""
        deadline = time.monotonic() + READ_RETRY_S
        while time.monotonic() < deadline:
            try:
                status, _location, page = self._send(kind, path)
                return page if status == 200 else None
            except HTTPError as exc:
                if exc.code < 500:
                    return None
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.25)
        return None

    def write(self, write: Write, path: str, fields: dict, expect: re.Pattern) -> None:
        """POST once and record the write: acknowledged only when the answer redirects to a
        path matching ``expect`` (its first group, if any, is the new row's id)."""
        try:
            status, location, _page = self._send(
                write.kind, path, {**fields, "csrf_token": self.token}
            )
        except HTTPError as exc:
            write.outcome, write.detail = (UNKNOWN if exc.code >= 500 else REJECTED), str(exc.code)
        except (OSError, http.client.HTTPException) as exc:
            kind = error_kind(exc)
            # Refused: the request never reached a worker, so nothing can have been saved.
            write.outcome, write.detail = (REJECTED if kind == "refused" else UNKNOWN), kind
        else:
            match = expect.match(urlsplit(location).path)
            if status in (302, 303) and match:
                write.outcome = ACKED
                write.target = int(match.group(1)) if expect.groups else write.target
            else:
                write.outcome, write.detail = UNKNOWN, f"{status} {location}"
        write.user = self.email
        self.tally.record(write)

    def login(self, password: str) -> None:
        page = self.read("login", "/login")
        if page is None or not (match := TOKEN_RE.search(page)):
            raise RuntimeError(f"no login page for {self.email}")
        self.token = match.group(1)
        status, _location, _page = self._send(
            "login", "/login", {"email": self.email, "password": password, "csrf_token": self.token}
        )
        if status not in (302, 303):
            raise RuntimeError(f"login failed for {self.email}: {status}")
        # Flask-WTF's token is bound to the session, which survives a restart (the secret
        # key lives in the data directory): one token serves every later form.
        page = self.read("page", "/forum/new")
        if page is None or not (match := TOKEN_RE.search(page)):
            raise RuntimeError(f"no CSRF token after login for {self.email}")
        self.token = match.group(1)

    def search(self, words: list[str], rng: random.Random) -> None:
        self.read("search", "/search?q=" + quote(rng.choice(words)))
