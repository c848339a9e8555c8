"""The headline figures of the insights overview, for a range and the range before it.

Search figures come from the rollups (human, non-staff searches); forum, feedback, ask and
routing figures from their own small tables. Every rate is a percentage (0-100) and is None
when its denominator is 0, never a misleading 0."""

import statistics
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from portal.ask.services import deflection_stats
from portal.clock import now
from portal.experts.router import first_response_target
from portal.extensions import db
from portal.insights.ranges import DateRange
from portal.models import ArticleFeedback, Assignment, SearchHourStat, Topic, User, VisitorDay
from portal.roles import STAFF_ROLES

# How many decimals each unit is shown with (and compared at).
DECIMALS = {"count": 0, "percent": 1, "ratio": 1, "rank": 2, "hours": 1}
# How each unit follows its number; hours in words of the reader's language.
UNIT_FORMATS = {
    "percent": lambda number: f"{number}%",
    "hours": lambda number: _("%(number)s h", number=number),
}


@dataclass
class Kpi:
    key: str
    label: str
    value: float | None
    previous: float | None
    unit: str  # count | percent | ratio | rank | hours
    better: str  # "up" | "down": which direction is an improvement

    @property
    def change_percent(self) -> float | None:
        """Relative change against the previous range in %, None without a base."""
        if self.value is None or not self.previous:
            return None
        return round((self.value - self.previous) * 100 / self.previous, 1)

    @property
    def direction(self) -> str | None:
        """ "up", "down" or "same" (equal as shown: 34.52% and 34.49% are both 34.5%);
        None when either value is missing."""
        if self.value is None or self.previous is None:
            return None
        digits = DECIMALS[self.unit]
        value, previous = round(self.value, digits), round(self.previous, digits)
        if value == previous:
            return "same"
        return "up" if value > previous else "down"

    @property
    def improved(self) -> bool | None:
        """True when the change goes the better way, False when the worse, None otherwise."""
        if self.direction in (None, "same"):
            return None
        return self.direction == self.better


def format_value(value: float | None, unit: str) -> str:
    """How a KPI value is shown on the page ("—" when there is none)."""
    if value is None:
        return "—"
    number = f"{value:,.{DECIMALS[unit]}f}"
    return UNIT_FORMATS[unit](number) if unit in UNIT_FORMATS else number


def _share(part: float, whole: float) -> float | None:
    return part * 100 / whole if whole else None


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _search_totals(rng: DateRange) -> dict:
    row = db.session.execute(
        select(
            *(
                func.coalesce(func.sum(getattr(SearchHourStat, name)), 0)
                for name in (
                    "searches",
                    "zero_results",
                    "clicked",
                    "first_click_rank_sum",
                    "bot_searches",
                    "staff_searches",
                )
            )
        ).where(SearchHourStat.hour >= rng.start_at, SearchHourStat.hour < rng.end_at)
    ).one()
    return dict(zip(("searches", "zero", "clicked", "rank_sum", "bots", "staff"), row, strict=True))


def _visitor_totals(rng: DateRange) -> dict:
    searched = VisitorDay.searches > 0
    in_range = (VisitorDay.day >= rng.start, VisitorDay.day <= rng.end)
    sessions, searching, served = db.session.execute(
        select(
            func.count(),
            func.count().filter(searched),
            func.count().filter(searched, VisitorDay.self_served.is_(True)),
        ).where(*in_range)
    ).one()
    searchers = db.session.scalar(
        select(func.count(VisitorDay.visitor.distinct())).where(*in_range, searched)
    )
    return {
        "sessions": sessions,
        "searching": searching,
        "served": served,
        "searchers": searchers or 0,
    }


def _questions_asked(rng: DateRange) -> int:
    """Questions (topics of kind "question") created in the range by non-staff accounts."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Topic)
            .join(User, User.id == Topic.author_id)
            .where(
                Topic.kind == "question",
                Topic.created_at >= rng.start_at,
                Topic.created_at < rng.end_at,
                User.role.not_in(STAFF_ROLES),
            )
        )
        or 0
    )


def _helpful_ratio(rng: DateRange) -> float | None:
    yes, total = db.session.execute(
        select(func.sum(case((ArticleFeedback.helpful.is_(True), 1), else_=0)), func.count()).where(
            ArticleFeedback.created_at >= rng.start_at, ArticleFeedback.created_at < rng.end_at
        )
    ).one()
    return _share(yes or 0, total)


def _visible_questions(rng: DateRange) -> list[Topic]:
    """Visible questions created in the range (hidden or deleted ones are never answered)."""
    return list(
        db.session.scalars(
            select(Topic).where(
                Topic.kind == "question",
                Topic.created_at >= rng.start_at,
                Topic.created_at < rng.end_at,
                Topic.hidden.is_(False),
                Topic.deleted_at.is_(None),
            )
        )
    )


def _first_response(rng: DateRange) -> tuple[float | None, float | None]:
    """(median hours to the first response of the questions that got one, % of questions
    answered within their target among those whose outcome is known: answered, or still
    unanswered with the target already passed)."""
    at = now()
    hours, within, known = [], 0, 0
    for topic in _visible_questions(rng):
        target = first_response_target(topic)
        if topic.first_response_at is not None:
            waited = topic.first_response_at - topic.created_at
            hours.append(waited / timedelta(hours=1))
            known += 1
            within += waited <= target
        elif at - topic.created_at > target:
            known += 1
    median = statistics.median(hours) if hours else None
    return median, _share(within, known)


def _sla_met(rng: DateRange) -> float | None:
    """% of assignments given out in the range that were answered by their due time, among
    those answered, escalated, or still open past due."""
    on_time = (Assignment.state == "answered") & (Assignment.closed_at <= Assignment.due_at)
    decided = Assignment.state.in_(("answered", "escalated")) | (
        (Assignment.state == "open") & (Assignment.due_at < now())
    )
    met, total = db.session.execute(
        select(func.count().filter(on_time), func.count()).where(
            Assignment.assigned_at >= rng.start_at, Assignment.assigned_at < rng.end_at, decided
        )
    ).one()
    return _share(met, total)


def _figures(rng: DateRange, exclude_staff: bool) -> dict:
    s = _search_totals(rng)
    v = _visitor_totals(rng)
    median_hours, within_target = _first_response(rng)
    deflection = deflection_stats(rng.start_at, rng.end_at)["deflection_rate"]
    return {
        "searches": s["searches"] + (0 if exclude_staff else s["staff"]),
        "searchers": v["searchers"],
        "self_service_score": _ratio(v["sessions"], _questions_asked(rng)),
        "zero_result_rate": _share(s["zero"], s["searches"]),
        "click_through_rate": _share(s["clicked"], s["searches"]),
        "first_click_rank": _ratio(s["rank_sum"], s["clicked"]),
        "self_service_rate": _share(v["served"], v["searching"]),
        "deflection_rate": None if deflection is None else deflection * 100,
        "helpful_ratio": _helpful_ratio(rng),
        "first_response_hours": median_hours,
        "answered_within_target": within_target,
        "expert_sla_met": _sla_met(rng),
    }


# key, label, unit, better
KPI_DEFINITIONS = [
    ("searches", _l("Searches"), "count", "up"),
    ("searchers", _l("People searching"), "count", "up"),
    ("self_service_score", _l("Self-service score (visits per question)"), "ratio", "up"),
    ("zero_result_rate", _l("Searches with no result"), "percent", "down"),
    ("click_through_rate", _l("Searches with a click"), "percent", "up"),
    ("first_click_rank", _l("Mean rank of the first click"), "rank", "down"),
    ("self_service_rate", _l("Searching visits that self-served"), "percent", "up"),
    ("deflection_rate", _l("Ask-page deflection"), "percent", "up"),
    ("helpful_ratio", _l("Helpful votes"), "percent", "up"),
    ("first_response_hours", _l("Median first response (forum)"), "hours", "down"),
    ("answered_within_target", _l("Questions answered within target"), "percent", "up"),
    ("expert_sla_met", _l("Expert assignments answered on time"), "percent", "up"),
]


def compute_kpis(rng: DateRange, exclude_staff: bool = True) -> list[Kpi]:
    """Every headline figure for ``rng`` with its value in ``rng.previous()``.

    ``exclude_staff=False`` adds staff searches to the search count only: the rollups keep
    no other figures for staff, so every rate stays about customers."""
    current, previous = _figures(rng, exclude_staff), _figures(rng.previous(), exclude_staff)
    if _is_empty(previous):  # nothing to compare with: no "better" against zero
        previous = dict.fromkeys(previous)
    return [
        Kpi(key, label, current[key], previous[key], unit, better)
        for key, label, unit, better in KPI_DEFINITIONS
    ]


def _is_empty(figures: dict) -> bool:
    """A period with no recorded activity at all (every count zero or missing)."""
    counts = [key for key, _label, unit, _better in KPI_DEFINITIONS if unit == "count"]
    return not any(figures.get(key) for key in counts)


def excluded_counts(rng: DateRange) -> dict:
    """Searches left out of every figure in the range: {"bots": n, "staff": m} (a staff
    member's bot-like searches count as bots)."""
    totals = _search_totals(rng)
    return {"bots": totals["bots"], "staff": totals["staff"]}
