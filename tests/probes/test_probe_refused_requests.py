"""Refused requests cost the sender too: a form without a valid CSRF token counts toward the
rate limits of every limited write endpoint, and a form with more fields than MAX_FORM_PARTS
(urlencoded or multipart) is refused at once with 413, on every write route."""

import time

import pytest

from portal.security.limits import LIMITS, limits_table
from tests.conftest import Client, portal_app
from tests.factories import Factories
from tests.probe_world import build_world
from tests.probe_write_routes import WRITE_ROUTES, fill

MANY_FIELDS = 150_000  # 1.7 MB of "f<n>=xy&", under MAX_CONTENT_LENGTH


@pytest.fixture
def limited(tmp_path, migrated_database):
    """An app where every limit allows 2 requests a minute, with a world to aim at."""
    tight = {name: "2/minute" for name in LIMITS}
    with portal_app(tmp_path, migrated_database, RATE_LIMITS=tight) as app:
        client = Client(app)
        world = build_world(app, Factories(), client)  # switches the limiter off...
        app.extensions["portal_limiter"].enabled = True  # ...and on again for the probe
        yield app, client, world


def _post_rules(app) -> dict[str, str]:
    """{write rule: endpoint} of the rate-limited endpoints that take a POST."""
    limited = {rule.endpoint for rule in limits_table(app)}
    return {
        rule.rule: rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint in limited and "POST" in rule.methods
    }


def test_csrf_refusals_count_toward_every_write_limit(limited):
    app, client, world = limited
    rules = _post_rules(app)
    assert {"/login", "/register", "/forgot", "/forum/t/<int:topic_id>/reply"} <= set(rules)
    failures = []
    for rule in sorted(rules):
        url = fill(rule, world.ids())
        form = {"email": f"{rules[rule]}@example.com", "csrf_token": "forged"}
        statuses = [client.post(url, form, csrf=False).status_code for _ in range(3)]
        if statuses != [400, 400, 429]:
            failures.append((rule, statuses))
    assert not failures, failures


def test_a_limited_csrf_refusal_says_how_long_to_wait(limited):
    app, client, world = limited
    for _ in range(2):
        client.post("/login", {"email": "a@example.com"}, csrf=False)
    response = client.post("/login", {"email": "a@example.com"}, csrf=False)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0


@pytest.fixture
def world(app, make, client):
    return build_world(app, make, client)


def test_a_form_with_too_many_fields_is_refused_fast_on_every_write_route(app, client, world):
    body = "&".join(f"f{n}=xy" for n in range(MANY_FIELDS)).encode()
    assert 1_500_000 < len(body) < app.config["MAX_CONTENT_LENGTH"]
    client.login(world.admin)
    client.post("/lang/en")
    failures, slowest = [], 0.0
    for rule in sorted(WRITE_ROUTES):
        client._fresh_g()
        started = time.perf_counter()
        response = client.http.post(
            fill(rule, world.ids()), data=body, content_type="application/x-www-form-urlencoded"
        )
        slowest = max(slowest, time.perf_counter() - started)
        if response.status_code != 413 or "too many fields" not in response.get_data(as_text=True):
            failures.append((rule, response.status_code))
    assert not failures, failures
    assert slowest < 0.5


def test_a_form_just_under_the_cap_is_read(app, client, world):
    """The cap counts fields, not bytes: a real form with the token still works."""
    client.login(world.owner)
    form = {f"f{n}": "x" for n in range(app.config["MAX_FORM_PARTS"] - 10)}
    response = client.post(f"/forum/t/{world.topic.id}/reply", dict(form, body_md="回复"))
    assert response.status_code in (302, 303)


def test_a_multipart_form_with_too_many_parts_is_refused(app, client, world):
    client.login(world.editor)
    fields = {f"f{n}": "x" for n in range(app.config["MAX_FORM_PARTS"] + 1)}
    response = client.post("/downloads/manage/upload", fields, content_type="multipart/form-data")
    assert response.status_code == 413
