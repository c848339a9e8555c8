"""Login back-off: lockout after 5 failures, doubling locks, one refusal message for all;
per client address, so one address cannot lock the owner out from another."""

import re
from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from portal.auth import lockout
from portal.auth.services import authenticate
from portal.extensions import db
from portal.models import LoginLock

TEST_CLIENT_IP = "127.0.0.1"  # the address the Flask test client comes from


def _fail(user, times, client=TEST_CLIENT_IP):
    for _ in range(times):
        assert authenticate(user.email, "wrong-password-x", client) is None
    db.session.refresh(user)


def _lock(user, client=TEST_CLIENT_IP):
    """(failures, locked_until) of ``client`` on ``user``'s account."""
    db.session.expire_all()
    lock = db.session.scalar(
        db.select(LoginLock).filter_by(email_key=lockout.email_key(user.email), client=client)
    )
    return (lock.failures, lock.locked_until) if lock else (0, None)


def _refusal_message(response) -> str:
    return re.search(r'class="flash flash-error">([^<]*)<', response.get_data(as_text=True))[1]


def test_lock_duration_doubles_from_one_minute_up_to_fifteen():
    minutes = [lockout.lock_duration(n) / timedelta(minutes=1) for n in range(1, 12)]
    assert minutes == [0, 0, 0, 0, 1, 2, 4, 8, 15, 15, 15]
    assert lockout.lock_duration(10**6) == timedelta(minutes=15)


def test_fifth_failure_locks_even_the_right_password_out(client, make, clock):
    user = make.user()
    _fail(user, 4)
    assert _lock(user) == (4, None)
    _fail(user, 1)
    assert _lock(user)[1] == clock.START + timedelta(minutes=1)
    response = client.post("/login", {"email": user.email, "password": "password123"})
    assert response.status_code == 401
    assert _lock(user)[0] == 5  # attempts while locked are not checked, not counted


def test_lock_ends_when_the_clock_passes_it_and_success_resets(client, make, clock):
    user = make.user()
    _fail(user, 5)
    clock.advance(seconds=59)
    assert authenticate(user.email, "password123", TEST_CLIENT_IP) is None
    clock.advance(seconds=2)
    client.login(user)
    db.session.refresh(user)
    assert _lock(user) == (0, None)
    assert user.last_login_at == clock.current


def test_each_further_failure_doubles_the_lock(make, clock):
    user = make.user()
    _fail(user, 5)
    clock.advance(minutes=1, seconds=1)
    _fail(user, 1)
    assert _lock(user)[1] == clock.current + timedelta(minutes=2)
    clock.advance(minutes=2, seconds=1)
    _fail(user, 1)
    assert _lock(user)[1] == clock.current + timedelta(minutes=4)


def test_success_before_the_limit_starts_the_count_again(make, clock):
    user = make.user()
    _fail(user, 4)
    assert authenticate(user.email, "password123", TEST_CLIENT_IP) == user
    _fail(user, 4)
    assert _lock(user) == (4, None)


def test_refusals_look_the_same_for_unknown_and_wrong(client, make, clock):
    client.post("/lang/en")
    user = make.user()
    responses = [
        client.post("/login", {"email": "nobody@example.com", "password": "password123"}),
        client.post("/login", {"email": user.email, "password": "wrong-password-x"}),
    ]
    assert {r.status_code for r in responses} == {401}
    messages = {_refusal_message(r) for r in responses}
    assert len(messages) == 1
    assert "reset your password" in messages.pop()


def test_an_unknown_e_mail_stores_only_a_keyed_hash_and_stale_counts_go(make, clock):
    assert authenticate("Someone@Example.com ", "guess", TEST_CLIENT_IP) is None
    lock = db.session.scalar(db.select(LoginLock))
    assert lock.user_id is None and "someone" not in lock.email_key
    assert lock.email_key == lockout.email_key("someone@example.com")
    clock.advance(hours=23)
    assert lockout.purge_stale() == 0
    clock.advance(hours=2)
    assert lockout.purge_stale() == 1
    assert db.session.scalar(db.select(LoginLock)) is None


def test_unknown_email_and_locked_account_still_run_one_argon2_verify(make, monkeypatch):
    user = make.user()
    _fail(user, 5)
    calls = []
    real_verify = PasswordHasher.verify

    def counting_verify(self, hash_, password):
        calls.append(password)
        return real_verify(self, hash_, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    assert authenticate("nobody@example.com", "guess-one", TEST_CLIENT_IP) is None
    assert authenticate(user.email, "password123", TEST_CLIENT_IP) is None
    assert calls == ["guess-one", "password123"]
    assert _lock(user)[0] == 5


def test_admin_users_list_shows_the_lock(client, make, clock):
    admin, locked = make.user(role="admin"), make.user()
    _fail(locked, 5)
    client.login(admin)
    client.post("/lang/en")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "Locked until" in page
    assert "5 failed logins" in page
    clock.advance(minutes=3)
    assert "5 failed logins" not in client.get("/admin/users").get_data(as_text=True)


def test_a_password_change_signs_out_every_other_browser_but_this_one(app, client, make):
    from tests.conftest import Client

    user = make.user()
    other = Client(app)
    client.login(user)
    other.login(user)
    assert other.get("/me/").status_code == 200
    response = client.post(
        "/account/password",
        {"current": "password123", "new": "Quiet-harbor-2026", "confirm": "Quiet-harbor-2026"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert client.get("/me/").status_code == 200
    assert other.get("/me/").status_code == 302  # back to the login page


# -- step 10 #12: one address guessing cannot keep the owner out ---------------------------

ATTACKERS = ["10.66.0.1", "10.66.0.2", "10.66.0.3"]
OWNER_IP = "192.0.2.10"


def _login_from(client, ip, email, password):
    return client.post(
        "/login", {"email": email, "password": password}, environ_base={"REMOTE_ADDR": ip}
    )


@pytest.mark.parametrize("attackers,tries", [(1, 5), (1, 10), (1, 25), (3, 10)])
def test_guessing_from_other_addresses_never_locks_the_owner_out(
    client, make, clock, attackers, tries
):
    """However many wrong passwords come from other addresses (past the lock and past the
    rate limits), the owner's right password from their own address gets in."""
    owner = make.user()
    for ip in ATTACKERS[:attackers]:
        statuses = [
            _login_from(client, ip, owner.email, "wrong-password-x").status_code
            for _ in range(tries)
        ]
        # Brute-force protection unchanged: 401 up to the 10th try, 429 from the 11th.
        assert statuses == [401] * min(tries, 10) + [429] * max(tries - 10, 0)
        # ...and the guessing address itself is locked out, right password or not.
        assert _login_from(client, ip, owner.email, "password123").status_code in (401, 429)
    response = _login_from(client, OWNER_IP, owner.email, "password123")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def test_a_lock_on_one_address_leaves_the_others_free(make, clock):
    user = make.user()
    _fail(user, 5, client=ATTACKERS[0])
    assert _lock(user, ATTACKERS[0])[1] is not None
    assert lockout.locked_until(user.email, OWNER_IP) is None
    assert authenticate(user.email, "password123", OWNER_IP) == user
    assert _lock(user, ATTACKERS[0])[0] == 5  # the owner's success clears only their own
    assert authenticate(user.email, "password123", ATTACKERS[0]) is None


def test_a_locked_out_person_is_told_how_long_alike_for_unknown_e_mails(client, make, clock):
    """Unknown e-mails are counted and locked exactly like accounts, so the page can say
    how long to wait without telling which e-mails have accounts."""
    client.post("/lang/en")
    user = make.user()
    messages = {}
    for email, ip in ((user.email, ATTACKERS[0]), ("nobody@example.com", ATTACKERS[1])):
        for _ in range(5):
            _login_from(client, ip, email, "wrong-password-x")
        clock.advance(seconds=10)
        response = _login_from(client, ip, email, "password123")
        assert response.status_code == 401
        messages[email] = _refusal_message(response)
        clock.advance(seconds=-10)
    assert messages[user.email] == messages["nobody@example.com"]
    assert "Try again in 1 minute," in messages[user.email]
    for _ in range(3):  # locks of 2, 4, then 8 minutes
        clock.advance(minutes=9)
        _login_from(client, ATTACKERS[0], user.email, "wrong-password-x")
    response = _login_from(client, ATTACKERS[0], user.email, "password123")
    assert "Try again in 8 minutes" in _refusal_message(response)
    clock.advance(minutes=8, seconds=1)  # (the page's own rate limit would answer 429 now)
    assert authenticate(user.email, "password123", ATTACKERS[0]) == user
