"""The admin audit log page: admins only, filters, pagination, links and escaping."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from portal.audit.services import PER_PAGE, record
from portal.extensions import db
from portal.models import Article
from tests.portal.test_audit_log import article_form, editor  # noqa: F401  (editor is a fixture)


@pytest.mark.parametrize("role", ["customer", "expert", "editor"])
def test_only_admins_see_the_audit_log(client, make, role):
    client.login(make.user(role))
    assert client.get("/admin/audit").status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get("/admin/audit")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


def _add(actor, action, at, target_type="article", target_id=1):
    entry = record(
        actor, action, target_type, target_id, f"{action} at {at:%H:%M}", {"n": 1}, {"n": 2}
    )
    entry.created_at = at
    return entry


def test_filters_by_actor_action_target_and_local_dates(client, make, app):
    admin = make.user("admin")
    li = make.user("editor", email="li.si@example.com")
    wang = make.user("editor", email="wang.wu@example.com")
    # Asia/Shanghai is UTC+8: 2026-11-02 17:30 UTC is already 11-03 locally.
    _add(li, "article.update", datetime(2026, 11, 2, 15, 0))
    _add(li, "tag.delete", datetime(2026, 11, 2, 17, 30), "tag")
    _add(wang, "article.update", datetime(2026, 11, 4, 1, 0))
    db.session.commit()
    client.login(admin)

    def summaries(query):
        """The summaries on the page, in page order."""
        page = client.get(f"/admin/audit?{query}").get_data(as_text=True)
        found = [
            s
            for s in ("article.update at 15:00", "tag.delete at 17:30", "article.update at 01:00")
            if s in page
        ]
        return sorted(found, key=page.index)

    assert summaries("") == [
        "article.update at 01:00",
        "tag.delete at 17:30",
        "article.update at 15:00",
    ]  # newest first
    assert summaries("actor=LI.SI") == ["tag.delete at 17:30", "article.update at 15:00"]
    assert summaries("action=article.update") == [
        "article.update at 01:00",
        "article.update at 15:00",
    ]
    assert summaries("target_type=tag") == ["tag.delete at 17:30"]
    assert summaries("start=2026-11-03&end=2026-11-03") == ["tag.delete at 17:30"]
    assert summaries("start=2026-11-02&end=2026-11-02") == ["article.update at 15:00"]
    assert summaries("actor=%25") == []  # a LIKE wildcard is matched literally
    bad = client.get("/admin/audit?start=yesterday&actor=li.si")
    assert bad.status_code == 400
    assert "wang.wu" not in bad.get_data(as_text=True)  # the other filters still apply
    assert client.get("/admin/audit?start=2026-11-05&end=2026-11-01").status_code == 400


def test_newest_first_and_pagination_keeps_filters(client, make):
    admin = make.user("admin")
    start = datetime(2026, 11, 1, 0, 0)
    for i in range(PER_PAGE + 3):
        _add(admin, "topic.lock", start + timedelta(minutes=i), "topic", i)
    _add(admin, "topic.move", start, "topic", 999)
    db.session.commit()
    client.login(admin)
    client.post("/lang/en")
    first = client.get("/admin/audit?action=topic.lock").get_data(as_text=True)
    rows = first.split("<tbody>", 1)[1]
    assert "topic.move" not in rows and rows.count("topic.lock at ") == PER_PAGE
    assert rows.index("topic.lock at 00:52") < rows.index("topic.lock at 00:51")
    assert "Page 1 of 2" in first and "action=topic.lock" in first and "page=2" in first
    second = client.get("/admin/audit?action=topic.lock&page=2").get_data(as_text=True)
    assert second.count("topic.lock at ") == 3 and "topic.lock at 00:00" in second


def test_page_shows_changes_links_live_targets_and_escapes_hostile_text(client, make, editor):  # noqa: F811
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    client.post("/editor/articles/new", article_form(title=hostile, slug="evil", summary=hostile))
    article = db.session.scalar(select(Article))
    record(editor, "tag.delete", "tag", 424242, hostile, {"name": hostile})
    db.session.commit()
    admin = make.user("admin")
    client.logout()
    client.login(admin)
    client.post("/lang/en")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(" in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert f'href="/editor/articles/{article.id}/edit"' in page  # the article exists
    assert "tag #424242" in page and ">tag #424242</a>" not in page  # no such tag: no link
    assert "<details>" in page and "Article created" in page
    assert editor.email in page
