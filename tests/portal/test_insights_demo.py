"""`flask insights demo-data`: realistic traffic through the real services, deterministic,
and it refuses to fill the same days twice without --force."""

import re

import pytest
from sqlalchemy import func, select

from portal import ROOT, create_app
from portal.extensions import db
from portal.indexing.backend import close_backend
from portal.insights import demo_searches
from portal.insights.demo import demo_data_command, generate
from portal.insights.demo_searches import SearchMemo
from portal.kb.importer import import_directory
from portal.models import (
    ArticleView,
    SearchClick,
    SearchLog,
    User,
)
from portal.searching.service import search_index
from tests.conftest import _app_config

pytestmark = pytest.mark.slow  # each test generates days of demo traffic

SMALL = ["--days", "2", "--per-day", "40", "--seed", "1"]
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def articles(app):
    import_directory(ROOT / "kb_articles")


@pytest.fixture
def demo(app, articles, clock):
    """One small demo run (two days, about 40 searches a day) at a fixed now."""
    result = app.test_cli_runner().invoke(demo_data_command, SMALL)
    assert result.exit_code == 0, result.output
    return result


def test_demo_data_is_busiest_late_morning_and_evening(app, articles, clock):
    """Hours of day in the portal's time zone (UTC+8): 10-12 and 20-22 beat the night."""
    generate(days=3, seed=2, per_day=60)
    stamps = db.session.scalars(
        select(SearchLog.created_at).where(SearchLog.is_bot.is_(False))
    ).all()
    local_hours = [(stamp.hour + 8) % 24 for stamp in stamps]
    busy = sum(hour in (10, 11, 20, 21) for hour in local_hours)
    night = sum(hour in (2, 3, 4, 5) for hour in local_hours)
    assert busy > 4 * max(night, 1)


def test_same_seed_gives_the_same_counts(app, articles, clock, tmp_path, migrated_database):
    """Two fresh databases, the same seed, the same now: the same traffic."""
    first, _password, _created = generate(days=2, seed=1, per_day=40)
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other_url = migrated_database.new(other_dir)
    other = create_app(_app_config(other_dir, other_url) | {"CLOCK": clock})
    with other.app_context():
        try:
            import_directory(ROOT / "kb_articles")
            second, _password, _created = generate(days=2, seed=1, per_day=40)
        finally:
            db.session.remove()
            close_backend(other)
            db.engine.dispose()
        migrated_database.drop(other_url)
    assert second == first
    assert first.searches > 0


def logged_traffic() -> dict[str, list[tuple]]:
    """Every search log, click and view the demo wrote, in order (ids included)."""
    return {
        "searches": db.session.execute(
            select(
                SearchLog.id,
                SearchLog.created_at,
                SearchLog.user_id,
                SearchLog.anon_id,
                SearchLog.source,
                SearchLog.query_raw,
                SearchLog.query_normalized,
                SearchLog.tokens,
                SearchLog.filters,
                SearchLog.result_count,
                SearchLog.user_agent,
                SearchLog.is_bot,
                SearchLog.is_staff,
            ).order_by(SearchLog.id)
        ).all(),
        "clicks": db.session.execute(
            select(
                SearchClick.search_id, SearchClick.doc_type, SearchClick.doc_id, SearchClick.rank
            ).order_by(SearchClick.id)
        ).all(),
        "views": db.session.execute(
            select(ArticleView.article_id, ArticleView.search_id, ArticleView.created_at).order_by(
                ArticleView.id
            )
        ).all(),
    }


def test_repeated_searches_log_what_searching_again_would_log(
    app, articles, clock, tmp_path, migrated_database, monkeypatch
):
    """Within a day the demo asks the engine once per distinct search (SearchMemo), reads
    each hit article's translation group once, and logs that answer for the repeats: the
    rows are those of a run that searches every time."""
    engine_searches = []

    def counted(params, highlight):
        engine_searches.append(params)
        return search_index(params, highlight)

    monkeypatch.setattr(demo_searches, "search_index", counted)
    generate(days=2, seed=3, per_day=150)
    remembered = logged_traffic()
    assert 0 < len(engine_searches) < len(remembered["searches"])  # repeats were not searched

    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other_url = migrated_database.new(other_dir)
    other = create_app(_app_config(other_dir, other_url) | {"CLOCK": clock})
    monkeypatch.setattr(SearchMemo, "results", lambda _memo, params: search_index(params))
    with other.app_context():
        try:
            import_directory(ROOT / "kb_articles")
            generate(days=2, seed=3, per_day=150)
            searched_every_time = logged_traffic()
        finally:
            db.session.remove()
            close_backend(other)
            db.engine.dispose()
        migrated_database.drop(other_url)
    assert searched_every_time == remembered
    assert remembered["clicks"] and remembered["views"]


def test_demo_data_needs_articles(app):
    result = app.test_cli_runner().invoke(demo_data_command, SMALL)
    assert result.exit_code != 0
    assert "kb import" in result.output


def test_a_second_run_refuses_without_force_adds_with_force_and_prints_no_password(app, demo):
    """The first run names the accounts it made; a second refuses to fill the same days
    unless forced, and a forced one made no account, so it prints no password (it would not
    be theirs)."""
    first = re.search(
        r"(\d+) demo accounts were created now \((.+)\); their password: (\S+)", demo.output
    )
    assert first, demo.output
    assert "customer@example.com" in first.group(2)
    customer = db.session.scalar(select(User).where(User.email == "customer1@example.com"))
    assert customer.check_password(first.group(3))
    before = count(SearchLog)
    again = app.test_cli_runner().invoke(demo_data_command, SMALL)
    assert again.exit_code != 0
    assert "already exists" in again.output and "--force" in again.output
    assert count(SearchLog) == before
    forced = app.test_cli_runner().invoke(demo_data_command, [*SMALL, "--force"])
    assert forced.exit_code == 0, forced.output
    assert count(SearchLog) > before
    assert "password:" not in forced.output
    assert "keep their passwords" in forced.output
