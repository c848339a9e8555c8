"""What customers search for, read from the rollups: top queries, queries that fail or go
unclicked, rising queries, and searches by day and by hour of day (tables and chart series).

Query tables count first-page searches (QueryDayStat); the day and hour figures count every
search request (SearchHourStat), like the KPIs. The KPIs and query tables count UTC days,
like the date range (QueryDayStat is kept per UTC day); the charts and their tables, read
from the hourly rollup, count days and hours of day in the portal's time zone, when
customers actually search."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.extensions import db
from portal.insights.ranges import DateRange
from portal.insights.tables import Table
from portal.models import QueryDayStat, SearchHourStat
from search.timestamps import naive_utc

TOP_N = 20
MIN_NO_CLICK = 3  # searches with results before "nobody clicked" means something


def _pct(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 1) if whole else None


@dataclass
class QueryTotal:
    query: str
    searches: int
    zero_results: int
    clicked: int

    @property
    def with_results(self) -> int:
        return self.searches - self.zero_results


def query_totals(rng: DateRange) -> list[QueryTotal]:
    """Every query searched in the range with its summed figures (one GROUP BY; the tables
    below sort and filter this list, so a page makes one pass per range)."""
    rows = db.session.execute(
        select(
            QueryDayStat.query,
            func.sum(QueryDayStat.searches),
            func.sum(QueryDayStat.zero_results),
            func.sum(QueryDayStat.clicked),
        )
        .where(QueryDayStat.day >= rng.start, QueryDayStat.day <= rng.end)
        .group_by(QueryDayStat.query)
    )
    return [QueryTotal(q, n or 0, z or 0, c or 0) for q, n, z, c in rows]


def top_queries(
    rng: DateRange, limit: int = TOP_N, totals: list[QueryTotal] | None = None
) -> Table:
    """The most searched queries, with their no-result and click-through rates."""
    found = sorted(
        query_totals(rng) if totals is None else totals, key=lambda t: (-t.searches, t.query)
    )
    return Table(
        name="top-queries",
        title=_("Top queries"),
        columns=[_("Query"), _("Searches"), _("No result %"), _("Click-through %")],
        rows=[
            [t.query, t.searches, _pct(t.zero_results, t.searches), _pct(t.clicked, t.searches)]
            for t in found[:limit]
        ],
    )


def zero_result_queries(
    rng: DateRange, limit: int = TOP_N, totals: list[QueryTotal] | None = None
) -> Table:
    """Queries that found nothing, most failed searches first."""
    found = sorted(
        (t for t in (query_totals(rng) if totals is None else totals) if t.zero_results),
        key=lambda t: (-t.zero_results, -t.searches, t.query),
    )
    return Table(
        name="zero-result-queries",
        title=_("Queries with no result"),
        columns=[_("Query"), _("Searches with no result"), _("Searches"), _("No result %")],
        rows=[
            [t.query, t.zero_results, t.searches, _pct(t.zero_results, t.searches)]
            for t in found[:limit]
        ],
    )


def no_click_queries(
    rng: DateRange,
    min_searches: int = MIN_NO_CLICK,
    limit: int = TOP_N,
    totals: list[QueryTotal] | None = None,
) -> Table:
    """Queries that found results at least ``min_searches`` times, and nobody clicked one."""
    found = sorted(
        (
            t
            for t in (query_totals(rng) if totals is None else totals)
            if t.clicked == 0 and t.with_results >= min_searches
        ),
        key=lambda t: (-t.with_results, t.query),
    )
    return Table(
        name="no-click-queries",
        title=_("Queries with results but no clicks"),
        columns=[_("Query"), _("Searches with results"), _("Searches")],
        rows=[[t.query, t.with_results, t.searches] for t in found[:limit]],
        note=_("Only queries that found results at least %(n)d times.", n=min_searches),
    )


def rising_queries(
    rng: DateRange,
    min_count: int | None = None,
    limit: int = TOP_N,
    totals: list[QueryTotal] | None = None,
    previous_totals: list[QueryTotal] | None = None,
) -> Table:
    """Queries searched more than in the previous range of equal length, with at least
    ``min_count`` searches now (so 1 -> 4 is not a trend). Growth is in %; None for
    queries not searched at all before (listed first, most searched first)."""
    if min_count is None:
        min_count = current_app.config["INSIGHTS_MIN_RISING"]
    current = query_totals(rng) if totals is None else totals
    before = {
        t.query: t.searches
        for t in (query_totals(rng.previous()) if previous_totals is None else previous_totals)
    }
    found = []
    for t in current:
        previous = before.get(t.query, 0)
        if t.searches >= min_count and t.searches > previous:
            found.append([t.query, previous, t.searches, _pct(t.searches - previous, previous)])
    found.sort(key=lambda r: (r[3] is not None, -(r[3] or 0), -r[2], r[0]))
    return Table(
        name="rising-queries",
        title=_("Rising queries"),
        columns=[_("Query"), _("Previous range"), _("This range"), _("Growth %")],
        rows=found[:limit],
        note=_(
            "At least %(n)d searches in this range; no growth figure means the query was "
            "not searched in the previous range.",
            n=min_count,
        ),
    )


@dataclass
class DailySeries:
    zone: str  # the time zone whose days these are
    days: list[date]
    searches: list[int]
    zero_results: list[int]
    clicked: list[int]


@dataclass
class HourlySeries:
    zone: str  # the time zone the hours are in
    searches: list[int]  # index = hour of day, 0-23
    zero_results: list[int]


def _hour_rows(start_at: datetime, end_at: datetime):
    return db.session.execute(
        select(
            SearchHourStat.hour,
            SearchHourStat.searches,
            SearchHourStat.zero_results,
            SearchHourStat.clicked,
        ).where(SearchHourStat.hour >= start_at, SearchHourStat.hour < end_at)
    ).all()


def display_zone() -> tuple[str, ZoneInfo]:
    """The portal's time zone (PORTAL_TIMEZONE), by name and as a zone."""
    name = current_app.config["BABEL_DEFAULT_TIMEZONE"]  # portal/config.py gives its default
    return name, ZoneInfo(name)


def _utc(day: date, zone: ZoneInfo) -> datetime:
    """Midnight starting ``day`` in ``zone``, as the naive UTC time the rollups store."""
    return naive_utc(datetime.combine(day, time.min, zone))


def _local(hour: datetime, zone: ZoneInfo) -> datetime:
    return hour.replace(tzinfo=UTC).astimezone(zone)


def daily_series(rng: DateRange) -> DailySeries:
    """Searches per day of the range in the portal's time zone (days without searches as
    0): the hours from local midnight of the first day to local midnight after the last."""
    name, zone = display_zone()
    days = rng.each_day()
    index = {day: i for i, day in enumerate(days)}
    series = DailySeries(name, days, [0] * len(days), [0] * len(days), [0] * len(days))
    start_at, end_at = _utc(rng.start, zone), _utc(rng.end + timedelta(days=1), zone)
    for hour, searches, zero, clicked in _hour_rows(start_at, end_at):
        i = index[_local(hour, zone).date()]
        series.searches[i] += searches
        series.zero_results[i] += zero
        series.clicked[i] += clicked
    return series


def hourly_series(rng: DateRange) -> HourlySeries:
    """Searches in the range by hour of day in the portal's time zone."""
    name, zone = display_zone()
    series = HourlySeries(name, [0] * 24, [0] * 24)
    for hour, searches, zero, _clicked in _hour_rows(rng.start_at, rng.end_at):
        local = _local(hour, zone).hour
        series.searches[local] += searches
        series.zero_results[local] += zero
    return series


def daily_table(series: DailySeries) -> Table:
    return Table(
        name="searches-by-day",
        title=_("Searches by day"),
        columns=[
            _("Date (%(zone)s)", zone=series.zone),
            _("Searches"),
            _("No result"),
            _("With a click"),
            _("Click-through %"),
        ],
        rows=[
            [day.isoformat(), n, z, c, _pct(c, n)]
            for day, n, z, c in zip(
                series.days, series.searches, series.zero_results, series.clicked, strict=True
            )
        ],
    )


def hourly_table(series: HourlySeries) -> Table:
    return Table(
        name="searches-by-hour",
        title=_("Searches by hour of day"),
        columns=[_("Hour (%(zone)s)", zone=series.zone), _("Searches"), _("No result")],
        rows=[[f"{h:02d}:00", series.searches[h], series.zero_results[h]] for h in range(24)],
    )


@dataclass
class QueryReport:
    daily: DailySeries
    hourly: HourlySeries
    tables: list[Table]


def query_report(rng: DateRange) -> QueryReport:
    """Everything the overview shows about queries: the chart series and every table."""
    daily, hourly = daily_series(rng), hourly_series(rng)
    totals, previous = query_totals(rng), query_totals(rng.previous())
    tables = [
        top_queries(rng, totals=totals),
        zero_result_queries(rng, totals=totals),
        no_click_queries(rng, totals=totals),
        rising_queries(rng, totals=totals, previous_totals=previous),
        daily_table(daily),
        hourly_table(hourly),
    ]
    return QueryReport(daily, hourly, tables)
