"""Shared fixtures: a real app per test with its own SQLite file and Whoosh index on disk.

The schema is built once per session by the real Alembic migrations, then the migrated
database file is copied for each test (fast, and every test starts clean)."""

import os
import re
import shutil
from datetime import datetime, timedelta

import pytest
from flask import g
from flask_migrate import upgrade

from portal import create_app
from portal.extensions import db
from portal.indexing.backend import close_backend
from tests.factories import Factories


def _app_config(data_dir):
    return {
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{data_dir / 'portal.db'}",
        "SEARCH_INDEX_DIR": str(data_dir / "index"),
        "SEARCH_BACKEND": os.environ.get("PORTAL_TEST_SEARCH_BACKEND", "whoosh"),
        "TESTING": True,
    }


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """A database file with every migration applied."""
    data_dir = tmp_path_factory.mktemp("template")
    app = create_app(_app_config(data_dir))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return data_dir / "portal.db"


@pytest.fixture
def app(tmp_path, migrated_database):
    shutil.copy(migrated_database, tmp_path / "portal.db")
    app = create_app(_app_config(tmp_path))
    with app.app_context():
        yield app
        db.session.remove()
        close_backend(app)
        db.engine.dispose()


class Client:
    """The Flask test client plus CSRF-aware helpers, like a browser that submits forms."""

    TOKEN_RE = re.compile(r'name="csrf-token" content="([^"]+)"')

    def __init__(self, app):
        self.app = app
        self.http = app.test_client()

    @staticmethod
    def _fresh_g():
        # The test's app context stays pushed, so requests would share `g` (the logged-in
        # user, the CSRF token). Each real request has its own: clear it.
        g.__dict__.clear()

    def get(self, *args, **kwargs):
        self._fresh_g()
        return self.http.get(*args, **kwargs)

    def csrf_token(self) -> str:
        self._fresh_g()
        page = self.http.get("/").get_data(as_text=True)
        return self.TOKEN_RE.search(page).group(1)

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
