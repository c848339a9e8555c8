"""Private pages and what responses give away: every page a logged-in user gets (the outbox
with live reset links, the account page, ...) and the pages carrying a one-time secret are
sent with Cache-Control: no-store; no response names the server software's version, also
through the development server; one charset per Content-Type (CSV and text downloads
included); the CSRF token seen before login is worthless after it."""

import http.client
import io
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from portal.extensions import db
from portal.models import DownloadFile
from tests.probe_world import build_world, upload_form
from tests.probe_write_routes import fill
from tests.probes.test_probe_integers import _values, get_rules
from tests.response_support import fetch

# Responses whose caching the view decides itself: a file download (public files may be kept
# for an hour; customers-only ones are "private, no-cache").
OWN_CACHING = {"/downloads/<int:file_id>/<name>"}


@pytest.fixture
def world(app, make, client):
    return build_world(app, make, client)


def _checked(response, rule, failures, private=True):
    headers = response.headers
    if private and rule not in OWN_CACHING and "no-store" not in headers.get("Cache-Control", ""):
        failures.append((rule, response.status_code, headers.get("Cache-Control")))
    if headers.get("Content-Type", "").count("charset=") > 1:
        failures.append((rule, headers["Content-Type"]))
    if "Server" in headers:
        failures.append((rule, "Server", headers["Server"]))


@pytest.mark.slow
def test_every_page_for_a_logged_in_user_is_not_stored(app, client, world):
    failures, count = [], 0
    for user in (world.admin, world.owner):
        client.login(user)
        client.get("/search?q=退货")
        for rule in get_rules(app):
            url = fill(
                rule, _values(world, 1) | ({"slug": world.category.slug} if "/c/" in rule else {})
            )
            _checked(fetch(client, url), rule, failures)
            count += 1
        client.logout()
    assert count > 100
    assert not failures, failures


def test_pages_with_a_secret_are_not_stored_for_anyone(client):
    failures = []
    for url in ("/forgot", "/reset/not-a-real-token"):
        _checked(client.get(url), url, failures)
    assert not failures, failures
    public = client.get("/")
    assert "no-store" not in public.headers.get("Cache-Control", "")  # public pages may be


def test_static_files_stay_cacheable_for_logged_in_users(client, world):
    client.login(world.owner)
    response = fetch(client, "/static/css/portal.css")
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_the_development_server_does_not_name_its_version(app):
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        server_header = response.getheader("Server") or ""
    finally:
        server.shutdown()
        thread.join(5)
    assert response.status == 200
    assert "werkzeug" not in server_header.lower() and "python" not in server_header.lower()


def test_a_text_download_has_one_charset(client, world):
    client.login(world.editor)
    form = dict(upload_form(world, name="notes.txt"), file=(io.BytesIO(b"hello\n"), "notes.txt"))
    assert (
        client.post(
            "/downloads/manage/upload", form, content_type="multipart/form-data"
        ).status_code
        == 302
    )
    file_id = db.session.scalar(
        select(DownloadFile.id).where(DownloadFile.original_name == "notes.txt")
    )
    response = fetch(client, f"/downloads/{file_id}/notes.txt")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_the_csrf_token_changes_at_login(client, world):
    before = client.csrf_token()
    client.login(world.owner)
    form = {"display_name": "改名", "locale": "en"}
    assert client.post("/account", dict(form, csrf_token=before)).status_code == 400
    assert client.csrf_token() != before
    assert client.post("/account", form).status_code == 302
