"""Article insights: views, searches that led to an article, helpful votes and comments."""

import csv
import io
import re
from datetime import date, datetime
from html import unescape

import pytest
from flask_babel import gettext

from portal.extensions import db
from portal.insights.article_stats import article_detail, articles_table, worst_helpful_table
from portal.insights.ranges import DateRange
from portal.models import ArticleFeedback, ArticleView, SearchLog

OCTOBER = DateRange(date(2026, 10, 1), date(2026, 10, 31))
RANGE = {"start": "2026-10-01", "end": "2026-10-31"}


def _comments_of_a():
    """Article A's comments in October, newest first: date, vote, reason, text."""
    return [
        ["2026-10-08 00:00", gettext("No"), gettext("It is outdated"), "缺少运费说明"],
        ["2026-10-03 11:00", gettext("Yes"), "", "写得很清楚，谢谢"],
    ]


def _search(query, at, **flags):
    log = SearchLog(
        created_at=at,
        source="page",
        query_raw=query,
        query_normalized=query,
        tokens="",
        result_count=1,
        anon_id="s",
        **flags,
    )
    db.session.add(log)
    db.session.commit()
    return log


def _view(article, at, search=None):
    db.session.add(
        ArticleView(
            article_id=article.id,
            anon_id="v",
            created_at=at,
            search_id=search.id if search else None,
        )
    )


def _vote(article, helpful, at, comment="", user=None, anon=None, reason=None):
    db.session.add(
        ArticleFeedback(
            article_id=article.id,
            helpful=helpful,
            comment=comment,
            created_at=at,
            user_id=user.id if user else None,
            anon_id=None if user else anon,
            reason=reason,
        )
    )


@pytest.fixture
def world(app, make):
    """A: 5 views in October (3 from 2 searches), 3 yes / 1 no with two comments;
    B: 1 view, 1 yes / 3 no; C: no views, 2 yes; D: only activity outside October."""
    reader = make.user("customer", email="reader@example.com", name="读者小王")
    a = make.article(title="如何退货", slug="how-to-return")
    b = make.article(title="发票抬头修改", slug="invoice-title")
    c = make.article(title="同步设置", slug="sync-settings")
    d = make.article(title="旧文章", slug="old-one")
    first = _search("退货流程", datetime(2026, 10, 3, 10))
    second = _search("怎么退款", datetime(2026, 10, 4, 10))
    bot = _search("退货", datetime(2026, 10, 4, 11), is_bot=True)
    _view(a, datetime(2026, 10, 3, 10, 1), first)
    _view(a, datetime(2026, 10, 3, 10, 2), first)  # the same search opened twice
    _view(a, datetime(2026, 10, 4, 10, 1), second)
    _view(a, datetime(2026, 10, 5, 8))
    _view(a, datetime(2026, 10, 31, 23, 59))
    _view(a, datetime(2026, 11, 1, 0, 0), bot)  # after the range
    _view(a, datetime(2026, 10, 4, 11, 1), bot)  # in the range, from a bot search
    _view(b, datetime(2026, 10, 9))
    _view(d, datetime(2026, 9, 30, 23, 59))
    _vote(a, True, datetime(2026, 10, 3, 11), "写得很清楚，谢谢", user=reader)
    _vote(a, True, datetime(2026, 10, 6), anon="a2")
    _vote(a, True, datetime(2026, 10, 7), anon="a3")
    _vote(a, False, datetime(2026, 10, 8), "缺少运费说明", anon="a4", reason="outdated")
    _vote(a, False, datetime(2026, 9, 8), "上个月的评论", anon="a5")  # before the range
    for i, (helpful, reason) in enumerate(
        ((True, None), (False, "unclear"), (False, "unclear"), (False, None))
    ):
        _vote(b, helpful, datetime(2026, 10, 10 + i), anon=f"b{i}", reason=reason)
    _vote(c, True, datetime(2026, 10, 20), anon="c1")
    _vote(c, True, datetime(2026, 10, 21), anon="c2")
    db.session.commit()
    return {"a": a, "b": b, "c": c, "d": d, "reader": reader}


def test_articles_table_counts_views_searches_and_votes(world):
    a, b, c = world["a"], world["b"], world["c"]
    table = articles_table(OCTOBER)
    assert table.rows == [
        [a.id, "如何退货", "已发布", 6, 3, 3, 1, 75.0, 2],
        [b.id, "发票抬头修改", "已发布", 1, 0, 1, 3, 25.0, 0],
        [c.id, "同步设置", "已发布", 0, 0, 2, 0, 100.0, 0],
    ]


@pytest.mark.parametrize("min_votes, expected", [(3, ["b", "a"]), (2, ["b", "a", "c"]), (5, [])])
def test_worst_helpful_lowest_ratio_first_with_min_votes(world, min_votes, expected):
    table = worst_helpful_table(OCTOBER, min_votes=min_votes)
    assert [row[0] for row in table.rows] == [world[k].id for k in expected]
    if expected:
        assert table.rows[0][1:] == ["发票抬头修改", 1, 3, 4, 25.0]


def test_article_detail_comments_and_leading_queries(world):
    detail = article_detail(world["a"], OCTOBER)
    stat = detail["stat"]
    assert (stat.views, stat.from_search, stat.yes, stat.no, stat.helpful_percent) == (
        6,
        3,
        3,
        1,
        75.0,
    )
    assert detail["comments"].rows == _comments_of_a()
    assert detail["queries"].rows == [["怎么退款", 1], ["退货流程", 1]]  # no bot search
    assert detail["reasons"].rows == [[gettext("It is outdated"), 1]]
    assert article_detail(world["b"], OCTOBER)["reasons"].rows == [
        [gettext("It is hard to understand"), 2],
        [gettext("No reason given"), 1],
    ]
    quiet = article_detail(world["d"], OCTOBER)["stat"]
    assert (quiet.views, quiet.yes, quiet.helpful_percent) == (0, 0, None)


def _html_table(page, name):
    section = page[page.index(f'id="table-{name}"') :]
    body = section[section.index("<tbody>") : section.index("</tbody>")]
    return [
        [
            unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def _csv(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


@pytest.mark.parametrize("name", ["articles", "least-helpful"])
def test_articles_page_csv_equals_table(client, make, world, name):
    client.login(make.user("editor"))
    page = client.get("/insights/articles", query_string=RANGE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    rows = _csv(client.get("/insights/articles", query_string={**RANGE, "csv": name}))
    tables = {t.name: t for t in (articles_table(OCTOBER), worst_helpful_table(OCTOBER))}
    expected = [["" if v is None else str(v) for v in row] for row in tables[name].rows]
    assert rows[0] == tables[name].columns and rows[1:] == expected
    assert _html_table(html, name) == expected
    assert f"/insights/articles/{world['a'].id}?start=2026-10-01" in html


def test_article_page_shows_comments_but_never_who(client, make, world):
    client.login(make.user("editor"))
    a = world["a"]
    page = client.get(f"/insights/articles/{a.id}", query_string=RANGE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "缺少运费说明" in html and "写得很清楚，谢谢" in html and "上个月的评论" not in html
    assert re.search(r'id="fig-views">6<', html) and re.search(r'id="fig-from-search">3<', html)
    assert "75.0%" in html and "怎么退款" in html
    reader = world["reader"]
    for private in (reader.email, reader.display_name):
        assert private not in html
    rows = _csv(client.get(f"/insights/articles/{a.id}", query_string={**RANGE, "csv": "comments"}))
    assert rows[1:] == _comments_of_a()
    assert reader.email not in str(rows)


def test_articles_pages_editors_only_and_bad_input(client, make, world):
    a = world["a"]
    client.login(make.user("customer"))
    assert client.get("/insights/articles").status_code == 403
    assert client.get(f"/insights/articles/{a.id}").status_code == 403
    client.logout()
    client.login(make.user("admin"))
    assert client.get("/insights/articles").status_code == 200
    assert client.get("/insights/articles/999999").status_code == 404
    for args in ({"start": "x"}, {"days": "0"}, {"min_votes": "-1"}, {"csv": "users"}):
        assert client.get("/insights/articles", query_string=args).status_code == 400


def test_views_from_real_search_and_click_are_counted(client, make, clock):
    """search → click → article page: one view that came from one search, with its query."""
    article = make.article(title="退货流程说明", body="七天无理由退货的流程")
    browser = {
        "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
    }
    client.get("/search", query_string={"q": "退貨流程"}, headers=browser)
    search = db.session.query(SearchLog).one()
    click = client.get(
        f"/search/click/{search.id}",
        query_string={"key": f"article:{article.id}", "rank": 1},
        headers=browser,
    )
    client.get(click.headers["Location"], headers=browser)
    clock.advance(hours=1)  # past the window in which repeated views count once
    client.get(f"/a/{article.slug}", headers=browser)  # a second, direct view
    today = DateRange(date(2026, 11, 2), date(2026, 11, 2))
    detail = article_detail(article, today)
    assert (detail["stat"].views, detail["stat"].from_search) == (2, 1)
    assert detail["queries"].rows == [["退货流程", 1]]
