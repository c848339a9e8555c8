"""record_view: one logged view per session per window, one count in view_count per visitor
key per window, read with one statement (recent_views) and counted in SQL; record_vote's
counters counted in SQL too."""

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from portal.extensions import db
from portal.indexing.outbox import drains_deferred
from portal.kb import feedback
from portal.kb.feedback import current_vote, recent_views, record_view, record_vote
from portal.models import Article, ArticleFeedback, ArticleView, SearchLog
from portal.visitor import VIEW_DEDUP_WINDOW


def views() -> int:
    return db.session.scalar(select(func.count()).select_from(ArticleView))


def a_search(clock) -> int:
    log = SearchLog(
        created_at=clock.current, anon_id="s1", source="page", query_raw="q",
        query_normalized="q", tokens="q", filters={}, result_count=1,
    )  # fmt: skip
    db.session.add(log)
    db.session.commit()
    return log.id


def test_a_session_logs_one_view_per_window_unless_a_search_led_there(make, clock):
    article = make.article(slug="viewed")
    record_view(article, None, "s1", None, "net:a")
    record_view(article, None, "s1", None, "net:a")  # a reload: nothing
    assert (views(), article.view_count) == (1, 1)
    record_view(article, None, "s1", a_search(clock), "net:a")  # from a search: logged
    assert (views(), article.view_count) == (2, 1)  # the same reader: counted once


def test_a_visitor_key_counts_once_per_window_and_again_after_it(make, clock):
    article = make.article(slug="viewed")
    record_view(article, None, "s1", None, "net:a")
    record_view(article, None, "s2", None, "net:a")  # a fresh cookie on the same network
    assert (views(), article.view_count) == (2, 1)
    reader = make.user()
    record_view(article, reader.id, None, None, f"user:{reader.id}")  # another reader
    assert (views(), article.view_count) == (3, 2)
    clock.advance(minutes=VIEW_DEDUP_WINDOW.total_seconds() / 60 + 1)
    record_view(article, None, "s1", None, "net:a")
    assert (views(), article.view_count) == (4, 3)


def test_recent_views_tells_the_session_from_the_visitor_key(make, clock):
    article = make.article(slug="viewed")
    since = clock.current - timedelta(minutes=1)
    assert recent_views(article.id, None, "s1", "net:a", since) == (False, False)
    record_view(article, None, "s1", None, "net:a")
    assert recent_views(article.id, None, "s1", "net:a", since) == (True, True)
    assert recent_views(article.id, None, "s2", "net:a", since) == (False, True)
    assert recent_views(article.id, 7, None, "user:7", since) == (False, False)  # no such
    assert recent_views(article.id, None, "s1", "net:a", clock.current) == (False, False)
    # Neither id (a caller outside a request): the views without one are its session's.
    record_view(article, None, None, None, "net:b")
    assert recent_views(article.id, None, None, "net:c", since) == (True, True)


def test_a_view_reads_once_and_counts_in_sql(app, make):
    """One statement decides both dedup questions; the counter is added to in SQL (not
    through the Article, whose flush walks every relationship) and read again after."""
    article = make.article(slug="viewed")
    assert article.view_count == 0  # loaded before counting statements
    statements = []

    def log(_conn, _cursor, statement, *_args):
        statements.append(statement.split()[0])

    event.listen(db.engine, "before_cursor_execute", log)
    try:
        record_view(article, None, "s1", None, "net:a")
    finally:
        event.remove(db.engine, "before_cursor_execute", log)
    assert statements == ["SELECT", "INSERT", "UPDATE"]
    assert article.view_count == 1


def test_votes_are_counted_in_sql_and_found_by_each_kind_of_identity(app, make):
    """The counters come from the votes (one UPDATE, no Article flush) and are read again
    after; a vote is found by account, by session, by visitor key, or with neither id."""
    article, reader = make.article(slug="voted"), make.user()
    assert article.helpful_yes == 0
    statements = []

    def log(_conn, _cursor, statement, *_args):
        statements.append(statement.split("(")[0].strip())

    event.listen(db.engine, "before_cursor_execute", log)
    try:
        with drains_deferred():
            record_vote(article, True, "", reader.id, None, voter_key=f"user:{reader.id}")
    finally:
        event.remove(db.engine, "before_cursor_execute", log)
    assert "UPDATE articles SET helpful_yes=" in statements
    assert (article.helpful_yes, article.helpful_no) == (1, 0)
    record_vote(article, False, "", None, "s1", voter_key="net:a")
    record_vote(article, False, "", None, "s2", voter_key="net:b")
    assert (article.helpful_yes, article.helpful_no) == (1, 2)
    assert current_vote(article, reader.id, None).helpful is True
    assert current_vote(article, None, "s1", "net:zz").voter_key == "net:a"  # the session
    assert current_vote(article, None, "s3", "net:a").anon_id == "s1"  # the visitor key
    assert current_vote(article, make.user().id, None) is None
    record_vote(article, True, "", None, "s1", voter_key="net:a")  # a change of mind
    assert (article.helpful_yes, article.helpful_no) == (2, 1)
    assert db.session.scalar(select(func.count()).select_from(ArticleFeedback)) == 3
    # Neither id (callers outside a request): the votes without a session id are its own.
    other = make.article(slug="other")
    record_vote(other, True, "", None, None, voter_key="net:c")
    assert current_vote(other, None, None, "net:zz").voter_key == "net:c"


def test_two_votes_saved_at_once_are_both_counted(app, make, monkeypatch):
    """A second vote on an article while the first one's transaction is still open: both
    counted. (On PostgreSQL the second recount waited on the row, then counted with a
    snapshot taken before the first vote committed: the concurrency probe lost a vote.)"""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer at a time in: no two votes are saved at once")
    article_id = make.article(slug="voted").id
    first_counted, second_sent = threading.Event(), threading.Event()
    commit = feedback.commit_and_index

    def first_commit_waits():
        if threading.current_thread().name == "first":
            first_counted.set()
            second_sent.wait(timeout=30)
            time.sleep(0.5)  # the second vote is now waiting on this transaction
        commit()

    monkeypatch.setattr(feedback, "commit_and_index", first_commit_waits)

    def vote(name):
        with app.app_context():
            article = db.session.get(Article, article_id)
            record_vote(article, True, "", None, name, voter_key=f"net:{name}")
            db.session.remove()

    first = threading.Thread(target=vote, args=("first",), name="first")
    first.start()
    assert first_counted.wait(timeout=30)
    second = threading.Thread(target=vote, args=("second",), name="second")
    second.start()
    second_sent.set()
    first.join(timeout=30)
    second.join(timeout=30)
    db.session.expire_all()
    assert db.session.get(Article, article_id).helpful_yes == 2
