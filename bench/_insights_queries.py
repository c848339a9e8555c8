"""The insights overview's search figures two ways, for bench.insights to time: straight from
the raw rows (the baseline) and from the rollups (what the page reads)."""

from datetime import datetime

from sqlalchemy import text

from bench._insights_corpus import stamp
from portal.extensions import db
from portal.insights.kpis import compute_kpis, excluded_counts
from portal.insights.query_reports import query_report

HUMAN = "NOT s.is_bot AND NOT s.is_staff"
CLICKED = "EXISTS (SELECT 1 FROM search_clicks c WHERE c.search_id = s.id)"
IN_RANGE = "s.created_at >= :start AND s.created_at < :end"
# The overview's search figures straight from the raw rows, as a page without rollups would
# compute them: headline totals and visitor figures for the range and the one before it
# (for the change), per-query counts for both (top, no-result, no-click and rising tables),
# per day and per hour. The forum, vote and ask figures read their own small tables either
# way, so they are left out of both sides' difference.
BASELINE_SQL = {
    "totals": f"""
        SELECT sum({HUMAN}), sum({HUMAN} AND s.result_count = 0), sum({HUMAN} AND {CLICKED}),
               sum(CASE WHEN {HUMAN} THEN (SELECT min(c.rank) FROM search_clicks c
                                           WHERE c.search_id = s.id) END),
               sum(s.is_bot), sum(s.is_staff AND NOT s.is_bot)
        FROM search_logs s WHERE {IN_RANGE}""",
    "visitors": f"""
        SELECT count(*), count(DISTINCT visitor), sum(served) FROM (
            SELECT date(s.created_at) AS day, coalesce(s.user_id, s.anon_id) AS visitor,
                   max({CLICKED}) AS served
            FROM search_logs s WHERE {IN_RANGE} AND {HUMAN} GROUP BY day, visitor)""",
    "per_query": f"""
        SELECT s.query_normalized, count(*), sum(s.result_count = 0), sum({CLICKED})
        FROM search_logs s WHERE {IN_RANGE} AND {HUMAN} AND s.page = 1
        GROUP BY s.query_normalized ORDER BY count(*) DESC""",
}
CURRENT_ONLY_SQL = {
    "per_day": f"""
        SELECT date(s.created_at) AS day, count(*), sum(s.result_count = 0), sum({CLICKED})
        FROM search_logs s WHERE {IN_RANGE} AND {HUMAN} GROUP BY day""",
    "per_hour": f"""
        SELECT strftime('%H', s.created_at) AS hour, count(*)
        FROM search_logs s WHERE {IN_RANGE} AND {HUMAN} GROUP BY hour""",
}


def baseline(start: datetime, end: datetime) -> None:
    previous = {"start": stamp(start - (end - start)), "end": stamp(start)}
    current = {"start": stamp(start), "end": stamp(end)}
    for sql in BASELINE_SQL.values():
        for params in (current, previous):
            db.session.execute(text(sql), params).all()
    for sql in CURRENT_ONLY_SQL.values():
        db.session.execute(text(sql), current).all()
    db.session.rollback()


def overview_figures(window) -> None:
    """What the overview computes before rendering: every KPI (with the previous range), the
    excluded counts and the query/day/hour tables, all read from the rollups."""
    compute_kpis(window)
    excluded_counts(window)
    query_report(window)
    db.session.rollback()
