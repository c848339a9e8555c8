"""The search-log rollups: exact hourly, per-query and per-visitor figures from a hand-made
log, bots and staff kept out, idempotent and incremental runs, the lease and the CLI."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.insights.cli import rollup_command
from portal.insights.rollup import LEASE_NAME, roll_up, visitor_key
from portal.jobs.lease import acquire
from portal.models import (
    ArticleView,
    Post,
    QueryDayStat,
    RollupState,
    SearchClick,
    SearchHourStat,
    SearchLog,
    Topic,
    VisitorDay,
)

DAY1 = datetime(2026, 10, 8)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in October 2026 (UTC)."""
    return datetime(2026, 10, day, hour, minute)


def search(
    when,
    query="退货",
    user=None,
    anon=None,
    results=3,
    page=1,
    bot=False,
    staff=False,
    clicks=(),
    tokens=None,
) -> SearchLog:
    """One raw search-log row; ``clicks`` are (rank, doc_type, doc_id) tuples."""
    log = SearchLog(
        created_at=when,
        user_id=user.id if user else None,
        anon_id=anon,
        source="page",
        query_raw=query,
        query_normalized=query,
        tokens=query if tokens is None else tokens,
        filters={},
        result_count=results,
        page=page,
        user_agent="Mozilla/5.0 Firefox/125.0",
        is_bot=bot,
        is_staff=staff,
    )
    db.session.add(log)
    db.session.flush()
    for rank, doc_type, doc_id in clicks:
        db.session.add(
            SearchClick(
                search_id=log.id,
                created_at=when + timedelta(seconds=20),
                doc_type=doc_type,
                doc_id=doc_id,
                rank=rank,
            )
        )
    db.session.commit()
    return log


def view(when, article, user=None, anon=None, search_id=None) -> ArticleView:
    row = ArticleView(
        article_id=article.id,
        user_id=user.id if user else None,
        anon_id=anon,
        search_id=search_id,
        created_at=when,
    )
    db.session.add(row)
    db.session.commit()
    return row


def topic(
    when,
    author,
    kind="question",
    solved=False,
    responded=None,
    category=None,
    title="退货运费谁承担？",
) -> Topic:
    """A forum topic created at ``when``; ``responded`` is the first-response moment."""
    row = Topic(
        kind=kind,
        title=title,
        author_id=author.id,
        created_at=when,
        last_activity_at=when,
        first_response_at=responded,
        category_id=category.id if category else None,
    )
    db.session.add(row)
    db.session.flush()
    if solved:
        post = Post(topic_id=row.id, author_id=author.id, body_md="答案", created_at=when)
        db.session.add(post)
        db.session.flush()
        row.accepted_post_id = post.id
    db.session.commit()
    return row


def hour_rows():
    db.session.expire_all()
    return [
        (
            r.hour,
            r.searches,
            r.zero_results,
            r.clicked,
            r.first_click_rank_sum,
            r.bot_searches,
            r.staff_searches,
        )
        for r in db.session.scalars(select(SearchHourStat).order_by(SearchHourStat.hour))
    ]


def query_rows():
    return [
        (r.day.isoformat(), r.query, r.tokens, r.searches, r.zero_results, r.clicked)
        for r in db.session.scalars(
            select(QueryDayStat).order_by(QueryDayStat.day, QueryDayStat.query)
        )
    ]


def visitor_rows():
    return {
        (r.day.isoformat(), r.visitor): (r.searches, r.views, r.asked, r.self_served)
        for r in db.session.scalars(select(VisitorDay))
    }


@pytest.fixture
def log(make, clock):
    """One day of traffic with known figures (see each test), now = the next day 09:30."""
    clock.current = datetime(2026, 10, 9, 9, 30)
    article = make.article(title="七天无理由退货政策")
    customer, asker, solver = make.user(), make.user(), make.user()
    editor = make.user("editor")
    solved = topic(at(1, 12), solver, solved=True)
    open_question = topic(at(1, 12), solver)
    # 10:00-11:00 — humans
    search(
        at(8, 10, 1),
        anon="anon-a1",
        clicks=[(3, "article", article.id), (1, "article", article.id)],
    )
    search(at(8, 10, 2), "发票", anon="anon-a2", results=0)
    search(at(8, 10, 3), user=customer, clicks=[(2, "forum", open_question.id)])
    search(at(8, 10, 4), "密码", user=solver, clicks=[(4, "forum", solved.id)])
    # ...and what stays out: a bot (its click too), staff, a bot that is also staff
    search(at(8, 10, 5), anon="bot-1", bot=True, clicks=[(1, "article", article.id)])
    search(at(8, 10, 6), user=editor, staff=True)
    search(at(8, 10, 7), user=editor, bot=True, staff=True)
    # 11:00-12:00 — page 2 of a1's search (counted per hour, not per query); a4 reads
    # an article reached from a search without a click row; the asker searches, finds, asks
    search(at(8, 11, 0), anon="anon-a1", page=2, results=3)
    a4 = search(at(8, 11, 10), "发票", anon="anon-a4", results=2)
    view(at(8, 11, 11), article, anon="anon-a4", search_id=a4.id)
    search(at(8, 11, 20), user=asker, clicks=[(1, "article", article.id)])
    topic(at(8, 11, 30), asker)
    # Views only: a reader (a session), staff and a bot (not sessions)
    view(at(8, 15), article, anon="anon-reader")
    view(at(8, 16), article, user=editor)
    view(at(8, 10, 5), article, anon="bot-1")
    # A discussion is not a question
    topic(at(8, 17), customer, kind="discussion")
    return {
        "customer": customer,
        "asker": asker,
        "solver": solver,
        "editor": editor,
        "article": article,
    }


def test_hour_figures_count_human_searches_and_keep_bots_and_staff_apart(log):
    """Searches, no-result, clicked and first-click ranks for humans; bots (even staff
    bots) and staff counted only in their own columns."""
    assert roll_up() == 24  # from the first search's hour to 09:00, the partial hour included
    assert hour_rows() == [
        (at(8, 10), 4, 1, 3, 1 + 2 + 4, 2, 1),
        (at(8, 11), 3, 0, 1, 1, 0, 0),
    ]


def test_query_figures_count_first_pages_of_human_searches(log):
    roll_up()
    assert query_rows() == [
        ("2026-10-08", "发票", "发票", 2, 1, 0),
        ("2026-10-08", "密码", "密码", 1, 0, 1),
        ("2026-10-08", "退货", "退货", 3, 0, 3),
    ]


def test_visitor_days_hash_visitors_and_mark_self_service(log):
    """Self-served: searched and clicked an article or a SOLVED topic (or read an article
    reached from a search) and asked nothing. Staff, bots and their views are left out."""
    roll_up()
    day = "2026-10-08"
    assert visitor_rows() == {
        (day, visitor_key(None, "anon-a1")): (2, 0, False, True),
        (day, visitor_key(None, "anon-a2")): (1, 0, False, False),  # nothing found
        (day, visitor_key(log["customer"].id, None)): (1, 0, False, False),  # unsolved topic
        (day, visitor_key(log["solver"].id, None)): (1, 0, False, True),  # solved topic
        (day, visitor_key(None, "anon-a4")): (1, 1, False, True),  # read after a search
        (day, visitor_key(log["asker"].id, None)): (1, 0, True, False),  # found, yet asked
        (day, visitor_key(None, "anon-reader")): (0, 1, False, False),  # read, no search
    }


def test_visitor_key_is_a_salted_one_way_hash(app):
    key = visitor_key(7, None)
    assert len(key) == 32 and int(key, 16) >= 0
    assert key != visitor_key(None, "7")  # users and anonymous ids never collide
    assert visitor_key(7, None) == key
    app.config["SECRET_KEY"] = "another-secret"
    assert visitor_key(7, None) != key


def test_rolling_up_twice_gives_the_same_rows(log):
    roll_up()
    first = (hour_rows(), query_rows(), visitor_rows())
    assert roll_up() == 1  # only the current hour is redone
    assert (hour_rows(), query_rows(), visitor_rows()) == first
    assert roll_up(since=DAY1) == 24 + 10  # a forced full recompute changes nothing either
    assert (hour_rows(), query_rows(), visitor_rows()) == first


def test_the_watermark_stops_at_the_current_hour_which_is_redone(log, clock):
    roll_up()
    assert db.session.get(RollupState, "search").done_until == datetime(2026, 10, 9, 9)
    search(datetime(2026, 10, 9, 9, 40), "退货", anon="anon-late")  # same, still open hour
    clock.current = datetime(2026, 10, 9, 9, 50)
    assert roll_up() == 1
    assert hour_rows()[-1] == (datetime(2026, 10, 9, 9), 1, 0, 0, 0, 0, 0)


def test_later_runs_start_from_the_watermark_only(log, clock):
    """Hours before the watermark are not recomputed: a row slipped into an old hour and a
    late click on an old search stay uncounted there (documented); new hours are added."""
    roll_up()
    before = hour_rows()
    old = db.session.scalar(select(SearchLog).where(SearchLog.anon_id == "anon-a2"))
    db.session.add(
        SearchClick(
            search_id=old.id,
            created_at=clock.current,
            doc_type="article",
            doc_id=log["article"].id,
            rank=1,
        )
    )
    search(at(8, 10, 30), anon="anon-slipped-in")
    search(datetime(2026, 10, 9, 13, 5), "会员", anon="anon-new", results=0)
    clock.current = datetime(2026, 10, 9, 14, 10)

    assert roll_up() == 6  # 09:00 .. 14:00

    assert hour_rows() == before + [(datetime(2026, 10, 9, 13), 1, 1, 0, 0, 0, 0)]
    assert ("2026-10-09", "会员", "会员", 1, 1, 0) in query_rows()
    assert db.session.get(RollupState, "search").done_until == datetime(2026, 10, 9, 14)


def test_nothing_to_roll_up_without_searches(app, clock):
    assert roll_up() == 0
    assert db.session.get(RollupState, "search") is None


def test_a_rollup_running_elsewhere_is_not_joined(log):
    assert acquire(LEASE_NAME, timedelta(minutes=5), holder="other-host:1")
    assert roll_up() == 0
    assert hour_rows() == []


def test_since_never_reaches_past_the_retention_window(log, app, clock):
    roll_up()
    app.config["SEARCH_RETENTION_DAYS"] = 1  # rows before Oct 9 may have been purged
    # What the purge does (PostgreSQL enforces the references): clicks go, views unlink.
    db.session.execute(SearchClick.__table__.delete())
    db.session.execute(ArticleView.__table__.update().values(search_id=None))
    db.session.execute(SearchLog.__table__.delete())
    db.session.commit()
    assert roll_up(since=DAY1) == 10  # Oct 9 00:00 .. 09:00 only
    assert [row[0] for row in hour_rows()] == [at(8, 10), at(8, 11)]  # kept


def test_cli_rolls_up_with_a_progress_bar(app, log):
    result = app.test_cli_runner().invoke(rollup_command)
    assert result.exit_code == 0, result.output
    assert "Rolled up 24 hours." in result.output
    again = app.test_cli_runner().invoke(rollup_command, ["--since", "2026-10-08"])
    assert again.exit_code == 0 and "Rolled up 34 hours." in again.output
