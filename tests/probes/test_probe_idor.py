"""IDOR probes: every write route, called with a valid form and CSRF token by someone who
may not make that write (anonymous, a customer who does not own the object, an expert who is
not assigned, a lower role), is refused and leaves the database exactly as it was."""

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AskSession, Notification
from portal.notify.services import notify
from tests.probe_world import World, build_world, snapshot
from tests.probe_write_routes import WRITE_ROUTES, fill

REFUSED = {400, 401, 403, 404}


@pytest.fixture
def world(app, make, client):
    return build_world(app, make, client)


def wrong_actors(rule: str, world: World) -> list[tuple[str, object]]:
    """Users who must NOT be able to make this write (None = anonymous)."""
    probe = WRITE_ROUTES[rule]
    if probe.role == "anon":
        return []
    actors = [("anonymous", None)]
    if probe.owner == "other":  # the author of the reply
        actors += [
            ("asker", world.owner),
            ("assigned expert", world.expert),
            ("editor", world.editor),
            ("stranger", world.victim),
        ]
    elif probe.owner == "owner":  # the asker
        actors += [("replier", world.other), ("stranger", world.victim)]
    elif probe.owner == "expert":  # the assigned expert
        actors += [
            ("other expert", world.other_expert),
            ("asker", world.owner),
            ("editor", world.editor),
        ]
    elif probe.role == "expert":
        actors += [("customer", world.owner)]
    elif probe.role == "editor":
        actors += [("customer", world.owner), ("expert", world.expert)]
    elif probe.role == "admin":
        actors += [("customer", world.owner), ("expert", world.expert), ("editor", world.editor)]
    return actors


def _post(client, rule, world):
    probe = WRITE_ROUTES[rule]
    data = {k: v for k, v in probe.form(world).items() if v is not None}
    kwargs = {"content_type": "multipart/form-data"} if probe.multipart else {}
    return client.post(fill(rule, world.ids()), data, **kwargs)


@pytest.mark.slow
def test_every_write_route_refuses_users_who_may_not_write(app, client, world):
    """One world for all routes: refusals change nothing, so every probe sees the same
    objects; a write that gets through shows as a status or a changed snapshot."""
    failures, probes = [], 0
    for rule in sorted(WRITE_ROUTES):
        for label, user in wrong_actors(rule, world):
            probes += 1
            if user is not None:
                client.login(user)
            before = snapshot()
            response = _post(client, rule, world)
            status, where = response.status_code, response.headers.get("Location", "")
            if user is None:
                ok = status == 401 or (status == 302 and "/login" in where)
            else:
                ok = status in REFUSED
            if not ok:
                failures.append((rule, label, status, where))
            if snapshot() != before:
                failures.append((rule, label, "database changed"))
            if user is not None:
                client.logout()
    assert not failures
    assert probes >= 140


def test_the_right_user_gets_through(app, client, world):
    """The probes above mean something: the same forms succeed for the allowed user."""
    for rule, user in [
        ("/forum/p/<int:post_id>/edit", world.other),
        ("/experts/assignments/<int:assignment_id>/decline", world.expert),
        ("/forum/p/<int:post_id>/accept", world.owner),
        ("/admin/users/<int:user_id>/role", world.admin),
    ]:
        client.login(user)
        before = snapshot()
        response = _post(client, rule, world)
        assert response.status_code in (302, 303), (rule, response.status_code)
        assert snapshot() != before, rule
        client.logout()


def test_mark_read_only_touches_my_own_notifications(app, client, world):
    notify([world.owner.id, world.other.id], "test", "hello", "/")
    db.session.commit()
    client.login(world.owner)
    assert client.post("/notifications/read").status_code == 302
    db.session.expire_all()
    unread = db.session.scalars(
        select(Notification.user_id).where(Notification.read_at.is_(None))
    ).all()
    assert world.owner.id not in unread and world.other.id in unread


def test_watch_toggles_only_my_own_watch(app, client, world):
    """Watches are keyed by the logged-in user: a second user cannot switch off the first's."""
    before = snapshot()["watches"]
    client.login(world.victim)
    client.post(f"/forum/t/{world.topic.id}/watch")
    client.post(f"/forum/t/{world.topic.id}/watch")  # on, then off again
    assert snapshot()["watches"] == before


def test_posting_with_another_users_ask_token_does_not_take_over_their_session(app, client, world):
    """Hole found by the probes: an ask-session token of someone else (a shared link) let a
    second user attach their question to that session, rewriting its outcome."""
    client.login(world.owner)
    page = client.get("/forum/ask/?title=退货运费")
    assert page.status_code == 200
    session = db.session.scalars(select(AskSession).order_by(AskSession.id.desc())).first()
    assert session.user_id == world.owner.id
    client.logout()
    client.login(world.victim)
    response = client.post(
        "/forum/ask/",
        {
            "token": session.token,
            "title": "别人的问题",
            "kind": "discussion",
            "category_id": "",
            "tags": "",
            "body_md": "正文",
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    mine = db.session.get(AskSession, session.id)
    assert mine.topic_id is None and mine.user_id == world.owner.id
    theirs = db.session.scalars(select(AskSession).where(AskSession.user_id == world.victim.id))
    assert [s.topic_id is not None for s in theirs] == [True]
