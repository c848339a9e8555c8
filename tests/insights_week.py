"""Two weeks of insights traffic with hand-computed figures, for the overview's tests
(test_insights_overview.py works the figures out, test_insights_overview_page.py shows them)."""

from datetime import date, datetime, timedelta

from portal.extensions import db
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


def seed_week(make, clock) -> dict:
    """Two weeks of traffic, rolled up; the expected figures are worked out in
    test_insights_overview.py's test_every_kpi_with_its_previous_value."""
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
