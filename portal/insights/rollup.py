"""Incremental rollups of the raw search log into SearchHourStat, QueryDayStat and VisitorDay,
so the insight pages read a few hundred rows instead of millions.

Units are UTC hours and UTC days. Each run recomputes every hour from the watermark
(``RollupState("search").done_until``, or the first search) up to and including the current
partial hour, and every day those hours touch, from the raw rows (delete + insert per unit,
so running twice gives the same rows). The watermark then stops at the start of the current
hour, so the next run redoes that hour and its day.

Late clicks: a search's ``clicked`` and first-click rank are read when its hour is rolled
up. A click that arrives after the watermark has moved past that hour is not counted in
SearchHourStat (the day figures pick it up only while their day is still being redone)."""

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import and_, case, delete, exists, func, insert, not_, or_, select

from portal.clock import now
from portal.extensions import db
from portal.jobs.lease import lease
from portal.models import (
    ArticleView,
    QueryDayStat,
    RollupState,
    SearchClick,
    SearchHourStat,
    SearchLog,
    Topic,
    User,
    VisitorDay,
)
from portal.roles import STAFF_ROLES

logger = logging.getLogger(__name__)

ROLLUP_NAME = "search"
LEASE_NAME = "insights-rollup"
LEASE_TTL = timedelta(hours=1)  # far above a full rollup of a year of traffic
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
INSERT_BATCH = 5_000


def visitor_key(user_id: int | None, anon_id: str | None) -> str:
    """A one-way key for a visitor (user ids never leave the rollup): the first 32 hex
    characters of sha256(SECRET_KEY + "u:<user id>" or "a:<anonymous id>")."""
    part = f"u:{user_id}" if user_id is not None else f"a:{anon_id}"
    secret = str(current_app.config["SECRET_KEY"])
    return hashlib.sha256((secret + part).encode("utf-8")).hexdigest()[:32]


def floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min)


def _sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def _hour_of(column):
    if _sqlite():  # SQLAlchemy stores "YYYY-MM-DD HH:MM:SS.ffffff" text
        return func.strftime("%Y-%m-%d %H:00:00", column)
    return func.date_trunc("hour", column)


def _as_datetime(value) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _in(column, start: datetime, end: datetime):
    return and_(column >= start, column < end)


# Not "is_bot IS 0 AND ...": SQLite's planner would then walk the unselective is_bot index
# over the whole table instead of the created_at range (10x slower per day at 100k rows).
HUMAN = not_(or_(SearchLog.is_bot, SearchLog.is_staff))


def _earliest_start() -> datetime:
    """Nothing before this is recomputed: older raw rows may already have been purged."""
    days = current_app.config["SEARCH_RETENTION_DAYS"]
    return _day_start((now() - timedelta(days=days)).date() + DAY)


def _start_hour(since: datetime | None) -> datetime | None:
    state = db.session.get(RollupState, ROLLUP_NAME)
    if since is not None:
        start = max(floor_hour(since), _earliest_start())
        return min(start, state.done_until) if state else start
    if state is not None:
        return state.done_until
    first = db.session.scalar(select(func.min(SearchLog.created_at)))
    return floor_hour(_as_datetime(first)) if first is not None else None


def pending_hours(until: datetime | None = None, since: datetime | None = None) -> int:
    """How many hours the next ``roll_up`` would process (for progress bars)."""
    start = _start_hour(since)
    end = floor_hour(until or now())
    return 0 if start is None or start > end else int((end - start) / HOUR) + 1


def roll_up(
    until: datetime | None = None,
    since: datetime | None = None,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Recompute the rollups from the watermark (or ``since``, or the first search) up to
    the hour holding ``until`` (default: now), one UTC day per transaction. Returns the
    number of hours processed; 0 when there is nothing to do or another process holds the
    rollup lease. See the module docstring for late clicks."""
    until = until or now()
    with lease(LEASE_NAME, LEASE_TTL) as held:
        if not held:
            logger.info("insights rollup skipped: another process is rolling up")
            return 0
        start, end = _start_hour(since), floor_hour(until)
        if start is None or start > end:
            return 0
        staff_ids = set(db.session.scalars(select(User.id).where(User.role.in_(STAFF_ROLES))))
        day = start.date()
        while day <= end.date():
            first = max(start, _day_start(day))
            stop = min(_day_start(day) + DAY, end + HOUR)
            _roll_hours(first, stop)
            _roll_query_day(day)
            _roll_visitor_day(day, staff_ids)
            _move_watermark(min(_day_start(day) + DAY, end), until)
            db.session.commit()
            if progress:
                progress(int((stop - first) / HOUR))
            day += DAY
    hours = int((end - start) / HOUR) + 1
    logger.info("insights rollup: %d hours from %s", hours, start)
    return hours


def _move_watermark(done_until: datetime, until: datetime) -> None:
    state = db.session.get(RollupState, ROLLUP_NAME)
    if state is None:
        state = RollupState(name=ROLLUP_NAME, done_until=done_until)
        db.session.add(state)
    state.done_until = done_until
    state.updated_at = until  # the figures include the raw rows up to this moment


def _insert(model, rows: list[dict]) -> None:
    for i in range(0, len(rows), INSERT_BATCH):
        db.session.execute(insert(model.__table__), rows[i : i + INSERT_BATCH])


def _roll_hours(start: datetime, end: datetime) -> None:
    """SearchHourStat for the hours in [start, end)."""
    first_rank = (
        select(func.min(SearchClick.rank))
        .where(SearchClick.search_id == SearchLog.id)
        .scalar_subquery()
    )
    per_search = (
        select(
            SearchLog.created_at.label("at"),
            SearchLog.is_bot.label("bot"),
            SearchLog.is_staff.label("staff"),
            SearchLog.result_count.label("results"),
            first_rank.label("first_rank"),
        )
        .where(_in(SearchLog.created_at, start, end))
        .subquery()
    )
    s = per_search.c
    human = and_(s.bot.is_(False), s.staff.is_(False))
    hour = _hour_of(s.at)
    rows = db.session.execute(
        select(
            hour,
            func.sum(case((human, 1), else_=0)),
            func.sum(case((and_(human, s.results == 0), 1), else_=0)),
            func.sum(case((and_(human, s.first_rank.is_not(None)), 1), else_=0)),
            func.sum(case((and_(human, s.first_rank.is_not(None)), s.first_rank), else_=0)),
            func.sum(case((s.bot.is_(True), 1), else_=0)),
            func.sum(case((and_(s.staff.is_(True), s.bot.is_(False)), 1), else_=0)),
        ).group_by(hour)
    ).all()
    db.session.execute(delete(SearchHourStat).where(_in(SearchHourStat.hour, start, end)))
    _insert(
        SearchHourStat,
        [
            {
                "hour": _as_datetime(at),
                "searches": n or 0,
                "zero_results": zero or 0,
                "clicked": clicked or 0,
                "first_click_rank_sum": rank_sum or 0,
                "bot_searches": bots or 0,
                "staff_searches": staff or 0,
            }
            for at, n, zero, clicked, rank_sum, bots, staff in rows
        ],
    )


def _roll_query_day(day: date) -> None:
    """QueryDayStat for one day: human, non-staff, first-page searches per normalised query
    (later result pages are the same question asked again, not a new search)."""
    start = _day_start(day)
    clicked = exists().where(SearchClick.search_id == SearchLog.id)
    rows = db.session.execute(
        select(
            SearchLog.query_normalized,
            func.max(SearchLog.tokens),
            func.count(),
            func.sum(case((SearchLog.result_count == 0, 1), else_=0)),
            func.sum(case((clicked, 1), else_=0)),
        )
        .where(_in(SearchLog.created_at, start, start + DAY), HUMAN, SearchLog.page == 1)
        .group_by(SearchLog.query_normalized)
    ).all()
    db.session.execute(delete(QueryDayStat).where(QueryDayStat.day == day))
    _insert(
        QueryDayStat,
        [
            {
                "day": day,
                "query": query,
                "tokens": tokens or "",
                "searches": n,
                "zero_results": zero or 0,
                "clicked": hits or 0,
            }
            for query, tokens, n, zero, hits in rows
        ],
    )


@dataclass
class _Visit:
    searches: int = 0
    excluded: bool = False  # a bot or staff search that day
    found: bool = False  # clicked an article or a solved topic
    views: int = 0
    views_from_search: int = 0
    asked: bool = False


def _identity(user_id: int | None, anon_id: str | None) -> tuple | None:
    if user_id is not None:
        return ("u", user_id)
    return ("a", anon_id) if anon_id else None


def _visits(day: date) -> dict[tuple, _Visit]:
    """Everything each visitor did on one day, aggregated in SQL per visitor."""
    start, end = _day_start(day), _day_start(day) + DAY
    visits: dict[tuple, _Visit] = {}

    def visit(user_id, anon_id) -> _Visit | None:
        who = _identity(user_id, anon_id)
        return None if who is None else visits.setdefault(who, _Visit())

    searches = db.session.execute(
        select(
            SearchLog.user_id, SearchLog.anon_id, func.sum(case((HUMAN, 1), else_=0)), func.count()
        )
        .where(_in(SearchLog.created_at, start, end))
        .group_by(SearchLog.user_id, SearchLog.anon_id)
    )
    for user_id, anon_id, human, total in searches:
        if v := visit(user_id, anon_id):
            v.searches, v.excluded = human or 0, (human or 0) < total
    found = db.session.execute(
        select(SearchLog.user_id, SearchLog.anon_id)
        .join(SearchClick, SearchClick.search_id == SearchLog.id)
        .outerjoin(Topic, and_(SearchClick.doc_type == "forum", Topic.id == SearchClick.doc_id))
        .where(
            _in(SearchLog.created_at, start, end),
            HUMAN,
            or_(SearchClick.doc_type == "article", Topic.accepted_post_id.is_not(None)),
        )
        .group_by(SearchLog.user_id, SearchLog.anon_id)
    )
    for user_id, anon_id in found:
        if v := visit(user_id, anon_id):
            v.found = True
    views = db.session.execute(
        select(
            ArticleView.user_id,
            ArticleView.anon_id,
            func.count(),
            func.count(ArticleView.search_id),
        )
        .where(_in(ArticleView.created_at, start, end))
        .group_by(ArticleView.user_id, ArticleView.anon_id)
    )
    for user_id, anon_id, n, from_search in views:
        if v := visit(user_id, anon_id):
            v.views, v.views_from_search = n, from_search
    askers = db.session.scalars(
        select(Topic.author_id)
        .distinct()
        .where(_in(Topic.created_at, start, end), Topic.kind == "question")
    )
    for author_id in askers:
        visit(author_id, None).asked = True
    return visits


def _roll_visitor_day(day: date, staff_ids: set[int]) -> None:
    """VisitorDay for one day: visitors who searched (as humans), read an article or asked
    a question; visitors with a bot or staff search that day and staff accounts left out.
    Self-served: searched, clicked an article or a solved topic (or read an article reached
    from a search), and asked no question that day."""
    rows = []
    for (kind, ident), v in _visits(day).items():
        if v.excluded or (kind == "u" and ident in staff_ids):
            continue
        if not (v.searches or v.views or v.asked):
            continue
        served = bool(v.searches and (v.found or v.views_from_search) and not v.asked)
        rows.append(
            {
                "day": day,
                "visitor": visitor_key(
                    ident if kind == "u" else None, ident if kind == "a" else None
                ),
                "searches": v.searches,
                "views": v.views,
                "asked": v.asked,
                "self_served": served,
            }
        )
    db.session.execute(delete(VisitorDay).where(VisitorDay.day == day))
    _insert(VisitorDay, rows)
