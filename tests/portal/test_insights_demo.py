"""`flask insights demo-data`: realistic traffic through the real services, deterministic,
and it refuses to fill the same days twice without --force."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal import ROOT, create_app
from portal.extensions import db
from portal.indexing.backend import close_backend, get_backend
from portal.indexing.documents import key_for
from portal.insights import demo_searches
from portal.insights.demo import demo_data_command, generate
from portal.insights.demo_searches import SearchMemo
from portal.jobs import lease as lease_module
from portal.kb.importer import import_directory
from portal.models import (
    ArticleFeedback,
    ArticleView,
    AskSession,
    IndexTask,
    RoutingEvent,
    SearchClick,
    SearchLog,
    Topic,
    User,
)
from portal.searching.service import search_index
from search.backend import SearchRequest
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


def test_demo_data_creates_searches_clicks_votes_topics_and_ask_sessions(app, clock, demo):
    """Every kind of record the insight pages read is there, and the summary says so."""
    # About 40 planned searches a day up to the clock's hour on day two, plus retries after
    # searches nothing was clicked in: how many retries depends on each engine's hits.
    assert count(SearchLog) > 40
    assert count(SearchClick) > 10
    assert count(ArticleView, ArticleView.search_id.is_not(None)) > 5
    assert count(ArticleView, ArticleView.search_id.is_(None)) > 0  # browsing, not searching
    assert count(ArticleFeedback) > 0
    assert count(AskSession) >= 6
    assert count(Topic) > 0
    assert count(RoutingEvent) > 0
    assert "Searches" in demo.stdout and "Ask sessions" in demo.stdout
    assert app.config["CLOCK"] is clock  # the clock it found is back


def test_demo_data_flags_bots_and_staff(demo):
    assert count(SearchLog, SearchLog.is_bot.is_(True)) > 0
    assert count(SearchLog, SearchLog.is_staff.is_(True)) > 0
    # Most searches are customers' (how many exactly depends on the shipped articles the
    # visits are drawn from).
    humans = count(SearchLog, SearchLog.is_bot.is_(False), SearchLog.is_staff.is_(False))
    assert humans >= 30 and humans > 0.7 * count(SearchLog)


def test_demo_data_stores_personal_data_only_masked(demo):
    """Phone numbers, order numbers and e-mails typed into the box go through mask_pii."""
    rows = db.session.execute(
        select(SearchLog.query_raw, SearchLog.query_normalized, SearchLog.tokens)
    ).all()
    text = "\n".join(" ".join(row) for row in rows)
    assert not PHONE.search(text)
    assert "@qq.com" not in text and "dd2026" not in text.lower()
    assert re.search("〔(手机号|订单号|邮箱)〕", text)


def test_demo_data_clicks_decay_with_rank(demo):
    ranks = dict(
        db.session.execute(select(SearchClick.rank, func.count()).group_by(SearchClick.rank)).all()
    )
    assert max(ranks, key=ranks.get) == 1


def test_demo_data_stays_inside_the_days_asked_for(clock, demo):
    """Yesterday and today (UTC) up to the hour before now: nothing in the future."""
    first, last = db.session.execute(
        select(func.min(SearchLog.created_at), func.max(SearchLog.created_at))
    ).one()
    assert first.date() == clock.current.date() - timedelta(days=1)
    assert last < clock.current - timedelta(minutes=30)


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


def test_second_run_refuses_without_force_and_adds_with_force(app, demo):
    before = count(SearchLog)
    again = app.test_cli_runner().invoke(demo_data_command, SMALL)
    assert again.exit_code != 0
    assert "already exists" in again.output and "--force" in again.output
    assert count(SearchLog) == before
    forced = app.test_cli_runner().invoke(demo_data_command, [*SMALL, "--force"])
    assert forced.exit_code == 0, forced.output
    assert count(SearchLog) > before


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

    def counted(params, highlight, known_articles):
        engine_searches.append(params)
        return search_index(params, highlight, known_articles)

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


def test_the_run_holds_the_router_sweep_lease_once(app, articles, clock, monkeypatch):
    """The sweep at every tick finds the lease held by the run: it is taken once, not per
    tick (whose release rolled back and expired everything the traffic holds)."""
    taken = []
    original = lease_module.acquire
    monkeypatch.setattr(
        lease_module, "acquire", lambda *a, **k: taken.append(a) or original(*a, **k)
    )
    summary, _password, _created = generate(days=2, seed=1, per_day=40)
    assert [name for name, *_rest in taken] == ["router-sweep"]
    assert summary.routing_events > 0  # the sweeps ran


def test_demo_data_needs_articles(app):
    result = app.test_cli_runner().invoke(demo_data_command, SMALL)
    assert result.exit_code != 0
    assert "kb import" in result.output


def test_the_password_is_printed_only_for_accounts_created_now(app, demo):
    """The first run names the accounts it made; a forced second run made none, so it
    prints no password (it would not be theirs)."""
    first = re.search(
        r"(\d+) demo accounts were created now \((.+)\); their password: (\S+)", demo.output
    )
    assert first, demo.output
    assert "customer@example.com" in first.group(2)
    customer = db.session.scalar(select(User).where(User.email == "customer1@example.com"))
    assert customer.check_password(first.group(3))
    forced = app.test_cli_runner().invoke(demo_data_command, [*SMALL, "--force"])
    assert forced.exit_code == 0, forced.output
    assert "password:" not in forced.output
    assert "keep their passwords" in forced.output


def test_demo_traffic_is_in_the_index_when_the_run_ends(app, demo):
    """Votes and posts re-index once a day, not per change: nothing is left queued."""
    assert db.session.scalar(select(func.count()).select_from(IndexTask)) == 0
    asked = db.session.scalar(select(Topic).order_by(Topic.id.desc()).limit(1))
    hits = get_backend().search(SearchRequest(text=asked.title, per_page=50)).hits
    assert any(hit.key == key_for("forum", asked.id) for hit in hits)
