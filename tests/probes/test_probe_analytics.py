"""Analytics probes: the figures editors act on (views, clicks, ask sessions, helpful votes)
cannot be forged. Every route that takes a search id or an ask-session token refuses to add
to a record another visitor made, and no GET route counts one visitor's reloads, with or
without the cookie, as more than one view."""

import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Article, ArticleFeedback, ArticleView, AskSession, SearchClick, Topic
from tests.probe_world import build_world, snapshot
from tests.probe_write_routes import fill

ELSEWHERE = {"REMOTE_ADDR": "10.9.9.9"}


@pytest.fixture
def world(app, make, client):
    return build_world(app, make, client)


def _search_id(client) -> int:
    html = client.get("/search?q=退货运费").get_data(as_text=True)
    return int(re.search(r"/search/click/(\d+)", html).group(1))


def _ask_token(client) -> str:
    assert client.get("/forum/ask/?title=退货运费谁承担").status_code == 200
    return db.session.scalars(select(AskSession.token).order_by(AskSession.id.desc())).first()


def _handle_routes(world, search_id: int, token: str) -> dict[str, tuple]:
    """Every route that names someone's search or ask session: (method, url, form)."""
    key = f"article:{world.article.id}"
    return {
        "/search/click/<int:search_id>": (
            "GET",
            f"/search/click/{search_id}?key={key}&rank=1",
            None,
        ),
        "/a/<slug>": ("GET", f"/a/{world.article.slug}?sid={search_id}", None),
        "/a/<slug>/feedback": (
            "POST",
            f"/a/{world.article.slug}/feedback",
            {"helpful": "no", "sid": str(search_id)},
        ),
        "/forum/ask/": ("GET", f"/forum/ask/?token={token}&title=改写别人的标题", None),
        "/forum/ask/suggest": ("GET", f"/forum/ask/suggest?token={token}&q=改写别人的标题", None),
        "/forum/ask/open/<token>": ("GET", f"/forum/ask/open/{token}?key={key}", None),
        "/forum/ask/#post": (
            "POST",
            "/forum/ask/",
            {
                "token": token,
                "title": "别人的会话",
                "kind": "discussion",
                "category_id": "",
                "tags": "",
                "body_md": "正文",
            },
        ),
    }


def _records_of(search_id: int, token: str) -> tuple:
    db.session.expire_all()
    ask = db.session.scalar(select(AskSession).where(AskSession.token == token))
    return (
        db.session.scalar(
            select(func.count()).select_from(SearchClick).where(SearchClick.search_id == search_id)
        ),
        db.session.scalar(
            select(func.count()).select_from(ArticleView).where(ArticleView.search_id == search_id)
        ),
        db.session.scalar(
            select(func.count())
            .select_from(ArticleFeedback)
            .where(ArticleFeedback.search_id == search_id)
        ),
        (ask.last_title, ask.suggestions_shown, ask.opened_key, ask.topic_id, ask.user_id),
    )


def test_every_route_naming_a_record_is_in_the_probe_list(app, world):
    """A route added later that takes a search id or a token must be probed below too."""
    named = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if {"search_id", "token"} & set(rule.arguments)
    }
    listed = {rule.partition("#")[0] for rule in _handle_routes(world, 1, "t")}
    # Password-reset and sign-up tokens are no analytics records (accounts have their own
    # probes).
    assert named - {"/reset/<token>", "/register/confirm/<token>"} <= listed


@pytest.mark.parametrize("intruder", ["other browser", "other network", "logged-in user"])
def test_nobody_adds_to_another_visitors_search_or_ask_session(app, client, world, intruder):
    search_id, token = _search_id(client), _ask_token(client)
    before = _records_of(search_id, token)
    other = type(client)(app)
    environ = ELSEWHERE if intruder == "other network" else {}
    if intruder == "logged-in user":
        other.login(world.victim)
    for rule, (method, url, form) in _handle_routes(world, search_id, token).items():
        if method == "GET":
            response = other.get(url, environ_base=environ)
        else:
            response = other.post(url, form, environ_base=environ)
        assert response.status_code < 500, rule
        assert _records_of(search_id, token) == before, rule


def test_the_visitor_who_searched_still_has_clicks_and_sessions_recorded(app, client, world):
    search_id, token = _search_id(client), _ask_token(client)
    routes = _handle_routes(world, search_id, token)
    for rule in ("/search/click/<int:search_id>", "/a/<slug>", "/forum/ask/open/<token>"):
        assert client.get(routes[rule][1]).status_code in (200, 302), rule
    clicks, views, _votes, ask = _records_of(search_id, token)
    assert clicks == 1 and views >= 1 and ask[2] == f"article:{world.article.id}"


def _counters() -> dict:
    db.session.expire_all()
    return {
        **{("article", a.id): a.view_count for a in db.session.scalars(select(Article))},
        **{("topic", t.id): t.view_count for t in db.session.scalars(select(Topic))},
    }


@pytest.mark.slow
def test_no_get_route_counts_one_visitors_reloads_twice(app, client, world):
    """Every GET rule of the URL map, five times, each time without cookies (a new anonymous
    id) and then five times as a logged-in user: each counter moves by one at most."""
    rules = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.rule.startswith("/static")
    )
    ids = world.ids()
    for who in (None, world.owner):
        visitor = type(client)(app)
        if who is not None:
            visitor.login(who)
        before = _counters()
        for rule in rules:
            try:
                url = fill(rule, ids)
            except KeyError:
                continue
            for _ in range(5):
                if who is None:
                    visitor = type(client)(app)  # no cookie kept: a fresh anonymous id
                assert visitor.get(url).status_code < 500, url
        after = _counters()
        raised = {
            key: after[key] - before.get(key, 0)
            for key in after
            if after[key] - before.get(key, 0) > 1
        }
        assert not raised, (who, raised)


@pytest.mark.slow
def test_a_fresh_cookie_for_each_vote_still_counts_once(app, make, client):
    """The reported storm: 40 votes, each from a fresh cookie, raised helpful_yes by 40."""
    limiter = app.extensions.get("portal_limiter")
    limiter.enabled = False  # the per-IP limit is probed separately: this is the identity
    article = make.article(slug="storm")
    for _ in range(40):
        type(client)(app).post("/a/storm/feedback", {"helpful": "yes"})
    db.session.refresh(article)
    assert article.helpful_yes == 1
    type(client)(app).post("/a/storm/feedback", {"helpful": "yes"}, environ_base=ELSEWHERE)
    db.session.refresh(article)
    assert article.helpful_yes == 2  # another network is another visitor


def test_feedback_is_rate_limited_per_address(app, make, client):
    make.article(slug="limited")
    statuses = [
        type(client)(app)
        .post("/a/limited/feedback", {"helpful": "no", "comment": "x" * 900})
        .status_code
        for _ in range(8)
    ]
    assert statuses[:5] == [303] * 5 and statuses[5:] == [429] * 3
    response = type(client)(app).post(
        "/a/limited/feedback", {"helpful": "no"}, environ_base=ELSEWHERE
    )
    assert response.status_code == 303


def test_an_overlong_comment_is_refused_with_a_message(app, make, client):
    article = make.article(slug="long")
    before = snapshot()["article_feedback"]
    response = client.post("/a/long/feedback", {"helpful": "no", "comment": "长" * 1001})
    assert response.status_code == 400 and "1000" in response.get_data(as_text=True)
    assert snapshot()["article_feedback"] == before
    db.session.refresh(article)
    assert article.helpful_no == 0
