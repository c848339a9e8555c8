"""Content gaps: synonyms, clustering of unmet queries into needs, the editor actions and the
before/after outcome of handled needs."""

import csv
import io
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.insights.gaps import find_needs, keyword_set, need_key, need_outcome
from portal.insights.ranges import DateRange
from portal.insights.rollup import roll_up
from portal.models import Article, ContentNeed, QueryDayStat
from search import synonyms

OCTOBER = DateRange(date(2026, 10, 1), date(2026, 10, 31))
RANGE = {"start": "2026-10-01", "end": "2026-10-31"}
RETURNS = need_key({"退货"})
INVOICE_TITLE = need_key({"发票", "抬头"})


def stat(day, query, searches, zero=0, clicked=0, tokens=""):
    """One rollup row, as portal.insights.rollup writes them."""
    db.session.add(
        QueryDayStat(
            day=date.fromisoformat(day),
            query=query,
            tokens=tokens,
            searches=searches,
            zero_results=zero,
            clicked=clicked,
        )
    )
    db.session.commit()


@pytest.fixture
def october(app):
    """Returns asked three ways, invoice titles four ways, two unrelated needs, noise."""
    stat("2026-10-05", "退款怎么办", 4, zero=0, clicked=1)  # 3 unclicked
    stat("2026-10-06", "退货怎么办", 2, zero=2, tokens="退货")
    stat("2026-10-20", "退货怎么办", 1, zero=1, tokens="退货")
    stat("2026-10-07", "退貨怎麼辦", 2, zero=1)  # 1 unclicked, tokens re-analysed
    stat("2026-10-08", "发票抬头怎么改", 3, zero=3)
    stat("2026-10-09", "發票抬頭", 1, zero=0)
    stat("2026-10-09", "修改发票抬头", 2, zero=2)
    stat("2026-10-10", "invoice", 2, zero=1)
    stat("2026-10-11", "发票邮寄", 2, zero=2)  # {发票, 邮寄}: Jaccard 1/3 with the core
    stat("2026-10-12", "同步失败", 3, zero=3)
    stat("2026-10-13", "打印", 1, zero=1)  # below min_searches=2
    stat("2026-10-14", "退货政策", 10, clicked=10)  # found and clicked: no need
    stat("2026-10-15", "怎么办", 5, zero=5)  # only stop words: no keywords
    stat("2026-09-15", "退货", 5, zero=5)  # previous range, same keyword set as the need
    stat("2026-09-16", "同步失败", 6, clicked=6)  # previous range
    stat("2026-08-30", "退货", 50, zero=50)  # before the previous range
    stat("2026-12-20", "退货", 50, zero=50)  # after the range


def _needs():
    return {n.key: n for n in find_needs(OCTOBER)}


def test_synonym_members_are_single_tokens_in_one_group():
    """Every curated member analyses to one token, and no token sits in two groups."""
    assert 15 <= len(synonyms.DEFAULT_GROUPS) <= 25
    seen = {}
    for group in synonyms.DEFAULT_GROUPS:
        for member in group:
            tokens = synonyms.tokenize(member)
            assert len(tokens) == 1, member
            assert seen.setdefault(tokens[0], group[0]) == group[0], member
    assert len(seen) == len(synonyms.synonym_table())


@pytest.mark.parametrize(
    "token, expected",
    [
        ("退貨", "退货"),
        ("退款", "退货"),
        ("refund", "退货"),
        ("invoic", "发票"),
        ("開票", "发票"),
        ("ship", "快递"),
        ("licenc", "激活"),
        ("装", "安装"),
        ("闪退", "崩溃"),
        ("青禾", "青禾"),
    ],
)
def test_canonical_maps_folded_and_stemmed_tokens(token, expected):
    """canonical() takes analyzer tokens, so folded/traditional and stemmed forms map too."""
    from search.analyzer import fold

    assert synonyms.canonical(fold(token)) == expected


def test_keyword_set_drops_stop_words_and_one_character_noise():
    assert keyword_set("退貨怎麼辦") == keyword_set("退款怎么办") == {"退货"}
    assert keyword_set("发票抬头怎么改") == {"发票", "抬头"}  # 改 is one character
    assert keyword_set("怎么装") == {"安装"}  # a synonym makes 装 a keyword
    assert keyword_set("怎么办") == frozenset()


def test_returns_in_both_scripts_and_refund_are_one_need(october):
    """退货怎么办 + 退貨怎麼辦 + 退款怎么办 → one need with the summed searches."""
    need = _needs()[RETURNS]
    assert need.keywords == ["退货"]
    assert (need.searches, need.failed, need.unclicked) == (9, 4, 4)
    assert need.label == "退款怎么办"  # the most searched query
    assert need.examples == ["退款怎么办", "退货怎么办", "退貨怎麼辦"]
    assert need.status == "new" and need.content_need is None


def test_invoice_title_variants_and_english_invoice_are_one_need(october):
    need = _needs()[INVOICE_TITLE]
    assert sorted(q.query for q in need.queries) == sorted(
        ["发票抬头怎么改", "發票抬頭", "修改发票抬头", "invoice"]
    )
    assert (need.searches, need.failed, need.unclicked) == (8, 6, 2)
    assert need.label == "发票抬头怎么改"


def test_unrelated_queries_stay_apart_and_ordering_is_by_size(october):
    needs = find_needs(OCTOBER)
    assert [n.key for n in needs] == [
        RETURNS,
        INVOICE_TITLE,
        need_key({"同步", "失败"}),
        need_key({"发票", "邮寄"}),
    ]
    assert [n.searches for n in needs] == [9, 8, 3, 2]


def test_min_searches_threshold(october):
    assert need_key({"打印"}) not in _needs()
    small = {n.key: n.searches for n in find_needs(OCTOBER, min_searches=1)}
    assert small[need_key({"打印"})] == 1
    assert [n.key for n in find_needs(OCTOBER, min_searches=9)] == [RETURNS]


def test_a_query_mostly_found_and_clicked_is_not_a_need(app):
    """Unmet means at least half of the keyword set's searches failed or went unclicked."""
    stat("2026-10-02", "密码", 4, zero=1, clicked=2)  # 2 of 4 unmet: a need
    stat("2026-10-02", "同步", 4, zero=1, clicked=3)  # 1 of 4 unmet: fine
    assert [n.key for n in find_needs(OCTOBER)] == ["密码"]


def test_trend_against_the_previous_range(october):
    needs = _needs()
    returns = needs[RETURNS].trend
    assert (returns.current, returns.previous, returns.change, returns.percent) == (9, 5, 4, 80.0)
    sync = needs[need_key({"同步", "失败"})].trend
    assert (sync.previous, sync.change, sync.percent) == (6, -3, -50.0)
    assert needs[INVOICE_TITLE].trend.percent is None  # nothing before: no percentage


# --- pages and actions -------------------------------------------------------------------


def test_gaps_page_lists_needs_and_csv_matches(client, make, october):
    client.login(make.user("editor"))
    page = client.get("/insights/gaps", query_string=RANGE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in ("退款怎么办", "退貨怎麼辦", "发票抬头怎么改", "同步失败", "80.0%"):
        assert text in html
    assert "打印" not in html and "退货政策" not in html
    download = client.get("/insights/gaps", query_string={**RANGE, "csv": "needs"})
    assert download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r[1] for r in rows[1:]] == [n.key for n in find_needs(OCTOBER)]
    assert rows[1][:8] == ["退款怎么办", RETURNS, "9", "4", "4", "5", "80.0", "new"]


@pytest.mark.parametrize(
    "args, message",
    [
        ({"start": "2026-13-01"}, "dates must look like"),
        ({"start": "2026-10-31", "end": "2026-10-01"}, "before the start"),
        ({**RANGE, "min": "x"}, "min must be"),
        ({**RANGE, "csv": "nope"}, "no table"),
    ],
)
def test_gaps_page_bad_input_is_400_with_message(client, make, args, message):
    client.login(make.user("editor"))
    client.post("/lang/en")  # the message is checked in English
    response = client.get("/insights/gaps", query_string=args)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_gaps_pages_are_for_editors_only(client, make, october):
    assert client.get("/insights/gaps").status_code == 302  # to the login page
    client.login(make.user("customer"))
    assert client.get("/insights/gaps").status_code == 403
    assert client.post("/insights/gaps/draft", {"key": RETURNS, **RANGE}).status_code == 403
    assert client.post("/insights/gaps/handled", {"key": RETURNS, **RANGE}).status_code == 403
    assert db.session.scalar(select(func.count(ContentNeed.id))) == 0


def test_draft_article_for_a_need(client, make, october):
    """A draft with the questions as a checklist, tagged with the keywords, linked to the need."""
    editor = make.user("editor")
    client.login(editor)
    response = client.post("/insights/gaps/draft", {"key": INVOICE_TITLE, **RANGE})
    article = db.session.scalar(select(Article))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/editor/articles/{article.id}/edit")
    assert (article.status, article.title, article.author_id) == (
        "draft",
        "发票抬头怎么改",
        editor.id,
    )
    assert article.slug == "fa-piao-tai-tou-zen-me-gai"  # readable, not need-<hash>
    for example in (
        "- [ ] 发票抬头怎么改",
        "- [ ] 發票抬頭",
        "- [ ] 修改发票抬头",
        "- [ ] invoice",
    ):
        assert example in article.body_md
    assert sorted(article.tag_names) == ["发票", "抬头"]
    assert len(article.revisions) == 1
    row = db.session.scalar(select(ContentNeed))
    assert (row.key, row.status, row.article_id) == (INVOICE_TITLE, "open", article.id)

    again = client.post("/insights/gaps/draft", {"key": INVOICE_TITLE, **RANGE})
    assert again.headers["Location"].endswith(f"/editor/articles/{article.id}/edit")
    assert db.session.scalar(select(func.count(Article.id))) == 1  # no duplicate draft
    page = client.get("/insights/gaps", query_string=RANGE).get_data(as_text=True)
    assert f"/editor/articles/{article.id}/edit" in page


def test_draft_needs_csrf_and_a_known_key(client, make, october):
    client.login(make.user("editor"))
    assert (
        client.post("/insights/gaps/draft", {"key": RETURNS, **RANGE}, csrf=False).status_code
        == 400
    )
    unknown = client.post("/insights/gaps/draft", {"key": "不存在", **RANGE})
    assert unknown.status_code == 400 and "不存在" in unknown.get_data(as_text=True)
    assert client.post("/insights/gaps/draft", {"key": ""}).status_code == 400
    bad_range = client.post("/insights/gaps/draft", {"key": RETURNS, "start": "x"})
    assert bad_range.status_code == 400
    assert db.session.scalar(select(func.count(Article.id))) == 0


def test_mark_handled_and_outcome_before_and_after(client, make, clock, october):
    """Handled on 2026-11-02: 30 days before vs 30 days after, that day left out."""
    stat("2026-10-02", "退货怎么办", 7, zero=7)  # 31 days before: outside the window
    stat("2026-11-02", "退货怎么办", 5, zero=5)  # the day itself: left out
    stat("2026-11-10", "退货怎么办", 8, zero=0, clicked=6)
    stat("2026-11-20", "退款", 2, zero=1)
    stat("2026-11-21", "发票抬头", 9, zero=9)  # another need
    stat("2026-12-03", "退货", 4, zero=4)  # 31 days after: outside
    editor = make.user("editor")
    client.login(editor)
    response = client.post("/insights/gaps/handled", {"key": RETURNS, **RANGE})
    assert response.status_code == 303
    row = db.session.scalar(select(ContentNeed))
    assert (row.key, row.status, row.handled_at, row.handled_by_id) == (
        RETURNS,
        "handled",
        datetime(2026, 11, 2, 9, 0),
        editor.id,
    )

    outcome = need_outcome(row)
    before, after = outcome["before"], outcome["after"]
    assert (before["start"], before["end"]) == (date(2026, 10, 3), date(2026, 11, 1))
    assert (after["start"], after["end"]) == (date(2026, 11, 3), date(2026, 12, 2))
    # before: the October returns queries (9) and 退货政策 ({退货, 政策}: Jaccard 1/2, 10)
    assert (before["searches"], before["zero_results"], before["clicked"]) == (19, 4, 11)
    assert (before["zero_rate"], before["ctr"]) == (21.1, 57.9)
    assert (after["searches"], after["zero_results"], after["clicked"]) == (10, 1, 6)
    assert (after["zero_rate"], after["ctr"]) == (10.0, 60.0)

    clock.advance(days=1)
    client.post("/insights/gaps/handled", {"key": RETURNS, **RANGE})
    db.session.refresh(row)
    assert row.handled_at == datetime(2026, 11, 2, 9, 0)  # the first date is kept
    page = client.get("/insights/gaps", query_string=RANGE).get_data(as_text=True)
    handled = page[page.index('id="handled"') :]
    # the label is the need's most searched query when it was handled (10-02 counts in October)
    assert "<td>退货怎么办</td>" in handled and "19 / 10" in handled
    assert "21.1% / 10.0%" in handled and "57.9% / 60.0%" in handled
    assert "退款怎么办" not in page[page.index('id="needs"') : page.index('id="handled"')]


def test_end_to_end_from_real_searches_through_the_rollup(client, make, clock):
    """Real searches by a browser, rolled up, become one need across scripts and synonyms."""
    browser = {
        "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
    }
    make.article(title="青禾笔记快捷键", body="常用快捷键一览")
    for q in ("退货怎么办", "退貨怎麼辦", "退款怎么办", "退款怎么办"):
        assert client.get("/search", query_string={"q": q}, headers=browser).status_code == 200
        clock.advance(minutes=7)
    clock.advance(days=1)
    roll_up()
    day = date(2026, 11, 2)
    needs = find_needs(DateRange(day, day))
    assert [(n.key, n.searches, n.failed) for n in needs] == [(RETURNS, 4, 4)]
    assert needs[0].label == "退款怎么办"
