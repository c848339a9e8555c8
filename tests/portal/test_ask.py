"""Asking a question: suggestions first, every ask session recorded, deflection counted."""

import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from portal.ask import views as ask_views
from portal.ask.services import deflection_stats, find_suggestions
from portal.extensions import db
from portal.forum.services import (
    ForumError,
    PostingForbidden,
    PostingThrottled,
    accept_answer,
    create_topic,
    reply,
)
from portal.models import AskSession, SearchLog, Topic

TOKEN_RE = re.compile(r'name="token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="token"')


def token_of(page: str) -> str:
    match = TOKEN_RE.search(page)
    return match.group(1) or match.group(2)


def session_of(token: str) -> AskSession:
    db.session.expire_all()
    return db.session.scalar(select(AskSession).where(AskSession.token == token))


def start(client) -> str:
    """Open the ask page like a browser; return the session token embedded in it."""
    response = client.get("/forum/ask/")
    assert response.status_code == 200
    return token_of(response.get_data(as_text=True))


@pytest.fixture
def content(make):
    """Published and draft articles, a solved and an unsolved question, all about returns."""
    shop = make.category("shop", "购物帮助")
    policy = make.article(
        "七天无理由退货政策",
        slug="return-policy",
        category=shop,
        tags=["退货"],
        body="签收次日起七天内可申请退货，退款原路返回。",
    )
    make.article("退货草稿", slug="return-draft", status="draft", body="还没发布的退货说明。")
    make.article("安装青禾笔记", slug="install", body="下载安装包并运行。")
    asker, helper = make.user(), make.user()
    solved = create_topic(
        asker, title="退货运费谁承担？", body_md="想退货，运费怎么算？", category_id=shop.id
    )
    accept_answer(solved, reply(solved, helper, "质量问题退货由商家承担运费。"), asker)
    unsolved = create_topic(
        asker, title="退货包装丢了还能退吗？", body_md="盒子扔了。", category_id=shop.id
    )
    return {"shop": shop, "policy": policy, "solved": solved, "unsolved": unsolved}


def test_start_page_creates_a_session_and_loads_the_script(client):
    """Each visit is an AskSession; the page embeds its token and includes ask.js deferred."""
    page = client.get("/forum/ask/").get_data(as_text=True)
    session = session_of(token_of(page))
    assert session.anon_id and session.user_id is None and session.outcome == "abandoned"
    assert re.search(r'<script src="/static/js/ask.js[^"]*" defer>', page)
    assert "<script>" not in page


def test_suggest_returns_published_articles_and_solved_topics(client, content):
    """Drafts and unsolved topics are never suggested; urls go through ask.open."""
    token = start(client)
    data = client.get("/forum/ask/suggest", query_string={"q": "退货", "token": token}).json
    found = {(s["type"], s["title"]) for s in data["suggestions"]}
    assert ("article", "七天无理由退货政策") in found
    assert ("forum", "退货运费谁承担？") in found
    assert not {title for _type, title in found} & {"退货草稿", "退货包装丢了还能退吗？"}
    forum = next(s for s in data["suggestions"] if s["type"] == "forum")
    assert forum["solved"] is True
    assert forum["url"] == f"/forum/ask/open/{token}?key=forum:{content['solved'].id}"
    assert all(set(s) == {"type", "title", "url", "snippet", "solved"} for s in data["suggestions"])
    assert "<mark>" in "".join(s["snippet"] for s in data["suggestions"])


def test_suggest_records_title_and_shown_counts_without_logging_searches(client, content):
    """The session keeps the last title and adds up what was shown; no SearchLog rows."""
    token = start(client)
    first = client.get("/forum/ask/suggest", query_string={"q": "退货", "token": token}).json
    second = client.get("/forum/ask/suggest", query_string={"q": "退货 运费", "token": token}).json
    session = session_of(token)
    assert session.last_title == "退货 运费"
    assert session.suggestions_shown == len(first["suggestions"]) + len(second["suggestions"])
    assert db.session.scalar(select(func.count()).select_from(SearchLog)) == 0


def test_suggestions_without_highlighting_are_the_same_unmarked(content):
    """highlight=False (the demo traffic, which shows nothing): the same suggestions in the
    same order, with no <mark> in titles or snippets."""
    marked = find_suggestions("退货 运费")
    plain = find_suggestions("退货 运费", highlight=False)
    assert [s.key for s in plain] == [s.key for s in marked] and len(marked) >= 2
    assert "<mark>" in "".join(s.title_html + s.snippet for s in marked)
    assert "<mark>" not in "".join(s.title_html + s.snippet for s in plain)


@pytest.mark.parametrize("query", ["", " ", "退", "的"])
def test_suggest_with_empty_or_short_text_is_empty(client, content, query):
    token = start(client)
    response = client.get("/forum/ask/suggest", query_string={"q": query, "token": token})
    assert response.status_code == 200 and response.json == {"suggestions": []}


@pytest.mark.parametrize("token", ["nope", "", "x" * 100])
def test_suggest_with_bad_token_is_json_404(client, content, token):
    response = client.get("/forum/ask/suggest", query_string={"q": "退货", "token": token})
    assert response.status_code == 404 and "error" in response.json


def test_opening_a_suggestion_then_leaving_is_deflected(client, content):
    """The first opened suggestion is recorded, and the visitor lands on it."""
    token = start(client)
    client.get("/forum/ask/suggest", query_string={"q": "退货", "token": token})
    response = client.get(f"/forum/ask/open/{token}?key=forum:{content['solved'].id}")
    assert response.status_code == 302
    assert response.location == f"/forum/t/{content['solved'].id}"
    article = client.get(f"/forum/ask/open/{token}?key=article:{content['policy'].id}")
    assert article.status_code == 302 and article.location == "/a/return-policy"
    session = session_of(token)
    assert session.opened_key == f"forum:{content['solved'].id}"
    assert session.opened_suggestion_at is not None and session.outcome == "deflected"


@pytest.mark.parametrize("key", ["", "article:999", "user:1", "article:abc", "forum:"])
def test_opening_a_bad_key_is_404_and_not_recorded(client, content, key):
    token = start(client)
    assert client.get(f"/forum/ask/open/{token}", query_string={"key": key}).status_code == 404
    assert session_of(token).opened_suggestion_at is None


def test_no_js_step_two_renders_suggestions_and_the_full_form(client, make, content):
    """Submitting the title (GET) shows suggestions server-side above the full form."""
    client.login(make.user())
    token = start(client)
    page = client.get("/forum/ask/", query_string={"title": "退货", "token": token})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "七天无理由<mark>退货</mark>政策" in html
    assert f"/forum/ask/open/{token}?key=forum:{content['solved'].id}" in html
    assert "退货包装丢了还能退吗？" not in html
    assert 'value="退货"' in html and 'name="body_md"' in html and 'name="wants_expert"' in html
    assert "购物帮助" in html  # the category select
    assert session_of(token).last_title == "退货"


def post_form(token, **overrides):
    form = {
        "token": token,
        "title": "退货后多久退款到账？",
        "kind": "question",
        "category_id": "",
        "tags": "退款, 退货",
        "body_md": "上周寄回的商品，还没收到退款。",
    }
    form.update(overrides)
    return form


def test_posting_creates_the_topic_and_marks_the_session_posted(client, make, content):
    user = make.user()
    client.login(user)
    token = start(client)
    form = post_form(token, category_id=str(content["shop"].id), wants_expert="y")
    response = client.post("/forum/ask/", form)
    assert response.status_code == 303
    topic = db.session.scalar(select(Topic).where(Topic.title == "退货后多久退款到账？"))
    assert response.location == f"/forum/t/{topic.id}"
    assert (topic.author_id, topic.category_id) == (user.id, content["shop"].id)
    assert topic.wants_expert and topic.kind == "question"
    assert sorted(t.name for t in topic.tags) == ["退款", "退货"]
    session = session_of(token)
    assert session.topic_id == topic.id and session.outcome == "posted"


def test_posting_without_login_goes_to_login_and_back_with_the_title(client, make, content):
    """Anonymous askers log in and return to the ask page with their title and session."""
    token = start(client)
    response = client.post("/forum/ask/", post_form(token))
    assert response.status_code == 302 and response.location.startswith("/login?next=")
    back = parse_qs(urlsplit(response.location).query)["next"][0]
    assert parse_qs(urlsplit(back).query) == {"title": ["退货后多久退款到账？"], "token": [token]}
    assert db.session.scalar(select(func.count()).select_from(Topic)) == 2  # the fixture's

    user = make.user()
    login = client.post("/login", {"email": user.email, "password": "password123", "next": back})
    assert login.location == back
    html = client.get(back).get_data(as_text=True)
    assert 'value="退货后多久退款到账？"' in html and token in html and 'name="body_md"' in html


def test_bad_input_keeps_the_text_with_400(client, make, content):
    client.login(make.user())
    token = start(client)
    response = client.post("/forum/ask/", post_form(token, title="", body_md="我写的很长的描述"))
    assert response.status_code == 400
    assert "我写的很长的描述" in response.get_data(as_text=True)
    assert session_of(token).topic_id is None


@pytest.mark.parametrize(
    "error, status",
    [
        (PostingThrottled("慢一点"), 429),
        (PostingForbidden("不能发帖"), 403),
        (ForumError("标题太短"), 400),
    ],
)
def test_forum_errors_keep_the_text_with_the_right_status(
    client, make, content, monkeypatch, error, status
):
    def refuse(*args, **kwargs):
        raise error

    monkeypatch.setattr(ask_views, "create_topic", refuse)
    client.login(make.user())
    token = start(client)
    response = client.post("/forum/ask/", post_form(token, body_md="保留我的文字"))
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert str(error) in html and "保留我的文字" in html and 'value="退货后多久退款到账？"' in html


def test_posting_without_csrf_token_is_400(client, make, content):
    client.login(make.user())
    token = start(client)
    response = client.post("/forum/ask/", post_form(token), csrf=False)
    assert response.status_code == 400
    assert session_of(token).topic_id is None


def test_deflection_stats_on_a_synthetic_set(app, content):
    """Counted exactly in [start, end): typed, posted, deflected, abandoned and the rate."""
    t0 = datetime(2026, 11, 2, 9, 0)
    topic_id = content["unsolved"].id

    def add(minutes, title="", opened=False, posted=False):
        db.session.add(
            AskSession(
                token=f"synthetic-{minutes}",
                anon_id="a",
                last_title=title,
                started_at=t0 + timedelta(minutes=minutes),
                opened_suggestion_at=t0 + timedelta(minutes=minutes + 1) if opened else None,
                topic_id=topic_id if posted else None,
            )
        )

    add(0)  # looked, typed nothing
    add(1, "退货")  # typed, left: abandoned
    add(2, "退货运费", opened=True)  # deflected
    add(3, "发票", opened=True)  # deflected
    add(4, "退款", opened=True, posted=True)  # opened but still posted: posted
    add(5, "积分", posted=True)  # posted
    add(60, "退货", opened=True)  # outside the window (end is exclusive)
    add(-1, "退货", posted=True)  # before the window
    db.session.commit()

    stats = deflection_stats(t0, t0 + timedelta(minutes=60))
    assert stats == {
        "sessions": 6,
        "typed": 5,
        "posted": 2,
        "deflected": 2,
        "abandoned": 1,
        "deflection_rate": 0.5,
    }
    assert (
        deflection_stats(t0 + timedelta(days=1), t0 + timedelta(days=2))["deflection_rate"] is None
    )


def test_sessions_use_the_portal_clock(app, client, content):
    """started_at and opened_suggestion_at come from portal.clock (tests can move time)."""
    clock = [datetime(2026, 1, 1, 8, 0)]
    app.config["CLOCK"] = lambda: clock[0]
    token = start(client)
    clock[0] += timedelta(minutes=5)
    client.get(f"/forum/ask/open/{token}?key=forum:{content['solved'].id}")
    session = session_of(token)
    assert session.started_at == datetime(2026, 1, 1, 8, 0)
    assert session.opened_suggestion_at == datetime(2026, 1, 1, 8, 5)
    stats = deflection_stats(datetime(2026, 1, 1), datetime(2026, 1, 2))
    assert (stats["sessions"], stats["deflected"], stats["typed"]) == (1, 1, 0)
