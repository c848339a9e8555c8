"""Shared fixtures: a real app per test with its own database and search index on disk.

The schema is built once per session by the real Alembic migrations, then each test gets a
clean copy: a copy of the migrated SQLite file, or — when PORTAL_TEST_DATABASE_URL names a
PostgreSQL database — a database made from the migrated one and reset to its state between
tests (tests/databases.py).

Where a new test goes (search/, portal/, probes/, system/, browser/) and the markers: see
tests/README.md."""

import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from argon2 import PasswordHasher
from flask import g
from flask_migrate import upgrade
from jinja2 import BytecodeCache
from werkzeug.routing import Rule

from portal import create_app
from portal.extensions import db
from portal.indexing.backend import close_backend, get_backend
from portal.models import user as user_model
from portal.url_converters import LazyBuilderRule
from tests.databases import PostgresDatabases, SQLiteDatabases
from tests.factories import Factories

TEST_DATABASE_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")

# What a directory's tests need, as markers (`pytest -m "not browser"`); see tests/README.md.
DIRECTORY_MARKERS = {"browser": ("browser",), "system": ("multiprocess",)}


# Temp dirs in memory when the machine has room there: every commit of a test's search index
# waits for fsync, ~75 ms on this machine's disk (tantivy) and ~14 ms in memory; a test that
# adds 5 articles spent most of its time waiting for the disk. Nothing the suite checks
# depends on the data reaching a disk.
MEMORY_TMPDIR = "/dev/shm"
MEMORY_TMPDIR_NEEDS = 2 * 1024**3  # bytes free; a Docker default /dev/shm has 64 MB


def pytest_configure(config):
    """Put the suite's temp dirs (tmp_path, and the temp files of the processes it starts)
    in MEMORY_TMPDIR, unless --basetemp or TMPDIR says where they go or it is too small."""
    if config.option.basetemp or os.environ.get("TMPDIR") or not os.path.isdir(MEMORY_TMPDIR):
        return
    if not os.access(MEMORY_TMPDIR, os.W_OK):
        return
    if shutil.disk_usage(MEMORY_TMPDIR).free < MEMORY_TMPDIR_NEEDS:
        return
    os.environ["TMPDIR"] = MEMORY_TMPDIR  # inherited by xdist workers and subprocesses
    tempfile.tempdir = None  # gettempdir() reads TMPDIR again


def pytest_collection_modifyitems(items):
    """Markers from the directory, and ``database`` on every test that uses the suite's test
    database (the ``migrated_database`` fixture, also through ``app``, ``client``, ``make``):
    its outcome can depend on PORTAL_TEST_DATABASE_URL and PORTAL_TEST_SEARCH_BACKEND, so
    the PostgreSQL pass (`make test-postgres`, ``-m database``) runs exactly these again.
    The others (engines on their own index, analyzer, processes with their own databases)
    do the same work in both passes and run once, in the SQLite pass; so do tests marked
    ``any_database`` (they use the database, but check what does not depend on it)."""
    for item in items:
        for marker in DIRECTORY_MARKERS.get(item.path.parent.name, ()):
            item.add_marker(marker)
        if "migrated_database" in item.fixturenames and not item.get_closest_marker("any_database"):
            item.add_marker("database")
    _long_files_first(items)


LONG_MARKERS = ("slow", "multiprocess", "browser")


def _long_files_first(items) -> None:
    """The files that hold a long test first, each file's tests kept together and in order:
    pytest-xdist (--dist loadfile) hands files out in this order, so the run ends on short
    files rather than one process finishing a long one while the other waits."""
    long_files = {
        item.path for item in items if any(item.get_closest_marker(m) for m in LONG_MARKERS)
    }
    items.sort(key=lambda item: item.path not in long_files)


def _app_config(data_dir, database_url=None):
    return {
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{data_dir / 'portal.db'}",
        "SEARCH_INDEX_DIR": str(data_dir / "index"),
        "SEARCH_BACKEND": os.environ.get("PORTAL_TEST_SEARCH_BACKEND", "tantivy"),
        # The test client's host, so mailed links can be followed by the client.
        "BASE_URL": "http://localhost",
        "TESTING": True,
        # Counts and lists follow each change at once (tests/portal/test_kb_lists_cache.py
        # tests the cache itself).
        "KB_LISTS_CACHE_SECONDS": 0,
    }


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes():
    """Argon2 at the product's cost takes ~0.1-0.6 s a hash and as much a verify on this
    machine, and most tests make users and log them in: the suite hashes at the lowest cost
    Argon2 allows. Still real Argon2id hashes through the product's one hasher."""
    patch = pytest.MonkeyPatch()
    patch.setattr(user_model, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    yield
    patch.undo()


class SharedBytecode(BytecodeCache):
    """Compiled templates shared by every test's app (keyed by template and checked against
    its source by Jinja): compiling them again for each app cost ~0.3 s a test."""

    def __init__(self):
        self.store = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket):
        self.store[bucket.key] = bucket.bytecode_to_string()


SHARED_BYTECODE = SharedBytecode()


_SHARED_BUILDERS: dict = {}


def shared_url_builder(rule: Rule, append_unknown: bool):
    """URL builders shared by every test's app. Werkzeug generates and compiles Python code
    for each rule's builders (the portal does it when a URL is first built from the rule:
    LazyBuilderRule); every test's app would compile the same ones again. The code depends
    only on what the key holds (the rule's parsed parts, its defaults and converters), so an
    equal rule of another app gets the same function; it is bound to each rule as werkzeug
    binds its own."""
    key = (
        rule.rule,
        rule.host,
        rule.subdomain,
        tuple(rule._trace),
        repr(sorted((rule.defaults or {}).items())),
        tuple((name, type(c), c.regex) for name, c in sorted(rule._converters.items())),
        append_unknown,
    )
    if key not in _SHARED_BUILDERS:
        _SHARED_BUILDERS[key] = Rule._compile_builder(rule, append_unknown)
    return _SHARED_BUILDERS[key]


@pytest.fixture(scope="session", autouse=True)
def shared_url_builders():
    patch = pytest.MonkeyPatch()
    patch.setattr(LazyBuilderRule, "compile_builder_now", shared_url_builder)
    yield
    patch.undo()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """Test databases with every migration applied: ``.new(data_dir)`` gives a fresh one."""
    data_dir = tmp_path_factory.mktemp("template")
    databases = (
        PostgresDatabases(TEST_DATABASE_URL) if TEST_DATABASE_URL else SQLiteDatabases(data_dir)
    )
    app = create_app(_app_config(data_dir, databases.template_url))
    with app.app_context():
        upgrade()
        if app.config["SEARCH_BACKEND"] == "postgres":
            # The search table (and the rum extension) in the template: each test's database
            # then has them empty, as the first search would leave them, instead of making
            # them and dropping them again at every reset (~50 ms a test).
            get_backend(app)
            close_backend(app)
        db.engine.dispose()
    databases.template_ready()
    yield databases
    databases.finish()


@contextmanager
def portal_app(data_dir, databases, **overrides):
    """A real app on a fresh database in ``data_dir``, its context pushed; cleaned up after."""
    database_url = databases.new(data_dir)
    app = create_app(_app_config(data_dir, database_url) | overrides)
    app.jinja_env.bytecode_cache = SHARED_BYTECODE
    with app.app_context():
        yield app
        db.session.remove()
        close_backend(app)
        db.engine.dispose()
    databases.drop(database_url)


@pytest.fixture
def app(tmp_path, migrated_database):
    with portal_app(tmp_path, migrated_database) as app:
        yield app


class Client:
    """The Flask test client plus CSRF-aware helpers, like a browser that submits forms."""

    TOKEN_RE = re.compile(r'name="csrf-token" content="([^"]+)"')

    def __init__(self, app):
        self.app = app
        self.http = app.test_client()
        self._token: tuple[tuple, str] | None = None  # (what it was valid for, the token)

    @staticmethod
    def _fresh_g():
        # The test's app context stays pushed, so requests would share `g` (the logged-in
        # user, the CSRF token). Each real request has its own: clear it.
        g.__dict__.clear()

    def get(self, *args, **kwargs):
        self._fresh_g()
        return self.http.get(*args, **kwargs)

    def _token_basis(self) -> tuple:
        # A token is the session's secret (in the signed session cookie) signed with the
        # secret key, and never expires (WTF_CSRF_TIME_LIMIT = None): valid while both stay.
        cookie = self.http.get_cookie(self.app.config["SESSION_COOKIE_NAME"])
        secret = self.app.config.get("WTF_CSRF_SECRET_KEY") or self.app.config["SECRET_KEY"]
        return (cookie.value if cookie else None, secret)

    def csrf_token(self) -> str:
        """The token a page would carry now. A page is fetched for it only when the session
        cookie or the key changed since the last one: the fetch was a third of the time of
        the probes that post hundreds of forms."""
        if self._token is None or self._token[0] != self._token_basis():
            self._fresh_g()
            # Followed: an account that must change its password is sent from "/" there.
            page = self.http.get("/", follow_redirects=True).get_data(as_text=True)
            self._token = (self._token_basis(), self.TOKEN_RE.search(page).group(1))
        return self._token[1]

    def post(self, url, data=None, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf_token())
        self._fresh_g()
        return self.http.post(url, data=data, **kwargs)

    def post_json(self, url, payload, csrf=True):
        headers = {"X-CSRFToken": self.csrf_token()} if csrf else {}
        self._fresh_g()
        return self.http.post(url, json=payload, headers=headers)

    def login(self, user, password="password123"):
        response = self.post("/login", {"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    def logout(self):
        return self.post("/logout")


@pytest.fixture
def client(app):
    return Client(app)


@pytest.fixture
def make(app):
    return Factories()


class Clock:
    """portal.clock.now() for the app; tests move it by hand."""

    START = datetime(2026, 11, 2, 9, 0)

    def __init__(self, start=START):
        self.current = start

    def __call__(self):
        return self.current

    def advance(self, **delta):
        self.current += timedelta(**delta)


@pytest.fixture
def clock(app):
    app.config["CLOCK"] = clock = Clock()
    return clock
