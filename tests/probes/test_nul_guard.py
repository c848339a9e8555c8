"""NUL characters in user input are dropped before the database on SQLite and PostgreSQL."""

from sqlalchemy import select

from portal.extensions import db
from portal.models import SearchLog, Topic


def test_nul_in_a_search_and_a_topic_is_dropped_not_a_500(client, make):
    assert client.get("/search?q=退货\x00政策").status_code == 200
    assert db.session.scalar(select(SearchLog.query_raw)) == "退货政策"
    client.login(make.user())
    response = client.post(
        "/forum/new",
        {
            "title": "同步\x00失败",
            "kind": "discussion",
            "category_id": "",
            "tags": "",
            "body_md": "正文\x00内容",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    topic = db.session.scalar(select(Topic))
    assert topic.title == "同步失败"
