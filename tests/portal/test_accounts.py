"""Accounts: register, log in/out, remember me, profile, password, hashing, CSRF."""

import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import OutboxMail, User


def _confirm_link(mail) -> str:
    return re.search(r"http://localhost(/register/confirm/\S+)", mail.body)[1]


def _outbox():
    return list(db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)))


def test_register_mails_a_link_that_logs_in_and_hashes_with_argon2(client):
    response = client.post(
        "/register",
        {
            "email": "Li.Wei@Example.com",
            "display_name": "李伟",
            "password": "Cedar-lantern-91",
            "confirm": "Cedar-lantern-91",
        },
    )
    assert response.status_code == 200
    assert db.session.scalar(select(User).where(User.email == "li.wei@example.com")) is None
    [mail] = _outbox()
    assert mail.to_address == "li.wei@example.com"
    link = _confirm_link(mail)
    assert client.get(link).status_code == 302
    user = db.session.scalar(select(User).where(User.email == "li.wei@example.com"))
    assert user.role == "customer"
    assert user.password_hash.startswith("$argon2id$")
    assert "Cedar-lantern-91" not in user.password_hash
    assert "李伟" in client.get("/").get_data(as_text=True)
    client.logout()
    assert client.get(link).status_code == 400  # used: the account exists now
    client.login(user, password="Cedar-lantern-91")


@pytest.mark.parametrize("token", ["", "x", "eyJlbWFpbCI6ImFAYi5jIn0.Zz.bad"])
def test_a_broken_confirmation_link_is_a_400_page(client, token):
    assert client.get(f"/register/confirm/{token}x").status_code == 400


@pytest.mark.parametrize(
    ("email", "password", "confirm", "message"),
    [
        ("not-an-email", "Tea-kettle-42", "Tea-kettle-42", "valid e-mail"),
        ("a@example.com", "short", "short", "at least 10 characters"),
        ("a@example.com", "Tea-kettle-42", "Tea-kettle-43", "differ"),
        ("a@example.com", "password123", "password123", "This is a very common password."),
        ("a@example.com", "Password2026!", "Password2026!", "similar to a commonly used"),
        ("a@example.com", "1234567890", "1234567890", "top-100 common password"),
        ("a@example.com", "zzzzzzzzzzzz", "zzzzzzzzzzzz", "Repeats like"),
        ("wangfang@example.com", "WangFang-tea-7", "WangFang-tea-7", "e-mail address"),
    ],
)
def test_register_rejects_bad_input_with_400(client, email, password, confirm, message):
    response = client.post(
        "/register",
        {"email": email, "password": password, "confirm": confirm},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    client.post("/lang/en")
    response = client.post("/register", {"email": email, "password": password, "confirm": confirm})
    assert message in response.get_data(as_text=True)


def _field_block(page, name):
    """The <div class="field"> that holds the input called ``name``."""
    start = page.rindex('<div class="field', 0, page.index(f'name="{name}"'))
    return page[start : page.index("</div>", start)]


def test_register_shows_the_rules_first_and_errors_beside_their_field(client):
    client.post("/lang/en")
    page = client.get("/register").get_data(as_text=True)
    block = _field_block(page, "password")
    assert "At least 10 characters" in block and 'aria-describedby="password-help"' in block
    form = {"email": "a@example.com", "password": "password123", "confirm": "password123"}
    page = client.post("/register", form).get_data(as_text=True)
    assert "too easy to guess" in _field_block(page, "password") and "flash-error" not in page
    page = client.post(
        "/register",
        dict(form, email="not-an-email", password="Tea-kettle-42", confirm="Tea-kettle-42"),
    ).get_data(as_text=True)
    assert "valid e-mail" in _field_block(page, "email")
    assert "valid e-mail" not in _field_block(page, "password")


def test_password_change_errors_beside_their_field(client, make):
    client.login(make.user())
    client.post("/lang/en")
    page = client.post(
        "/account/password",
        {"current": "wrong-password-1", "new": "Tea-kettle-42", "confirm": "Tea-kettle-42"},
    ).get_data(as_text=True)
    assert "not correct" in _field_block(page, "current")
    page = client.post(
        "/account/password", {"current": "password123", "new": "short", "confirm": "short"}
    ).get_data(as_text=True)
    assert "at least 10 characters" in _field_block(page, "new")
    assert "At least 10 characters" in _field_block(page, "new")  # the rules, too


CSRF_RE = re.compile(r'(name="csrf[-_]token"[^>]*?(content|value)=")[^"]*')


def test_register_answers_the_same_for_known_and_new_addresses(client, make):
    """Step 10 #9: the page said "already exists"; now the owner is mailed instead."""
    owner = make.user(email="dup@example.com")
    client.post("/lang/en")
    pages = [
        client.post(
            "/register", {"email": email, "password": "Tea-kettle-42", "confirm": "Tea-kettle-42"}
        )
        for email in ("DUP@example.com", "fresh@example.com")
    ]
    assert [p.status_code for p in pages] == [200, 200]
    assert len({CSRF_RE.sub("", p.get_data(as_text=True)) for p in pages}) == 1
    assert "already exists" not in pages[0].get_data(as_text=True)
    known, new = _outbox()
    assert (known.to_address, new.to_address) == (owner.email, "fresh@example.com")
    assert "已有账户" in known.body and "/register/confirm/" not in known.body  # owner: zh_CN
    assert "/register/confirm/" in new.body
    db.session.refresh(owner)
    assert owner.check_password("password123")  # nothing changed on the known account


def test_register_and_forgot_do_the_same_work_for_known_and_unknown(client, make, monkeypatch):
    """Timing without a stopwatch: the same costly calls happen on both paths."""
    from argon2 import PasswordHasher

    from portal.auth import registration, reset

    owner = make.user()
    calls = []
    for module, name in [
        (PasswordHasher, "hash"),
        (reset, "make_token"),
        (registration, "queue_mail"),
        (reset, "queue_mail"),
    ]:
        original = getattr(module, name)

        def spy(*args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, spy)
    commits = []
    monkeypatch.setattr(
        db.session, "commit", lambda real=db.session.commit: (commits.append(1), real())[1]
    )

    def work(url, form):
        calls.clear(), commits.clear()
        assert client.post(url, form).status_code == 200
        return sorted(calls), len(commits)

    password = {"password": "Tea-kettle-42", "confirm": "Tea-kettle-42"}
    assert work("/register", {"email": owner.email, **password}) == work(
        "/register", {"email": "nobody@example.com", **password}
    )
    assert work("/forgot", {"email": owner.email}) == work(
        "/forgot", {"email": "nobody@example.com"}
    )
    assert "make_token" in work("/forgot", {"email": "nobody@example.com"})[0]


def test_login_logout_and_wrong_password(client, make):
    user = make.user()
    assert (
        client.post("/login", {"email": user.email, "password": "wrong-password"}).status_code
        == 401
    )
    client.login(user)
    assert user.display_name in client.get("/").get_data(as_text=True)
    client.logout()
    assert "/login" in client.get("/").get_data(as_text=True)


def test_remember_me_sets_a_long_lived_cookie(client, make):
    user = make.user()
    response = client.post(
        "/login", {"email": user.email, "password": "password123", "remember": "y"}
    )
    assert "remember_token=" in " ".join(response.headers.getlist("Set-Cookie"))


def test_disabled_account_cannot_log_in(client, make):
    user = make.user()
    user.active = False
    db.session.commit()
    assert (
        client.post("/login", {"email": user.email, "password": "password123"}).status_code == 401
    )


def test_login_next_must_stay_on_site(client, make):
    user = make.user()
    response = client.post(
        "/login",
        {"email": user.email, "password": "password123", "next": "https://evil.example/steal"},
    )
    assert response.headers["Location"] == "/"
    client.logout()
    response = client.post(
        "/login", {"email": user.email, "password": "password123", "next": "/account"}
    )
    assert response.headers["Location"] == "/account"


def test_change_password_and_profile(client, make):
    user = make.user()
    client.login(user)
    bad = client.post(
        "/account/password",
        {"current": "nope-nope", "new": "Tea-kettle-42", "confirm": "Tea-kettle-42"},
    )
    assert bad.status_code == 400
    ok = client.post(
        "/account/password",
        {"current": "password123", "new": "Tea-kettle-42", "confirm": "Tea-kettle-42"},
    )
    assert ok.status_code == 302
    db.session.refresh(user)
    assert user.check_password("Tea-kettle-42") and not user.check_password("password123")
    assert user.password_changed_at is not None
    client.post("/account", {"display_name": "王芳", "locale": "en"})
    db.session.refresh(user)
    assert (user.display_name, user.locale) == ("王芳", "en")
    assert "Log out" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("short-1", "at least 10 characters"),
        ("iloveyou1314", "too easy to guess"),
        ("qwertyuiop", "too easy to guess"),
    ],
)
def test_change_password_refuses_weak_passwords(client, make, new, message):
    user = make.user()
    client.login(user)
    client.post("/lang/en")
    response = client.post(
        "/account/password", {"current": "password123", "new": new, "confirm": new}
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password("password123")


def test_forms_without_csrf_token_are_rejected(client, make):
    user = make.user()
    response = client.post("/login", {"email": user.email, "password": "password123"}, csrf=False)
    assert response.status_code == 400
    response = client.post(
        "/login",
        {"email": user.email, "password": "password123", "csrf_token": "forged"},
        csrf=False,
    )
    assert response.status_code == 400


def test_language_switch_defaults_to_chinese(client):
    assert "帮助中心" in client.get("/").get_data(as_text=True)
    client.post("/lang/en", {"next": "/"})
    assert "Help Center" in client.get("/").get_data(as_text=True)


def test_language_switch_offers_the_other_language(client):
    page = client.get("/").get_data(as_text=True)
    assert 'action="/lang/en"' in page and ">English</button>" in page
    client.post("/lang/en", {"next": "/"})
    page = client.get("/").get_data(as_text=True)
    assert 'action="/lang/zh_CN"' in page and ">中文</button>" in page
