"""Host-header probes: every route refuses a Host the site is not served under, and no
forwarded-host header ever reaches a mailed link, a stored row or a page. Links in mail come
from BASE_URL (PORTAL_BASE_URL) alone."""

import re

import pytest
from sqlalchemy import select

from portal.config import build_config
from portal.extensions import db
from portal.models import OutboxMail
from tests.probe_world import build_world, own_app, snapshot
from tests.probe_write_routes import WRITE_ROUTES, actor_for, fill
from tests.probes.test_probe_sqli import _values, get_rules

FOREIGN_HOSTS = [
    "evil.example",
    "evil.example:5000",
    "localhost.evil.example",
    "127.0.0.1.evil.example",
    "evil.example#@localhost",
]
# Every header some proxy or framework reads the "real" host from.
FORWARDED_HOST_HEADERS = {
    "X-Forwarded-Host": "evil.example",
    "X-Host": "evil.example",
    "X-Forwarded-Server": "evil.example",
    "X-Original-Host": "evil.example",
    "Forwarded": "host=evil.example;proto=https",
}
LINK_RE = re.compile(r"https?://[^\s/]+")


@pytest.fixture
def world(app, make, client):
    return build_world(app, make, client)


@pytest.mark.any_database  # refused before any view runs: once, in the SQLite pass
def test_every_route_refuses_a_foreign_host(app, client, world):
    """GET on every GET route and POST on every write route, each Host of FOREIGN_HOSTS."""
    client.get("/search?q=退货")
    search_id = db.session.execute(db.text("SELECT max(id) FROM search_logs")).scalar()
    values = _values(world, search_id)
    requests = [("GET", rule) for rule in get_rules(app)]
    requests += [("POST", rule) for rule in sorted(WRITE_ROUTES)]
    before, failures = snapshot(skip={"search_logs", "visitor_days"}), []
    for method, rule in requests:
        for host in FOREIGN_HOSTS:
            client._fresh_g()
            response = client.http.open(fill(rule, values), method=method, headers={"Host": host})
            if response.status_code != 400:
                failures.append((method, rule, host, response.status_code))
    assert not failures
    assert snapshot(skip={"search_logs", "visitor_days"}) == before
    assert len(requests) * len(FOREIGN_HOSTS) > 500


def test_the_sites_own_hosts_still_answer(app, client):
    for host in ("localhost", "127.0.0.1", "localhost:5000", "127.0.0.1:8080"):
        client._fresh_g()
        assert client.http.get("/", base_url=f"http://{host}").status_code == 200, host


@pytest.mark.slow
@pytest.mark.parametrize("proxies", [0, 1])
def test_forwarded_host_headers_reach_no_mail_row_or_page(tmp_path, migrated_database, proxies):
    """Every write route as its allowed user and every GET route, with every forwarded-host
    header, with and without a trusted proxy in front: "evil.example" never comes back."""
    with own_app(tmp_path, migrated_database, PROXY_FIX=proxies) as app:
        from tests.conftest import Client
        from tests.factories import Factories

        client = Client(app)
        world = build_world(app, Factories(), client)
        client.http.environ_base.update(
            {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in FORWARDED_HOST_HEADERS.items()}
        )
        leaks = []
        for rule, probe in sorted(WRITE_ROUTES.items()):
            actor = actor_for(probe, world)
            if actor is not None:
                client.login(actor)
            data = {k: v for k, v in probe.form(world).items() if v is not None}
            kwargs = {"content_type": "multipart/form-data"} if probe.multipart else {}
            response = client.post(fill(rule, world.ids()), data, **kwargs)
            if "evil.example" in response.get_data(as_text=True) + str(response.headers):
                leaks.append(("response", rule))
            if actor is not None:
                client.logout()
        for rule in get_rules(app):
            response = client.get(fill(rule, _values(world, 1)))
            if "evil.example" in response.get_data(as_text=True) + str(response.headers):
                leaks.append(("response", rule))
        rows = snapshot()
        leaks += [("table", name) for name, table in rows.items() if "evil.example" in str(table)]
        mails = list(db.session.scalars(select(OutboxMail)))
        assert any("/reset/" in mail.body for mail in mails)  # /forgot did mail a link
        hosts = {link for mail in mails for link in LINK_RE.findall(mail.body)}
        assert hosts <= {"http://localhost"}, hosts
        assert not leaks


def test_mailed_links_use_the_base_url_not_the_requests_host(tmp_path, migrated_database):
    """The reported hole: the reset link followed the Host the request came in on."""
    with own_app(tmp_path, migrated_database, BASE_URL="https://help.example.com") as app:
        from tests.conftest import Client
        from tests.factories import Factories

        user = Factories().user()
        client = Client(app)
        client._fresh_g()
        token = client.TOKEN_RE.search(
            client.http.get("/forgot", base_url="http://127.0.0.1:5000").get_data(as_text=True)
        ).group(1)
        client._fresh_g()
        response = client.http.post(
            "/forgot",
            base_url="http://127.0.0.1:5000",
            data={"email": user.email, "csrf_token": token},
        )
        assert response.status_code == 200
        mail = db.session.scalars(select(OutboxMail)).one()
        assert re.search(r"^https://help\.example\.com/reset/\S+$", mail.body, re.M)
        assert "127.0.0.1" not in mail.body
        assert "help.example.com" in app.config["TRUSTED_HOSTS"]


def test_base_url_defaults_to_make_run_and_must_be_absolute(monkeypatch, tmp_path):
    monkeypatch.delenv("PORTAL_BASE_URL", raising=False)
    config = build_config({"DATA_DIR": tmp_path, "SECRET_KEY": "x"})
    assert config["BASE_URL"] == "http://127.0.0.1:5000"
    assert set(config["TRUSTED_HOSTS"]) == {"127.0.0.1", "localhost", "::1"}
    monkeypatch.setenv("PORTAL_BASE_URL", "help.example.com")
    with pytest.raises(ValueError, match="PORTAL_BASE_URL"):
        build_config({"DATA_DIR": tmp_path, "SECRET_KEY": "x"})
