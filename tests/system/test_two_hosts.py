"""Two app servers as separate processes ("hosts") on one PostgreSQL and one Redis.

Each server has its own data directory, as two machines would; they share only the
database (also the search index: the PostgreSQL backend), Redis and the secret key. A post
made on one is searchable on the other within a second, a login on one is valid on the
other, and the router's sweep never runs on both at once."""

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from contextlib import suppress
from datetime import timedelta
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import quote, urlencode
from urllib.request import HTTPCookieProcessor, build_opener

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from tests import ROOT

BIN = Path(sys.executable).parent
PG_SERVER = os.environ.get(
    "PORTAL_TEST_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
PASSWORD = "Two-hosts-check-2026!"
TOKEN_RE = re.compile(r'name="csrf-token" content="([^"]+)"')
SWEEP_RE = re.compile(r"\(sweep (\d+\.\d+)-(\d+\.\d+)\)")


def _answers(host: str, port: int) -> bool:
    with suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


def _missing() -> str:
    from portal.indexing.backend import BACKENDS

    if "postgres" not in BACKENDS:
        return "the PostgreSQL search backend is not available"
    if not (BIN / "gunicorn").exists():
        return "gunicorn is not installed in the venv"
    pg = make_url(PG_SERVER)
    if not _answers(pg.host or "127.0.0.1", pg.port or 5432):
        return f"no PostgreSQL server at {pg.host}:{pg.port}"
    redis = make_url(REDIS_URL.replace("redis://", "redis+x://"))
    if not _answers(redis.host or "127.0.0.1", redis.port or 6379):
        return f"no Redis server at {redis.host}:{redis.port}"
    return ""


pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(bool(_missing()), reason=_missing() or "ready"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Browser:
    """Cookies and CSRF-token form posts over real HTTP, against any of the hosts."""

    def __init__(self):
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()))

    def get(self, url: str) -> tuple[int, str, str]:
        try:
            response = self.opener.open(url, timeout=30)
        except HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace"), url
        return response.status, response.read().decode("utf-8"), response.geturl()

    def post_form(self, page_url: str, fields: dict, action: str | None = None):
        _status, page, _url = self.get(page_url)
        fields = {**fields, "csrf_token": TOKEN_RE.search(page).group(1)}
        try:
            response = self.opener.open(
                action or page_url, data=urlencode(fields).encode("utf-8"), timeout=30
            )
        except HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace"), page_url
        return response.status, response.read().decode("utf-8"), response.geturl()


def _prepare_database(url: str, data_dir: Path) -> dict:
    """Migrate, then add a category, two experts and a customer; returns their ids."""
    from flask_migrate import upgrade

    from portal import create_app
    from portal.auth.services import create_user
    from portal.extensions import db
    from portal.indexing.backend import close_backend
    from portal.models import Category
    from tests.factories import Factories

    app = create_app(
        {
            "DATA_DIR": str(data_dir),
            "SECRET_KEY": "two-hosts",
            "SQLALCHEMY_DATABASE_URI": url,
            "SEARCH_BACKEND": "postgres",
            "JOBS_INTERVAL_SECONDS": 0,
        }
    )
    with app.app_context():
        upgrade()
        category = Category(slug="returns", name="退货与退款", name_en="Returns")
        db.session.add(category)
        db.session.commit()
        for name in ("expert-a", "expert-b"):
            expert = create_user(f"{name}@example.com", PASSWORD, name, role="expert")
            Factories().expert_profile(expert, [category], keywords="退货", max_open=100)
        for n in range(1, 4):  # one per test: posting limits count per account
            customer = create_user(f"customer{n}@example.com", PASSWORD, f"customer{n}")
            # Old enough to be past the new-account posting throttle (5 an hour).
            customer.created_at -= timedelta(days=30)
        db.session.commit()
        ids = {"category": category.id}
        db.session.remove()
        close_backend(app)
        db.engine.dispose()
    return ids


class Host:
    """One gunicorn server (two workers) with its own data directory."""

    def __init__(self, name: str, env: dict, data_dir: Path):
        self.name, self.port, self.log = name, free_port(), data_dir / "server.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{self.port}", "wsgi:app"],
            cwd=ROOT,
            env={**env, "PORTAL_DATA_DIR": str(data_dir)},
            stdout=subprocess.DEVNULL,
            stderr=open(self.log, "w"),
            start_new_session=True,
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_healthy(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
            with suppress(OSError):
                if Browser().get(f"{self.url}/healthz")[0] == 200:
                    return
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not become healthy: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    import redis

    base = tmp_path_factory.mktemp("two-hosts")
    name = f"portal_two_hosts_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(PG_SERVER), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)
    redis.Redis.from_url(REDIS_URL).flushdb()
    ids = _prepare_database(url, base / "setup")
    env = {
        **os.environ,
        "PORTAL_DATABASE_URL": url,
        "PORTAL_SEARCH_BACKEND": "postgres",
        "PORTAL_REDIS_URL": REDIS_URL,
        "SECRET_KEY": "two-hosts-" + uuid.uuid4().hex,
        "PORTAL_JOBS_INTERVAL": "1",
        "PYTHONUNBUFFERED": "1",
    }
    hosts = [Host("host-a", env, base / "a"), Host("host-b", env, base / "b")]
    try:
        for host in hosts:
            host.wait_healthy()
        yield {"hosts": hosts, "url": url, **ids}
    finally:
        for host in hosts:
            host.stop()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _login(browser: Browser, host: Host, email: str) -> None:
    status, _page, landed = browser.post_form(
        f"{host.url}/login", {"email": email, "password": PASSWORD}
    )
    assert status == 200 and "/login" not in landed, (status, landed)


def _post_question(
    browser: Browser, host: Host, category_id: int, title: str, wants_expert: bool = False
) -> int:
    fields = {
        "title": title,
        "kind": "question",
        "category_id": str(category_id),
        "tags": "",
        "body_md": f"{title}：买的东西不合适，想退货，运费谁出？",
    }
    if wants_expert:
        fields["wants_expert"] = "y"
    status, _page, landed = browser.post_form(f"{host.url}/forum/new", fields)
    assert status == 200 and "/forum/t/" in landed, (status, landed)
    return int(re.search(r"/forum/t/(\d+)", landed).group(1))


def _search_total(host: Host, word: str) -> int:
    import json

    _status, body, _url = Browser().get(f"{host.url}/api/v1/search?q={quote(word)}")
    return json.loads(body)["total"]


def test_a_login_on_one_host_is_valid_on_the_other(cluster):
    first, second = cluster["hosts"]
    browser = Browser()
    _login(browser, first, "customer1@example.com")
    status, page, landed = browser.get(f"{second.url}/me/")
    assert status == 200 and "/login" not in landed
    assert "customer1" in page


def test_a_post_on_one_host_is_searchable_on_the_other_within_a_second(cluster):
    first, second = cluster["hosts"]
    browser = Browser()
    _login(browser, first, "customer1@example.com")
    for origin, other in ((first, second), (second, first)):
        marker = "fresh" + uuid.uuid4().hex[:10]
        _post_question(browser, origin, cluster["category"], f"Where is {marker}")
        posted = time.monotonic()
        while _search_total(other, marker) == 0:
            assert time.monotonic() - posted < 1.0, f"{marker} not found on {other.name}"
            time.sleep(0.05)


def test_the_router_sweep_never_runs_on_two_hosts_at_once(cluster):
    from portal.models import RoutingEvent

    hosts = cluster["hosts"]
    browser = Browser()
    _login(browser, hosts[0], "customer2@example.com")
    topic_ids = [
        _post_question(
            browser, hosts[i % 2], cluster["category"], f"退货问题 {i}", wants_expert=True
        )
        for i in range(8)
    ]
    engine = create_engine(cluster["url"])
    deadline = time.monotonic() + 30
    with engine.connect() as connection:

        def assigned_counts() -> list[int]:
            rows = dict(
                connection.execute(
                    select(RoutingEvent.topic_id, func.count())
                    .where(RoutingEvent.kind == "assigned", RoutingEvent.topic_id.in_(topic_ids))
                    .group_by(RoutingEvent.topic_id)
                ).all()
            )
            connection.rollback()
            return [rows.get(topic_id, 0) for topic_id in topic_ids]

        while min(assigned_counts()) == 0:
            assert time.monotonic() < deadline, assigned_counts()
            time.sleep(0.5)
        time.sleep(3)  # both hosts keep sweeping every second meanwhile
        assert assigned_counts() == [1] * len(topic_ids)
    engine.dispose()

    runs = sorted(
        (float(a), float(b)) for host in hosts for a, b in SWEEP_RE.findall(host.log.read_text())
    )
    assert runs, "no sweep that assigned anything was logged"
    for (_start, end), (next_start, _next_end) in zip(runs, runs[1:], strict=False):
        assert next_start >= end, f"two sweeps overlapped: {runs}"


def test_posting_limits_count_across_hosts(cluster):
    """The limit on new topics per account (10 an hour) is one count in Redis, not two."""
    hosts = cluster["hosts"]
    browser = Browser()
    _login(browser, hosts[0], "customer3@example.com")
    for i in range(10):
        _post_question(browser, hosts[i % 2], cluster["category"], f"限额测试 {i}")
    for host in hosts:
        status, _page, _url = browser.post_form(
            f"{host.url}/forum/new",
            {
                "title": "one too many",
                "kind": "question",
                "category_id": str(cluster["category"]),
                "tags": "",
                "body_md": "第十一个问题",
            },
        )
        assert status == 429
