"""Rate limits: 429 with a translated message and Retry-After, per IP, per e-mail and per
account keys, the form usable again after the window, one limiter per app, Redis shared by
several app instances, and a Redis that is down never stopping the portal."""

import logging
import socket
import time
import uuid

import pytest

from portal import create_app
from portal.config import build_config
from portal.extensions import db
from portal.forum.services import create_topic
from portal.indexing.backend import close_backend
from portal.security.limits import LIMITS
from tests.conftest import Client, _app_config
from tests.factories import Factories

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def build_app(tmp_path, migrated_database):
    """create_app() with extra config, on its own copy of the migrated database. Apps built
    with the same ``name`` share a data directory (like two workers of one site)."""
    built, databases = [], {}

    def build(name="site", **config):
        data_dir = tmp_path / name
        if name not in databases:
            data_dir.mkdir()
            databases[name] = migrated_database.new(data_dir)
        app = create_app({**_app_config(data_dir, databases[name]), **config})
        built.append(app)
        return app

    yield build
    for app in built:
        with app.app_context():
            db.session.remove()
            close_backend(app)
            db.engine.dispose()
    for url in databases.values():
        migrated_database.drop(url)


@pytest.fixture
def site(build_app):
    """Build an app with the given RATE_LIMITS; its context stays pushed for the test."""
    contexts = []

    def start(limits=None, **config):
        app = build_app(RATE_LIMITS=limits or {}, **config)
        contexts.append(app.app_context())
        contexts[-1].push()
        return app, Client(app), Factories()

    yield start
    for context in reversed(contexts):
        context.pop()


def login(client, email, password="password123", ip="127.0.0.1"):
    return client.post(
        "/login", {"email": email, "password": password}, environ_base={"REMOTE_ADDR": ip}
    )


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def test_the_default_table_covers_the_abusable_endpoints(app):
    wrapped = {
        name
        for name, view in app.view_functions.items()
        if hasattr(view, "__wrapper-limiter-instance")
    }
    expected = {
        "auth.login",
        "auth.register",
        "forum.new_topic",
        "forum.reply",
        "forum.vote",
        "forum.edit_post",
        "forum.flag",
        "ask.post",
        "search.results",
        "search.autocomplete",
        "search.click",
        "api.search",
        "api.ping",
    }
    assert expected <= wrapped
    assert "api.healthz" not in wrapped and "kb.article" not in wrapped
    # Endpoints written later (password reset) are picked up as soon as they exist.
    for endpoint in ("auth.forgot_password", "auth.reset_password"):
        assert (endpoint in wrapped) == (endpoint in app.view_functions)
    assert LIMITS["auth.login"] == "10/minute" and LIMITS["auth.login@ip_email"] == "20/hour"


@pytest.mark.slow
def test_login_is_refused_after_the_limit_and_usable_again_after_the_window(site):
    app, client, make = site({"auth.login": "3 per 8 seconds"})
    user = make.user()
    for _ in range(3):  # every attempt counts, also one the form refuses
        assert login(client, user.email, "").status_code == 400
    refused = login(client, user.email)  # even the right password waits
    assert refused.status_code == 429
    assert "请求过于频繁" in refused.get_data(as_text=True)  # the default UI language
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 8
    assert client.get("/login").status_code == 200  # the form itself stays reachable
    client.post("/lang/en")
    english = login(client, user.email).get_data(as_text=True)
    assert "Too many requests" in english and "try again in" in english
    time.sleep(wait + 1)
    assert login(client, user.email).status_code == 302


def test_json_callers_get_a_json_429(site):
    app, client, _ = site({"search.autocomplete": "2/minute", "api.*": "2/minute"})
    headers = {"Accept": "application/json"}
    for _ in range(2):
        assert client.get("/search/autocomplete?q=发", headers=headers).status_code == 200
    response = client.get("/search/autocomplete?q=发", headers=headers)
    assert response.status_code == 429 and response.get_json()["error"]
    assert response.get_json()["retry_after"] == int(response.headers["Retry-After"])
    # The whole API shares one bucket per client; health checks are never limited.
    assert client.get("/api/v1/ping").status_code == 200
    assert client.get("/api/v1/search?q=发票").status_code == 200
    response = client.get("/api/v1/ping")
    assert response.status_code == 429 and "error" in response.get_json()
    assert client.get("/healthz").status_code == 200


def test_login_is_limited_per_address_and_email_and_never_locks_out_the_owner(site):
    """Step 10 #12: a limit per e-mail alone let one address keep the owner out."""
    app, client, make = site({"auth.login@ip_email": "3/hour"})
    target, other = make.user(), make.user()
    for _ in range(3):
        assert login(client, target.email, "wrong", ip="10.0.0.1").status_code == 401
    assert login(client, target.email.upper(), ip="10.0.0.1").status_code == 429
    assert login(client, other.email, ip="10.0.0.1").status_code == 302  # others are unaffected
    assert login(client, target.email, ip="10.0.0.9").status_code == 302  # the owner gets in


def test_client_address_comes_from_the_proxy_only_when_trusted(build_app):
    def attempts(app, forwarded_for):
        with app.app_context():
            client = Client(app)
            return [
                client.post(
                    "/login",
                    {"email": "x@example.com", "password": "x"},
                    headers={"X-Forwarded-For": ip},
                ).status_code
                for ip in forwarded_for
            ]

    limits = {"auth.login": "2/minute"}
    ips = ["10.1.0.1", "10.1.0.2", "10.1.0.3"]
    behind_nginx = build_app("proxied", PROXY_FIX=1, RATE_LIMITS=limits)
    assert attempts(behind_nginx, ips) == [401, 401, 401]
    direct = build_app("direct", PROXY_FIX=0, RATE_LIMITS=limits)  # a forged header is ignored
    assert attempts(direct, ips) == [401, 401, 429]


def test_search_is_limited_per_ip(site):
    app, client, _ = site({"search.results": "2/minute"})
    for _ in range(2):
        assert client.get("/search?q=发票").status_code == 200
    assert client.get("/search?q=发票").status_code == 429
    other = {"REMOTE_ADDR": "10.2.0.1"}
    assert client.get("/search?q=发票", environ_base=other).status_code == 200


def test_posting_is_limited_per_account_and_form_views_are_free(site):
    app, client, make = site({"forum.reply@account": "2/hour", "forum.new_topic@account": "1/hour"})
    topic = create_topic(make.user(), title="退货运费谁承担？", body_md="想退货，运费怎么算？")
    first, second = make.user(), make.user()
    client.login(first)
    for n in range(2):
        assert (
            client.post(f"/forum/t/{topic.id}/reply", {"body_md": f"回复 {n}"}).status_code == 302
        )
    assert client.post(f"/forum/t/{topic.id}/reply", {"body_md": "第三条"}).status_code == 429
    for _ in range(3):
        assert client.get("/forum/new").status_code == 200  # GETs of a form do not count
    client.logout()
    client.login(second)  # same IP, another account
    assert client.post(f"/forum/t/{topic.id}/reply", {"body_md": "我的回复"}).status_code == 302


def test_limits_can_be_switched_off(site, tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_RATE_LIMITS_ENABLED", "0")
    config = build_config({"DATA_DIR": str(tmp_path / "env"), "SECRET_KEY": "x"})
    assert config["RATELIMIT_ENABLED"] is False
    app, client, _ = site({"search.results": "1/minute"}, RATELIMIT_ENABLED=False)
    assert [client.get("/search?q=发票").status_code for _ in range(3)] == [200, 200, 200]


def test_each_app_counts_on_its_own(build_app):
    limits = {"search.results": "1/minute"}
    first, second = build_app("a", RATE_LIMITS=limits), build_app("b", RATE_LIMITS=limits)
    for app in (first, second):
        with app.app_context():
            client = Client(app)
            assert client.get("/search?q=发票").status_code == 200
            assert client.get("/search?q=发票").status_code == 429


@pytest.mark.skipif(not redis_answers(), reason="no Redis answering on 127.0.0.1:6379")
def test_redis_counts_are_shared_by_several_app_instances(build_app):
    prefix = f"portal-test-{uuid.uuid4().hex}"
    config = dict(
        RATE_LIMITS={"search.results": "3/minute"},
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=prefix,
    )
    workers = [build_app("shared", **config), build_app("shared", **config)]
    try:
        statuses = []
        for n in range(4):
            app = workers[n % 2]
            with app.app_context():
                statuses.append(Client(app).get("/search?q=发票").status_code)
        assert statuses == [200, 200, 200, 429]
    finally:
        import redis

        connection = redis.Redis.from_url(REDIS_URL)
        for key in connection.scan_iter(f"*{prefix}*"):
            connection.delete(key)


def test_a_dead_redis_does_not_stop_the_portal(build_app, caplog, monkeypatch):
    # The session's migration run (Alembic's fileConfig) disables loggers that already exist.
    for name in ("portal.security.limits", "flask-limiter"):
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)
    caplog.set_level(logging.WARNING)
    app = build_app(
        RATE_LIMITS={"search.results": "2/minute"}, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0"
    )  # nothing listens on port 1
    assert "does not answer" in caplog.text and "127.0.0.1:1" in caplog.text
    with app.app_context():
        client = Client(app)
        statuses = [client.get("/search?q=发票").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]  # still served, and still limited (in memory)
    assert "falling back to in-memory" in caplog.text
