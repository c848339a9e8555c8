"""Retention: raw search-log rows older than N days go, but only once they are rolled up;
their clicks go with them, the views and votes they led to stay (unlinked)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.insights.retention import purge_command, purge_raw_logs
from portal.kb.feedback import record_view, record_vote
from portal.models import (
    ArticleFeedback,
    ArticleView,
    QueryDayStat,
    RollupState,
    SearchClick,
    SearchHourStat,
    SearchLog,
    VisitorDay,
)
from portal.searching.params import parse_search_params
from portal.searching.service import record_click, run_search


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def article(make):
    return make.article("七天无理由退货政策", body="签收后七天内可以申请退货。", tags=["退货"])


@pytest.fixture
def search_at(clock, article):
    """A search made `days_ago` before the test's now, through the real path, with a click."""
    now = clock.current

    def search(days_ago: float, text: str = "退货", anon: str = "visitor-1") -> SearchLog:
        clock.current = now - timedelta(days=days_ago)
        search_id = run_search(
            parse_search_params({"q": text}), None, anon, "page", "Mozilla/5.0 Firefox/125.0"
        ).search_id
        log = db.session.get(SearchLog, search_id)
        record_click(log, "article", article.id, 1)
        clock.current = now
        return log

    return search


def rolled_up_until(moment) -> None:
    db.session.merge(RollupState(name="search", done_until=moment))
    db.session.commit()


def test_old_rolled_up_rows_are_deleted_with_their_clicks(clock, search_at):
    old, new = search_at(500), search_at(10)
    rolled_up_until(clock.current - timedelta(hours=1))
    old_id, new_id = old.id, new.id

    assert purge_raw_logs(400) == 1

    assert db.session.get(SearchLog, old_id) is None
    assert count(SearchClick, SearchClick.search_id == old_id) == 0
    assert db.session.get(SearchLog, new_id) is not None
    assert count(SearchClick, SearchClick.search_id == new_id) == 1


def test_rows_not_yet_rolled_up_stay_however_old(clock, search_at):
    very_old, old = search_at(700), search_at(500)
    rolled_up_until(clock.current - timedelta(days=600))
    very_old_id, old_id = very_old.id, old.id

    assert purge_raw_logs(400) == 1

    assert db.session.get(SearchLog, very_old_id) is None
    assert db.session.get(SearchLog, old_id) is not None


def test_rows_of_the_day_the_rollup_still_redoes_stay(clock, search_at):
    """Each rollup recomputes the watermark's whole UTC day from the raw rows."""
    earlier_today, yesterday = search_at(0.25), search_at(0.5)  # now is 09:00
    rolled_up_until(clock.current)
    today_id, yesterday_id = earlier_today.id, yesterday.id

    assert purge_raw_logs(0) == 1

    assert db.session.get(SearchLog, today_id) is not None
    assert db.session.get(SearchLog, yesterday_id) is None


def test_nothing_is_deleted_before_the_first_rollup(search_at):
    search_at(900)
    assert purge_raw_logs(400) == 0
    assert count(SearchLog) == 1


def test_views_and_votes_stay_with_the_search_link_cleared(clock, search_at, article):
    old = search_at(500)
    clock.current -= timedelta(days=500)
    record_view(article, None, "visitor-1", old.id)
    record_vote(article, True, "有用", None, "visitor-1", old.id)
    clock.current += timedelta(days=500)
    rolled_up_until(clock.current)

    assert purge_raw_logs(400) == 1

    view = db.session.scalar(select(ArticleView))
    vote = db.session.scalar(select(ArticleFeedback))
    assert view is not None and view.search_id is None
    assert vote is not None and vote.search_id is None and vote.helpful
    assert article.helpful_yes == 1


def test_the_configured_retention_is_the_default(app, clock, search_at):
    search_at(500), search_at(40), search_at(10)
    rolled_up_until(clock.current)
    app.config["SEARCH_RETENTION_DAYS"] = 30

    assert purge_raw_logs() == 2
    assert count(SearchLog) == 1


def test_purge_works_in_batches(clock, search_at):
    for n in range(7):
        search_at(500 + n, anon=f"visitor-{n}")
    search_at(1)
    rolled_up_until(clock.current)

    assert purge_raw_logs(400, batch_size=2) == 7
    assert count(SearchLog) == 1
    assert count(SearchClick) == 1


@pytest.mark.slow
def test_rollup_figures_are_unchanged_by_a_purge(clock, search_at):
    from portal.insights.rollup import roll_up

    for n, days_ago in enumerate((500, 450, 420, 30, 5)):
        search_at(days_ago, text=("退货", "发票红冲", "退货运费")[n % 3], anon=f"v{n}")
    search_at(450, text="以旧换新", anon="v9")
    roll_up()

    def figures():
        db.session.expire_all()
        return (
            db.session.execute(
                select(
                    SearchHourStat.hour,
                    SearchHourStat.searches,
                    SearchHourStat.clicked,
                    SearchHourStat.zero_results,
                ).order_by(SearchHourStat.hour)
            ).all(),
            db.session.execute(
                select(
                    QueryDayStat.day,
                    QueryDayStat.query,
                    QueryDayStat.searches,
                    QueryDayStat.clicked,
                ).order_by(QueryDayStat.day, QueryDayStat.query)
            ).all(),
            db.session.execute(
                select(VisitorDay.day, VisitorDay.visitor, VisitorDay.searches).order_by(
                    VisitorDay.day, VisitorDay.visitor
                )
            ).all(),
        )

    before = figures()
    assert before[0]

    assert purge_raw_logs(400) == 4
    roll_up()  # the next scheduled rollup must not lose or change anything either

    assert figures() == before


def test_purge_command_reports_what_it_deleted(app, clock, search_at):
    search_at(500)
    runner = app.test_cli_runner()
    first = runner.invoke(purge_command, ["--days", "400"])
    assert first.exit_code == 0 and "Nothing rolled up yet" in first.output

    rolled_up_until(clock.current)
    second = runner.invoke(purge_command, ["--days", "400"])
    assert second.exit_code == 0, second.output
    assert "Deleted 1 raw search-log rows" in second.output
    assert count(SearchLog) == 0
