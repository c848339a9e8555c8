"""The insights overview: every KPI for a hand-computed data set (and its previous range),
the query tables, the chart series, CSV downloads, permissions and privacy of the page."""

import csv
import io
from datetime import date, datetime, timedelta

import pytest

from portal.extensions import db
from portal.insights.kpis import Kpi, compute_kpis, excluded_counts, format_value
from portal.insights.query_reports import (
    daily_series,
    hourly_series,
    no_click_queries,
    rising_queries,
    top_queries,
    zero_result_queries,
)
from portal.insights.ranges import DateRange
from portal.insights.rollup import roll_up
from portal.models import ArticleFeedback, AskSession, Assignment
from tests.portal.test_insights_rollup import at, search, topic, view

WEEK = DateRange(date(2026, 10, 8), date(2026, 10, 14))  # previous: Oct 1-7
RANGE = {"start": "2026-10-08", "end": "2026-10-14"}
NOW = datetime(2026, 10, 20, 12, 0)


def ask_session(n, when, deflected=False, topic_row=None, title="退货怎么办"):
    db.session.add(
        AskSession(
            token=f"token-{n}",
            started_at=when,
            last_title=title,
            opened_suggestion_at=when if deflected else None,
            topic_id=topic_row.id if topic_row else None,
        )
    )


def assignment(topic_row, expert, state, assigned, due, closed=None):
    db.session.add(
        Assignment(
            topic_id=topic_row.id,
            expert_id=expert.id,
            state=state,
            assigned_at=assigned,
            due_at=due,
            closed_at=closed,
        )
    )


@pytest.fixture
def week(make, clock):
    """Two weeks of traffic; the expected figures are worked out in test_every_kpi."""
    clock.current = NOW
    article = make.article(title="七天无理由退货政策")
    c1, c2, c3 = (make.user(name=f"顾客{n}", email=f"private-{n}@example.com") for n in (1, 2, 3))
    editor, expert = make.user("editor"), make.user("expert")
    slow = make.category("slow", "慢类目")
    slow.first_response_hours = 200
    old_solved = topic(datetime(2026, 9, 20), c3, solved=True)

    # Previous week (Oct 1-7): 5 searches, 2 without result, 2 clicked (rank 1 each);
    # visitor days a7/2 (served), a8/3, a9/5, a9/6 (served); no questions.
    search(at(2, 9), anon="anon-visitor-07", clicks=[(1, "article", article.id)])
    search(at(3, 9), anon="anon-visitor-08", results=0)
    search(at(3, 10), "发票", anon="anon-visitor-08", results=0)
    search(at(5, 9), anon="anon-visitor-09")
    search(at(6, 9), anon="anon-visitor-09", clicks=[(1, "article", article.id)])

    # This week (Oct 8-14): 8 human searches, 2 without result, 4 clicked (ranks 1, 2, 2, 3
    # by search: 1 [and 3], 3, 2, 2 → first ranks 1 + 3 + 2 + 2 = 8)
    search(at(8, 10, 0), anon="anon-visitor-01", clicks=[(1, "article", article.id)])
    search(at(8, 10, 5), anon="anon-visitor-01", clicks=[(3, "article", article.id)])
    search(at(8, 11), "发票", anon="anon-visitor-02", results=0)
    search(at(9, 2), "发票", user=c1, results=0)
    search(at(9, 2, 30), user=c1, results=2)
    s6 = search(at(10, 20), anon="anon-visitor-03", clicks=[(2, "article", article.id)])
    search(at(10, 20, 10), "密码", anon="anon-visitor-04", clicks=[(2, "forum", old_solved.id)])
    search(at(11, 3), "密码", anon="anon-visitor-05", results=5)
    # Excluded: 2 bot searches, 1 staff search (and staff views)
    search(at(8, 10, 30), anon="anon-bot", bot=True)
    search(at(8, 10, 31), anon="anon-bot", bot=True)
    search(at(9, 5), user=editor, staff=True)
    view(at(10, 20, 1), article, anon="anon-visitor-03", search_id=s6.id)
    view(at(12, 8), article, anon="anon-visitor-06")
    view(at(10, 9), article, user=editor)

    # Questions this week: T1 2 h (target 4 h: within), T2 10 h (late), T6 3 h (within),
    # T3 by staff unanswered past target (late), T5 unanswered but its 200 h target not
    # yet passed (pending), a discussion (not a question).
    t1 = topic(at(9, 3), c1, responded=at(9, 5))
    t2 = topic(at(12, 0), c2, responded=at(12, 10))
    t3 = topic(at(13, 0), editor)
    t5 = topic(at(14, 23), c3, category=slow)
    t6 = topic(at(12, 1), c2, responded=at(12, 4))
    topic(at(13, 5), c1, kind="discussion")

    # Helpful votes this week: 3 yes, 1 no; last week none
    for n, helpful in enumerate((True, True, True, False)):
        db.session.add(
            ArticleFeedback(
                article_id=article.id, anon_id=f"voter-{n}", helpful=helpful, created_at=at(10, 12)
            )
        )
    # Ask page this week: 3 deflected, 1 posted, 1 never typed anything
    for n in range(3):
        ask_session(n, at(11, 9), deflected=True)
    ask_session(3, at(9, 2, 50), topic_row=t1)
    ask_session(4, at(11, 9), title="")
    # Expert assignments given out this week: on time, late, escalated, overdue-open count;
    # open-not-yet-due and declined do not.
    assignment(t1, expert, "answered", at(9, 3), due=at(9, 7), closed=at(9, 5))
    assignment(t2, expert, "answered", at(12, 0), due=at(12, 4), closed=at(12, 10))
    assignment(t3, expert, "escalated", at(13, 0), due=at(13, 4), closed=at(13, 4))
    assignment(t5, expert, "open", at(14, 23), due=at(15, 3))
    assignment(t6, expert, "open", at(12, 1), due=NOW + timedelta(days=5))
    assignment(t1, expert, "declined", at(9, 3), due=at(9, 7), closed=at(9, 4))
    db.session.commit()
    roll_up()
    return {"customers": (c1, c2, c3), "editor": editor, "expert": expert}


def test_every_kpi_with_its_previous_value(week):
    kpis = {k.key: (k.value, k.previous) for k in compute_kpis(WEEK)}
    assert kpis == {
        "searches": (8, 5),
        "searchers": (6, 3),  # distinct visitors who searched
        # 9 visitor days (6 searching, one reader, c2 and c3 asking) / 4 customer questions
        "self_service_score": (9 / 4, None),  # no question last week: no score
        "zero_result_rate": (25.0, 40.0),
        "click_through_rate": (50.0, 40.0),
        "first_click_rank": (2.0, 1.0),
        "self_service_rate": (50.0, 50.0),  # a1, a3, a4 of 6; a7, a9/6 of 4
        "deflection_rate": (75.0, None),
        "helpful_ratio": (75.0, None),
        "first_response_hours": (3.0, None),  # median of 2, 10, 3
        "answered_within_target": (50.0, None),  # T1, T6 of T1, T2, T3, T6
        "expert_sla_met": (25.0, None),
    }


def test_kpi_changes_and_directions(week):
    kpis = {k.key: k for k in compute_kpis(WEEK)}
    assert kpis["searches"].change_percent == 60.0 and kpis["searches"].improved is True
    assert kpis["zero_result_rate"].change_percent == -37.5
    assert kpis["zero_result_rate"].improved is True  # down is better
    assert kpis["first_click_rank"].improved is False  # up is worse
    assert kpis["self_service_rate"].direction == "same"
    assert kpis["self_service_rate"].improved is None
    assert kpis["helpful_ratio"].change_percent is None and kpis["helpful_ratio"].improved is None
    assert [k.better for k in kpis.values()].count("down") == 3


def test_staff_searches_can_be_added_to_the_count_only(week):
    kpis = {k.key: k for k in compute_kpis(WEEK, exclude_staff=False)}
    assert kpis["searches"].value == 9
    assert kpis["zero_result_rate"].value == 25.0  # rates stay about customers


def test_excluded_counts(week):
    assert excluded_counts(WEEK) == {"bots": 2, "staff": 1}
    assert excluded_counts(WEEK.previous()) == {"bots": 0, "staff": 0}


def test_empty_range_has_no_rates(app, clock):
    clock.current = NOW
    kpis = {k.key: (k.value, k.previous) for k in compute_kpis(WEEK)}
    assert kpis["searches"] == (0, None)  # an empty week before: nothing to compare with
    assert all(
        value == (None, None) for key, value in kpis.items() if key not in ("searches", "searchers")
    )


def test_a_first_week_is_not_better_than_an_empty_one(week):
    """Against a previous period with no activity at all, no arrow and no verdict."""
    from portal.insights.ranges import DateRange

    first = DateRange(WEEK.start - timedelta(days=7), WEEK.end - timedelta(days=7))
    kpis = {k.key: k for k in compute_kpis(first)}
    assert kpis["searches"].value == 5 and kpis["searches"].previous is None
    assert all(k.improved is None and k.direction is None for k in kpis.values())


def test_format_value():
    assert [
        format_value(v, u)
        for v, u in [
            (1234, "count"),
            (25.0, "percent"),
            (2.25, "ratio"),
            (2.0, "rank"),
            (3.04, "hours"),
            (None, "percent"),
        ]
    ] == ["1,234", "25.0%", "2.2", "2.00", "3.0 h", "—"]


def test_hours_are_shown_in_the_reader_language(app):
    with app.test_request_context("/"):  # the default locale: zh_CN
        assert format_value(6.94, "hours") == "6.9 小时"
    assert Kpi("x", "X", 5, 0, "count", "up").change_percent is None


def test_changes_too_small_to_show_are_not_better_or_worse():
    """34.52% against 34.49% both show as 34.5%: no arrow, no verdict."""
    same = Kpi("ctr", "CTR", 34.52, 34.49, "percent", "up")
    assert same.direction == "same" and same.improved is None
    assert Kpi("ctr", "CTR", 34.56, 34.49, "percent", "up").improved is True


def test_query_tables(week):
    assert top_queries(WEEK).rows == [
        ["退货", 4, 0.0, 75.0],
        ["发票", 2, 100.0, 0.0],
        ["密码", 2, 0.0, 50.0],
    ]
    assert zero_result_queries(WEEK).rows == [["发票", 2, 2, 100.0]]
    assert top_queries(WEEK.previous()).rows == [["退货", 4, 25.0, 50.0], ["发票", 1, 100.0, 0.0]]


def test_daily_and_hourly_series(week):
    daily = daily_series(WEEK)  # Asia/Shanghai days: Oct 10 20:00 UTC is Oct 11 04:00
    assert daily.days == WEEK.each_day() and daily.zone == "Asia/Shanghai"
    assert daily.searches == [3, 2, 0, 3, 0, 0, 0]
    assert daily.zero_results == [1, 1, 0, 0, 0, 0, 0]
    assert daily.clicked == [2, 0, 0, 2, 0, 0, 0]
    hourly = hourly_series(WEEK)  # Asia/Shanghai, UTC+8
    assert hourly.zone == "Asia/Shanghai"
    assert {h: n for h, n in enumerate(hourly.searches) if n} == {4: 2, 10: 2, 11: 1, 18: 2, 19: 1}
    assert {h: n for h, n in enumerate(hourly.zero_results) if n} == {10: 1, 19: 1}


def test_hours_follow_the_configured_time_zone(week, app):
    app.config["BABEL_DEFAULT_TIMEZONE"] = "UTC"
    hourly = hourly_series(WEEK)
    assert {h: n for h, n in enumerate(hourly.searches) if n} == {2: 2, 3: 1, 10: 2, 11: 1, 20: 2}
    assert daily_series(WEEK).searches == [3, 2, 2, 1, 0, 0, 0]  # UTC days


@pytest.fixture
def trends(app, clock):
    """Query counts chosen around the thresholds (previous week → this week)."""
    clock.current = NOW
    counts = {
        "one-to-four": (1, 4),
        "two-to-ten": (2, 10),
        "new-six": (0, 6),
        "flat-five": (5, 5),
        "falling": (8, 6),
    }
    for query, (before, now) in counts.items():
        for n in range(before):
            search(at(3, 9, n), query, anon=f"p-{query}-{n}")
        for n in range(now):
            search(at(10, 9, n), query, anon=f"c-{query}-{n}")
    # No clicks: three with results (listed), two with results and one failed (not
    # listed), four with results and one click (not listed)
    for n in range(3):
        search(at(11, 9, n), "no-click", anon=f"nc-{n}")
    for n, results in enumerate((0, 2, 2)):
        search(at(11, 10, n), "mostly-failed", anon=f"mf-{n}", results=results)
    for n in range(4):
        search(
            at(11, 11, n), "one-click", anon=f"oc-{n}", clicks=[(1, "article", 1)] if n == 0 else ()
        )
    roll_up()


def test_rising_queries_need_a_minimum_count(trends):
    table = rising_queries(WEEK)
    assert table.rows == [["new-six", 0, 6, None], ["two-to-ten", 2, 10, 400.0]]
    # New queries first (most searched first), then by growth
    assert [r[0] for r in rising_queries(WEEK, min_count=4).rows] == [
        "new-six",
        "one-click",
        "two-to-ten",
        "one-to-four",
    ]


def test_rising_threshold_comes_from_the_config(trends, app):
    app.config["INSIGHTS_MIN_RISING"] = 7
    assert [r[0] for r in rising_queries(WEEK).rows] == ["two-to-ten"]


def test_queries_with_results_but_no_clicks(trends):
    table = no_click_queries(WEEK)
    assert [r[0] for r in table.rows if r[0] in ("no-click", "mostly-failed", "one-click")] == [
        "no-click"
    ]
    assert ["no-click", 3, 3] in table.rows


# --- the page -------------------------------------------------------------------------


def test_customers_get_403_and_visitors_the_login_page(client, make, week):
    assert client.get("/insights/").status_code == 302
    assert "/login" in client.get("/insights/").headers["Location"]
    client.login(week["customers"][0])
    assert client.get("/insights/").status_code == 403


def test_editor_sees_kpis_charts_tables_and_the_excluded_line(client, week):
    client.login(week["editor"])
    client.post("/lang/en")  # the assertions below read the English wording
    response = client.get("/insights/", query_string=RANGE)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert (
        page.count("<svg") - page.count('<svg class="icon"') == 2
        and "<?xml" not in page
        and "<!DOCTYPE svg" not in page
    )
    assert 'id="chart-per-day"' in page and 'id="chart-by-hour"' in page
    assert "2 bot searches and 1 staff searches are excluded" in page
    assert 'id="kpi-self_service_score"' in page and "2.2" in page
    assert "25.0%" in page and "Previous: 40.0%" in page
    for name in (
        "top-queries",
        "zero-result-queries",
        "no-click-queries",
        "rising-queries",
        "searches-by-day",
        "searches-by-hour",
    ):
        assert f'id="table-{name}"' in page and f"csv={name}" in page
    assert "Figures up to" in page
    assert 'href="/insights/gaps?start=2026-10-08' in page
    assert 'href="/insights/articles?start=2026-10-08' in page


def test_the_page_shows_no_user_ids_names_or_emails(client, week):
    client.login(week["editor"])
    page = client.get("/insights/", query_string=RANGE).get_data(as_text=True)
    csv_text = "".join(
        client.get("/insights/", query_string=RANGE | {"csv": name}).get_data(as_text=True)
        for name in ("top-queries", "searches-by-day")
    )
    for customer in week["customers"]:
        for secret in (
            customer.email,
            customer.display_name,
            f"u:{customer.id}",
            f"user_id={customer.id}",
        ):
            assert secret not in page and secret not in csv_text
    assert "anon-visitor" not in page and "anon-visitor" not in csv_text


def test_csv_equals_the_table(client, week):
    client.login(week["editor"])
    for name, table in (
        ("top-queries", top_queries(WEEK)),
        ("zero-result-queries", zero_result_queries(WEEK)),
    ):
        response = client.get("/insights/", query_string=RANGE | {"csv": name})
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
        assert rows[0] == [str(c) for c in table.columns]
        assert rows[1:] == [["" if v is None else str(v) for v in row] for row in table.rows]


def test_unknown_csv_is_a_bad_request(client, week):
    client.login(week["editor"])
    assert client.get("/insights/", query_string={"csv": "nope"}).status_code == 400


@pytest.mark.parametrize(
    "args, message",
    [
        ({"start": "2026-10-14", "end": "2026-10-08"}, "the end date is before the start date"),
        ({"start": "yesterday"}, "dates must look like"),
        ({"days": "0"}, "days must be a whole number from 1 to 366"),
    ],
)
def test_bad_range_is_a_400_with_the_reason(client, week, args, message):
    """An everyday mistake: the page itself answers, the reason beside the date fields and
    the default range's figures below, rather than a bare error page."""
    client.login(week["editor"])
    client.post("/lang/en")
    response = client.get("/insights/", query_string=args)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and 'role="alert"' in page
    assert "Showing the last 30 days instead" in page
    assert 'name="start"' in page and "Searches" in page


@pytest.mark.parametrize("path", ["/insights/gaps", "/insights/articles"])
def test_every_insights_page_shows_a_bad_range_on_the_page(client, week, path):
    client.login(week["editor"])
    response = client.get(path, query_string={"start": "2026-10-14", "end": "2026-10-08"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "结束日期早于开始日期" in page and 'name="start"' in page
    assert (
        client.get(
            path, query_string={"start": "2026-10-14", "end": "2026-10-08", "csv": "x"}
        ).status_code
        == 400
    )


def test_include_staff_toggle_and_empty_state(client, make, clock):
    clock.current = NOW
    client.login(make.user("editor"))
    client.post("/lang/en")  # the assertions below read the English wording
    page = client.get("/insights/", query_string=RANGE | {"staff": "1"}).get_data(as_text=True)
    assert "the search log has not been rolled up" in page
    assert "added to the search count only" in page
    assert page.count("<svg") - page.count('<svg class="icon"') == 2  # empty charts still render
