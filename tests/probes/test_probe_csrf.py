"""CSRF probes: every write route refuses a form without a token or with a wrong one, and
nothing in the database changes. Also the inventory check: every write route is probed."""

from urllib.parse import urlsplit

import pytest

from tests.probe_world import build_world, snapshot
from tests.probe_write_routes import WRITE_ROUTES, actor_for, fill, write_rules


def test_inventory_covers_every_write_route(app):
    """A new POST route fails here until WRITE_ROUTES says who may call it."""
    routes = write_rules(app)
    missing = sorted(set(routes) - set(WRITE_ROUTES))
    assert not missing, f"write routes without probes: {missing}"
    stale = sorted(set(WRITE_ROUTES) - set(routes))
    assert not stale, f"probes for routes that no longer exist: {stale}"
    assert len(routes) >= 55


@pytest.fixture
def world(app, make, client):
    return build_world(app, make, client)


BAD_TOKENS = [None, "", "not-a-token", "IjBkZmYi.Zz-abc.wrong-signature"]


# The refusal comes before any view reads or writes the database: once, in the SQLite pass.
@pytest.mark.any_database
@pytest.mark.slow
def test_every_write_route_refuses_missing_or_wrong_csrf_token(app, client, world):
    """One world for all routes: a refused request changes nothing, so the next probe sees
    the same objects (and a hole shows up as a changed snapshot)."""
    failures = []
    for rule, probe in sorted(WRITE_ROUTES.items()):
        actor = actor_for(probe, world)
        if actor is not None:
            client.login(actor)
        url = fill(rule, world.ids())
        before = snapshot()
        for token in BAD_TOKENS:
            data = {k: v for k, v in probe.form(world).items() if v is not None}
            if token is not None:
                data["csrf_token"] = token
            kwargs = {"content_type": "multipart/form-data"} if probe.multipart else {}
            status = client.post(url, data, csrf=False, **kwargs).status_code
            client._fresh_g()
            headers = {"X-CSRFToken": token} if token else {}
            json_status = client.http.post(
                url, json={} if probe.multipart else data, headers=headers
            ).status_code
            if (status, json_status) != (400, 400):
                failures.append((rule, token, status, json_status))
        if snapshot() != before:
            failures.append((rule, "database changed"))
        if actor is not None:
            client.logout()
    assert not failures
    assert len(WRITE_ROUTES) >= 55  # every route was probed, not a subset


def test_csrf_error_page_says_what_happened(client, world):
    """The refusal is the app's own CSRF page, not a bare 400."""
    client.post("/lang/en")
    client.login(world.owner)
    page = client.post(f"/forum/t/{world.topic.id}/reply", {"body_md": "x"}, csrf=False)
    assert page.status_code == 400
    assert (
        "csrf" in page.get_data(as_text=True).lower()
        or "expired" in page.get_data(as_text=True).lower()
    )


OFF_SITE = [
    "https://evil.example/x",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
]


@pytest.mark.any_database  # a redirect target is checked, not stored
@pytest.mark.parametrize("back", OFF_SITE)
def test_reassign_back_link_never_leaves_the_site(client, world, back):
    """Hole found by the probes: reassign redirected to any "back" value (open redirect)."""
    client.login(world.editor)
    response = client.post(
        f"/experts/topics/{world.topic.id}/reassign",
        {"expert_id": str(world.other_expert.id), "back": back},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/experts/queues"


@pytest.mark.any_database  # a redirect target is checked, not stored
@pytest.mark.parametrize("target", OFF_SITE)
def test_login_next_never_leaves_the_site(client, world, target):
    response = client.post(
        "/login", {"email": world.owner.email, "password": "password123", "next": target}
    )
    location = response.headers["Location"]
    assert response.status_code == 302
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
    assert not urlsplit(location).netloc  # "/%5Cevil" (Werkzeug quotes "\\") stays here
