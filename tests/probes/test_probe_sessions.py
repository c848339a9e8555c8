"""Session probes: a session cookie or a remember-me cookie copied before logout (or before a
password change or reset elsewhere) no longer reads or writes anything after it, on any of
the read and write routes of a logged-in user. Revocation is server-side: the cookie's
session marker includes User.session_generation, which logout counts up."""

import pytest
from sqlalchemy import select

from portal.auth import reset
from portal.extensions import db
from portal.forum import services as forum
from portal.models import User
from tests.conftest import Client
from tests.probe_world import TELEMETRY_TABLES, snapshot

COOKIES = {"session": "session", "remember": "remember_token"}
READ_ROUTES = ["/account", "/me/", "/notifications", "/forum/new"]
WRITE_ROUTES = [  # (url, form): each needs a logged-in user
    ("/account", {"display_name": "接管", "locale": "en"}),
    (
        "/account/password",
        {"current": "password123", "new": "Stolen-cookie-77", "confirm": "Stolen-cookie-77"},
    ),
    ("/forum/t/{topic}/reply", {"body_md": "用偷来的 cookie 回复"}),
    ("/forum/t/{topic}/watch", {}),
    ("/notifications/read", {}),
    (
        "/forum/new",
        {"title": "偷来的", "kind": "question", "category_id": "", "tags": "", "body_md": "正文"},
    ),
]
NEW_PASSWORD = "Fresh-meadow-4242"


def _login(app, user, remember: bool) -> Client:
    browser = Client(app)
    response = browser.post(
        "/login",
        {"email": user.email, "password": "password123", **({"remember": "y"} if remember else {})},
    )
    assert response.status_code == 302
    return browser


def _copy(app, browser: Client, cookie: str) -> Client:
    """A second browser holding only ``cookie`` of ``browser`` (a stolen copy)."""
    value = browser.http.get_cookie(cookie).value
    thief = Client(app)
    thief.http.set_cookie(cookie, value)
    return thief


def _logged_in(browser: Client) -> bool:
    response = browser.get("/account")
    return response.status_code == 200


def _end_by_logout(app, browser, user):
    browser.logout()


def _end_by_password_change(app, browser, user):
    response = browser.post(
        "/account/password",
        {"current": "password123", "new": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302


def _end_by_password_reset(app, browser, user):
    reset.reset_password(user, NEW_PASSWORD)


ENDINGS = {
    "logout": _end_by_logout,
    "password change": _end_by_password_change,
    "password reset": _end_by_password_reset,
}


@pytest.fixture
def topic(app, make):
    limiter = app.extensions.get("portal_limiter")
    if limiter is not None:
        limiter.enabled = False
    author = make.user()
    made = forum.create_topic(author, title="会话探针", body_md="正文", category_id=None, tags=[])
    db.session.commit()
    return made


@pytest.mark.parametrize("ending", sorted(ENDINGS))
@pytest.mark.parametrize("kind", sorted(COOKIES))
def test_copied_cookie_is_dead_after_the_session_ends(app, make, topic, kind, ending):
    user = make.user()
    browser = _login(app, user, remember=kind == "remember")
    thief = _copy(app, browser, COOKIES[kind])
    assert _logged_in(thief)  # the copy works before: the probe below means something
    ENDINGS[ending](app, browser, user)

    failures = []
    for url in READ_ROUTES:
        response = thief.get(url)
        if not (response.status_code == 302 and "/login" in response.headers["Location"]):
            failures.append(("GET", url, response.status_code))
    before = snapshot(skip=TELEMETRY_TABLES)
    for url, form in WRITE_ROUTES:
        response = thief.post(url.format(topic=topic.id), form)
        if not (
            response.status_code in (302, 401)
            and "/login" in response.headers.get("Location", "/login")
        ):
            failures.append(("POST", url, response.status_code))
    assert not failures
    assert snapshot(skip=TELEMETRY_TABLES) == before


def test_logout_ends_every_copy_but_a_new_login_works(app, make):
    user = make.user()
    first = _login(app, user, remember=True)
    session_copy, remember_copy = (_copy(app, first, c) for c in COOKIES.values())
    first.logout()
    assert not _logged_in(session_copy) and not _logged_in(remember_copy)
    assert not _logged_in(first)
    again = _login(app, user, remember=False)
    assert _logged_in(again)
    generation = db.session.scalar(select(User.session_generation).where(User.id == user.id))
    assert generation == 1


def test_the_browser_that_changed_the_password_stays_logged_in(app, make):
    user = make.user()
    browser = _login(app, user, remember=False)
    _end_by_password_change(app, browser, user)
    assert _logged_in(browser)
