"""Ban probes: a banned account may read but not write. Every write route of app.url_map,
called with a valid form and CSRF token by a banned user who would otherwise be allowed, is
refused with 403 and leaves the database exactly as it was (logging out still works)."""

import pytest

from portal.clock import now
from portal.extensions import db
from portal.security.bans import ALLOWED_WHILE_BANNED
from tests.probe_world import TELEMETRY_TABLES, build_world, snapshot
from tests.probe_write_routes import WRITE_ROUTES, actor_for, fill, write_rules


@pytest.fixture
def world(app, make, client):
    return build_world(app, make, client)


def _post(client, rule, world):
    probe = WRITE_ROUTES[rule]
    data = {k: v for k, v in probe.form(world).items() if v is not None}
    kwargs = {"content_type": "multipart/form-data"} if probe.multipart else {}
    return client.post(fill(rule, world.ids()), data, **kwargs)


def _ban(user) -> None:
    # Set directly: editors cannot be banned through the forum, but the guard must not
    # depend on the role, so every route is tried with the user it would otherwise accept.
    user.banned_at = now()
    db.session.commit()


@pytest.mark.slow
def test_every_write_route_refuses_a_banned_user(app, client, world):
    rules = write_rules(app)
    failures, probes = [], 0
    for rule, endpoint in sorted(rules.items()):
        if endpoint in ALLOWED_WHILE_BANNED or rule == "/login":
            continue
        user = actor_for(WRITE_ROUTES[rule], world) or world.other
        _ban(user)
        client.login(user)
        # The ask form records the visit (an AskSession) before the post is refused.
        before = snapshot(skip=TELEMETRY_TABLES)
        response = _post(client, rule, world)
        probes += 1
        if response.status_code != 403:
            failures.append((rule, user.role, response.status_code))
        if snapshot(skip=TELEMETRY_TABLES) != before:
            failures.append((rule, "database changed"))
        client.logout()
        user.banned_at = None
        db.session.commit()
    assert not failures
    assert probes >= 50


def test_the_refusal_says_why(app, client, world):
    _ban(world.other)
    client.login(world.other)
    response = client.post(f"/a/{world.article.slug}/feedback", {"helpful": "yes"})
    assert response.status_code == 403
    assert "customer service" in response.get_data(as_text=True) or "客服" in response.get_data(
        as_text=True
    )
    json = client.post_json(f"/forum/p/{world.reply.id}/vote", {})
    assert json.status_code == 403


def test_a_banned_user_can_still_log_out_and_read(app, client, world):
    _ban(world.other)
    client.login(world.other)
    assert client.http.get(f"/forum/t/{world.topic.id}").status_code == 200
    assert client.logout().status_code == 302
    assert client.http.get("/account").status_code == 302  # logged out: login page
