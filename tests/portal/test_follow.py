"""Following an article: readers are told (bell and mail) when a published article they
follow changes, whoever changed it and however (editor, restore, import)."""

from sqlalchemy import select

from portal.extensions import db
from portal.models import Notification, OutboxMail


def _edit(client, article, body):
    form = {
        "title": article.title,
        "slug": article.slug,
        "summary": "",
        "category_id": "",
        "language": article.language,
        "status": "published",
        "tags": "",
        "body_md": body,
        "note": "",
        "base_revision": str(len(article.revisions)),
    }
    return client.post(f"/editor/articles/{article.id}/edit", form)


def _notified(user):
    return db.session.scalars(
        select(Notification.message).where(Notification.user_id == user.id)
    ).all()


def test_a_follower_hears_of_each_visible_update_and_can_stop(client, make):
    article = make.article("退款到账时间", slug="refund", body="三天到账。")
    reader, editor = make.user(), make.user("editor")
    client.login(reader)
    page = client.get("/a/refund").get_data(as_text=True)
    assert 'action="/a/refund/follow"' in page
    assert client.post("/a/refund/follow").status_code == 303
    client.logout()

    client.login(editor)
    assert _edit(client, article, "五天到账。").status_code == 302
    assert _edit(client, article, "五天到账。").status_code == 302  # unchanged: no news
    assert len(_notified(reader)) == 1 and "退款到账时间" in _notified(reader)[0]
    assert _notified(editor) == []  # the one who changed it is not told
    assert db.session.scalar(select(OutboxMail.to_address)) == reader.email
    client.post(f"/editor/articles/{article.id}/revisions/1/restore")
    assert len(_notified(reader)) == 2
    client.logout()

    client.login(reader)
    client.post("/a/refund/follow")  # again: stop following
    client.logout()
    client.login(editor)
    db.session.expire_all()
    _edit(client, article, "七天到账。")
    assert len(_notified(reader)) == 2


def test_following_needs_an_account(client, make):
    """(Its CSRF check is in the probe family of tests/probes/test_probe_csrf.py.)"""
    make.article("退款", slug="refund")
    page = client.get("/a/refund").get_data(as_text=True)
    assert "/login?next=/a/refund" in page and 'action="/a/refund/follow"' not in page
    response = client.post("/a/refund/follow")
    assert response.status_code == 302 and "/login" in response.location
    assert db.session.scalar(select(Notification)) is None


def test_an_import_that_changes_a_followed_article_tells_its_followers(app, client, make, tmp_path):
    source = tmp_path / "kb"
    source.mkdir()
    page = "---\nslug: fees\ntitle: 运费\n---\n{body}\n"
    (source / "fees.md").write_text(page.format(body="十元"), encoding="utf-8")
    app.test_cli_runner().invoke(args=["kb", "import", str(source)])
    reader = make.user()
    client.login(reader)
    client.post("/a/fees/follow")
    (source / "fees.md").write_text(page.format(body="八元"), encoding="utf-8")
    app.test_cli_runner().invoke(args=["kb", "import", str(source)])
    assert len(_notified(reader)) == 1
