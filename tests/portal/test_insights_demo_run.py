"""`flask insights demo-data`, one small run shared by the checks that only read what it
wrote: a run takes seconds, and each of these checks used to make its own."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal import ROOT
from portal.extensions import db
from portal.indexing.backend import get_backend
from portal.indexing.documents import key_for
from portal.insights.demo import demo_data_command
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
)
from search.backend import SearchRequest
from tests.conftest import Clock, portal_app
from tests.portal.test_insights_demo import PHONE, SMALL, count

pytestmark = pytest.mark.slow  # the module's run generates two days of demo traffic


class DemoRun:
    """What one `demo-data` run printed, the clock it ran at and the leases it took."""

    def __init__(self, result, clock, leases):
        self.result, self.clock, self.leases = result, clock, leases


@pytest.fixture(scope="module")
def run(tmp_path_factory, migrated_database):
    """The shipped articles, then one small demo run (two days, about 40 searches a day) at
    a fixed now, on an app of the module's own; its context stays pushed for the checks."""
    with portal_app(tmp_path_factory.mktemp("demo"), migrated_database) as app:
        app.config["CLOCK"] = clock = Clock()
        import_directory(ROOT / "kb_articles")
        leases = []
        original = lease_module.acquire
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(
                lease_module, "acquire", lambda *a, **k: leases.append(a) or original(*a, **k)
            )
            result = app.test_cli_runner().invoke(demo_data_command, SMALL)
        assert result.exit_code == 0, result.output
        assert app.config["CLOCK"] is clock  # the clock it found is back
        yield DemoRun(result, clock, leases)


def test_demo_data_creates_searches_clicks_votes_topics_and_ask_sessions(run):
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
    assert "Searches" in run.result.stdout and "Ask sessions" in run.result.stdout


def test_the_run_holds_the_router_sweep_lease_once(run):
    """The sweep at every tick finds the lease held by the run: it is taken once, not per
    tick (whose release rolled back and expired everything the traffic holds)."""
    # (The command then rolls the days up under the rollup's own lease.)
    assert [name for name, *_rest in run.leases].count("router-sweep") == 1


def test_demo_data_flags_bots_and_staff(run):
    assert count(SearchLog, SearchLog.is_bot.is_(True)) > 0
    assert count(SearchLog, SearchLog.is_staff.is_(True)) > 0
    # Most searches are customers' (how many exactly depends on the shipped articles the
    # visits are drawn from).
    humans = count(SearchLog, SearchLog.is_bot.is_(False), SearchLog.is_staff.is_(False))
    assert humans >= 30 and humans > 0.7 * count(SearchLog)


def test_demo_data_stores_personal_data_only_masked(run):
    """Phone numbers, order numbers and e-mails typed into the box go through mask_pii."""
    rows = db.session.execute(
        select(SearchLog.query_raw, SearchLog.query_normalized, SearchLog.tokens)
    ).all()
    text = "\n".join(" ".join(row) for row in rows)
    assert not PHONE.search(text)
    assert "@qq.com" not in text and "dd2026" not in text.lower()
    assert re.search("〔(手机号|订单号|邮箱)〕", text)


def test_demo_data_clicks_decay_with_rank(run):
    ranks = dict(
        db.session.execute(select(SearchClick.rank, func.count()).group_by(SearchClick.rank)).all()
    )
    assert max(ranks, key=ranks.get) == 1


def test_demo_data_stays_inside_the_days_asked_for(run):
    """Yesterday and today (UTC) up to the hour before now: nothing in the future."""
    first, last = db.session.execute(
        select(func.min(SearchLog.created_at), func.max(SearchLog.created_at))
    ).one()
    assert first.date() == run.clock.current.date() - timedelta(days=1)
    assert last < run.clock.current - timedelta(minutes=30)


def test_demo_traffic_is_in_the_index_when_the_run_ends(run):
    """Votes and posts re-index once a day, not per change: nothing is left queued."""
    assert db.session.scalar(select(func.count()).select_from(IndexTask)) == 0
    asked = db.session.scalar(select(Topic).order_by(Topic.id.desc()).limit(1))
    hits = get_backend().search(SearchRequest(text=asked.title, per_page=50)).hits
    assert any(hit.key == key_for("forum", asked.id) for hit in hits)
