"""The insights overview's figures: every KPI for a hand-computed data set (and its previous
range), the query tables and the chart series (the page itself: test_insights_overview_page.py)."""

from datetime import timedelta

import pytest

from portal.insights.kpis import Kpi, compute_kpis, excluded_counts, format_value
from portal.insights.query_reports import (
    daily_series,
    hourly_series,
    no_click_queries,
    rising_queries,
    top_queries,
    zero_result_queries,
)
from portal.insights.rollup import roll_up
from tests.insights_week import NOW, WEEK, seed_week
from tests.portal.test_insights_rollup import at, search


@pytest.fixture
def week(make, clock):
    """Two weeks of traffic (tests/insights_week.py), rolled up."""
    return seed_week(make, clock)


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
