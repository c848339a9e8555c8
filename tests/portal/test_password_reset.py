"""Password reset: the same answer for every e-mail, a mailed link that works once, in time."""

import re

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from portal.auth import lockout, reset
from portal.extensions import db
from portal.models import OutboxMail

NEW_PASSWORD = "Green-teapot-88"
LINK_RE = re.compile(r"http://localhost/reset/(\S+)")
CSRF_RE = re.compile(r'(name="csrf[-_]token"[^>]*?(content|value)=")[^"]*')


def _outbox():
    return list(db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)))


def _ask(client, email):
    return client.post("/forgot", {"email": email})


def _token_from_mail(mail) -> str:
    return LINK_RE.search(mail.body)[1]


def _reset(client, token, password=NEW_PASSWORD):
    return client.post(f"/reset/{token}", {"new": password, "confirm": password})


def test_login_page_links_to_forgot_password(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/forgot"' in page


def test_forgot_answers_the_same_and_mails_only_real_active_accounts(client, make):
    user, disabled = make.user(), make.user()
    disabled.active = False
    db.session.commit()
    pages = [
        _ask(client, email) for email in (user.email.upper(), "nobody@example.com", disabled.email)
    ]
    assert {p.status_code for p in pages} == {200}
    # Identical but for the CSRF token, which is signed with a timestamp in seconds.
    assert len({CSRF_RE.sub("", p.get_data(as_text=True)) for p in pages}) == 1
    mails = _outbox()  # every address gets a mail (equal work); only the account a link
    assert [m.to_address for m in mails] == [user.email, "nobody@example.com", disabled.email]
    assert [bool(LINK_RE.search(m.body)) for m in mails] == [True, False, False]


def test_reset_link_sets_the_password_once_and_clears_the_lock(client, make, clock):
    user = make.user()
    for _ in range(5):
        client.post("/login", {"email": user.email, "password": "wrong-password-x"})
    assert lockout.locked_until(user.email, "127.0.0.1") is not None
    _ask(client, user.email)
    token = _token_from_mail(_outbox()[-1])
    assert client.get(f"/reset/{token}").status_code == 200
    response = _reset(client, token)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    db.session.refresh(user)
    assert user.check_password(NEW_PASSWORD)
    assert lockout.current_locks(user) == []
    assert user.password_changed_at == clock.current
    client.login(user, password=NEW_PASSWORD)
    client.logout()
    client.post("/lang/en")
    again = _reset(client, token, "Another-strong-pass-9")
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)
    assert 'href="/forgot"' in again.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password(NEW_PASSWORD)


def test_expired_link_is_refused(client, make, clock):
    user = make.user()
    token = reset.make_token(user)
    clock.advance(minutes=59)
    assert client.get(f"/reset/{token}").status_code == 200
    clock.advance(minutes=1, seconds=1)
    client.post("/lang/en")
    response = _reset(client, token)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password("password123")


def test_max_age_comes_from_config(app, client, make, clock):
    app.config["PASSWORD_RESET_MAX_AGE"] = 60
    token = reset.make_token(make.user())
    clock.advance(seconds=61)
    assert client.get(f"/reset/{token}").status_code == 400


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "not-a-token",
        lambda token: token.split(".")[0],
    ],
)
def test_tampered_links_are_refused(client, make, mangle):
    token = reset.make_token(make.user())
    client.post("/lang/en")
    response = client.get(f"/reset/{mangle(token)}")
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)


def test_a_token_for_another_users_id_cannot_be_forged(app, client, make):
    attacker, victim = make.user(), make.user()
    own = reset.make_token(attacker)
    payload = URLSafeTimedSerializer("x").loads_unsafe(own)[1]
    payload["user"] = victim.id
    guesses = [
        URLSafeTimedSerializer("wrong-secret", salt=reset.SALT).dumps(payload),
        # Right key, another salt: a signature made for some other purpose.
        URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="other").dumps(payload),
        # Even signed with the real key, the fingerprint ties it to the attacker's hash.
        URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=reset.SALT).dumps(payload),
    ]
    for token in guesses:
        assert _reset(client, token).status_code == 400
    db.session.refresh(victim)
    assert victim.check_password("password123")


def test_reset_refuses_weak_passwords_with_the_reason(client, make):
    user = make.user(email="zhangwei88@example.com")
    token = reset.make_token(user)
    client.post("/lang/en")
    for weak, message in [
        ("woaini1314", "too easy to guess"),
        ("Zhangwei88-home", "e-mail address"),
        ("abcdefghijk", "Sequences like"),
    ]:
        response = _reset(client, token, weak)
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    assert _reset(client, token).status_code == 302


def test_reset_page_keeps_the_token_out_of_referers(client, make):
    response = client.get(f"/reset/{reset.make_token(make.user())}")
    assert response.headers["Referrer-Policy"] == "no-referrer"
