"""Roles and user administration."""

import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import User


@pytest.mark.parametrize(
    "url",
    ["/admin/users", "/editor/", "/editor/articles/new", "/editor/categories", "/editor/tags"],
)
def test_customer_gets_403_that_explains(client, make, url):
    client.login(make.user("customer"))
    response = client.get(url)
    assert response.status_code == 403
    assert "editor" in response.get_data(as_text=True) or "admin" in response.get_data(as_text=True)


def test_anonymous_is_sent_to_login_with_next(client):
    response = client.get("/admin/users")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


def test_editor_is_not_admin(client, make):
    client.login(make.user("editor"))
    assert client.get("/editor/").status_code == 200
    assert client.get("/admin/users").status_code == 403


def test_admin_lists_searches_and_changes_roles(client, make):
    admin = make.user("admin")
    target = make.user("customer", email="zhang.san@example.com", name="张三")
    client.login(admin)
    page = client.get("/admin/users?q=zhang").get_data(as_text=True)
    assert "zhang.san@example.com" in page and admin.email not in page
    assert client.post(f"/admin/users/{target.id}/role", {"role": "expert"}).status_code == 302
    db.session.refresh(target)
    assert target.role == "expert"
    assert client.post(f"/admin/users/{target.id}/role", {"role": "king"}).status_code == 400
    assert client.post(f"/admin/users/{target.id}/active", {"active": "0"}).status_code == 302
    db.session.refresh(target)
    assert target.active is False


def test_admin_cannot_lock_themselves_out(client, make):
    """No buttons for it on their own row; a forged post is refused with a message on the
    same page (an everyday mistake, not a full-page 400)."""
    admin = make.user("admin")
    other = make.user("editor")
    client.login(admin)
    client.post("/lang/en")
    page = client.get("/admin/users").get_data(as_text=True)
    assert f"/admin/users/{admin.id}/role" not in page
    assert f"/admin/users/{admin.id}/active" not in page
    assert f"/admin/users/{other.id}/role" in page and "data-confirm" in page
    refused = client.post(
        f"/admin/users/{admin.id}/role", {"role": "customer"}, follow_redirects=True
    )
    assert refused.status_code == 200
    assert "admin role." in refused.get_data(as_text=True)  # the reason, on the users page
    client.post(f"/admin/users/{admin.id}/active", {"active": "0"})
    db.session.refresh(admin)
    assert admin.role == "admin" and admin.active


def test_an_admin_unlocks_an_account_for_every_address(client, make):
    from portal.auth.lockout import current_locks
    from portal.models import AuditEntry

    owner, admin = make.user(), make.user("admin")
    for _ in range(5):
        client.post(
            "/login",
            {"email": owner.email, "password": "wrong-password"},
            environ_base={"REMOTE_ADDR": "10.9.0.1"},
        )
    assert current_locks(owner)
    client.login(admin)
    page = client.get("/admin/users").get_data(as_text=True)
    assert f"/admin/users/{owner.id}/unlock" in page
    assert client.post(f"/admin/users/{owner.id}/unlock").status_code == 303
    assert current_locks(owner) == []
    assert (
        db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())) == "user.unlock"
    )


def test_restoring_a_revision_asks_first(client, make):
    article = make.article("退款", slug="refund")
    client.login(make.user("editor"))
    client.post(f"/editor/articles/{article.id}/status", {"status": "archived"})
    page = client.get(f"/editor/articles/{article.id}/revisions").get_data(as_text=True)
    assert 'data-confirm="' in page and "js/confirm.js" in page


def test_role_change_requires_csrf(client, make):
    client.login(make.user("admin"))
    target = make.user()
    response = client.post(f"/admin/users/{target.id}/role", {"role": "admin"}, csrf=False)
    assert response.status_code == 400
    db.session.refresh(target)
    assert target.role == "customer"


def test_cli_users_create(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "Editor@Example.com", "--role", "editor"])
    assert result.exit_code == 0, result.output
    assert "One-time password" in result.output
    user = db.session.scalar(select(User).where(User.email == "editor@example.com"))
    assert user.role == "editor"
    again = runner.invoke(args=["users", "create", "editor@example.com"])
    assert again.exit_code != 0 and "已注册" in again.output  # CLI speaks the default locale


def test_first_admin_changes_the_one_time_password_before_anything_else(app, client, monkeypatch):
    """ensure-admin prints a one-time password; at first login every page but the
    change-password page (and logging out) sends the admin there, until it is changed."""
    app.config.update(ADMIN_EMAIL="first@example.com", ADMIN_PASSWORD="")
    output = app.test_cli_runner().invoke(args=["users", "ensure-admin"]).output
    one_time = re.search(r"One-time admin password: (\S+)", output)[1]
    admin = db.session.scalar(select(User).where(User.email == "first@example.com"))
    assert admin.must_change_password
    client.login(admin, password=one_time)
    for url in ("/", "/admin/users", "/account", "/insights/"):
        response = client.get(url)
        assert response.status_code == 303 and response.location.endswith("/account/password")
    assert client.post("/admin/users/1/role", {"role": "editor"}).status_code == 303
    page = client.get("/account/password")
    assert page.status_code == 200 and 'name="new"' in page.get_data(as_text=True)
    # A wrong current password or a weak new one keeps the admin on the page.
    assert (
        client.post(
            "/account/password", {"current": one_time, "new": "short", "confirm": "short"}
        ).status_code
        == 400
    )
    assert client.get("/admin/users").status_code == 303
    response = client.post(
        "/account/password",
        {"current": one_time, "new": "Quiet-harbor-2026", "confirm": "Quiet-harbor-2026"},
    )
    assert response.status_code == 302
    db.session.refresh(admin)
    assert not admin.must_change_password
    assert client.get("/admin/users").status_code == 200
    assert client.get("/account/password").status_code == 302  # the account page has the form


def test_cli_ensure_admin_is_idempotent(app):
    app.config.update(ADMIN_EMAIL="boss@example.com", ADMIN_PASSWORD="Quiet-harbor-2026")
    runner = app.test_cli_runner()
    assert "Created admin" in runner.invoke(args=["users", "ensure-admin"]).output
    assert "nothing to do" in runner.invoke(args=["users", "ensure-admin"]).output
    admin = db.session.scalar(select(User).where(User.email == "boss@example.com"))
    assert admin.role == "admin" and admin.check_password("Quiet-harbor-2026")
    assert not admin.must_change_password  # a password the operator chose
