"""Rollups of the search log (so insight pages stay fast at millions of rows) and the
content needs that editors act on."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models._time import utcnow


class SearchHourStat(db.Model):
    """Counts per hour of human, non-staff searches (plus what was excluded)."""

    __tablename__ = "search_hour_stats"

    hour: Mapped[datetime] = mapped_column(primary_key=True)  # start of the hour, UTC
    searches: Mapped[int] = mapped_column(default=0)
    zero_results: Mapped[int] = mapped_column(default=0)
    clicked: Mapped[int] = mapped_column(default=0)  # searches with at least one click
    first_click_rank_sum: Mapped[int] = mapped_column(default=0)
    bot_searches: Mapped[int] = mapped_column(default=0)
    staff_searches: Mapped[int] = mapped_column(default=0)


class QueryDayStat(db.Model):
    """Per day and normalised query: how often, how often with no result, how often clicked."""

    __tablename__ = "query_day_stats"
    __table_args__ = (Index("ix_query_day_stats_day_query", "day", "query"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(index=True)
    query: Mapped[str] = mapped_column(String(500))
    tokens: Mapped[str] = mapped_column(String(1000), default="")
    searches: Mapped[int] = mapped_column(default=0)
    zero_results: Mapped[int] = mapped_column(default=0)
    clicked: Mapped[int] = mapped_column(default=0)


class VisitorDay(db.Model):
    """One visitor's portal day: the unit of 'a session' for the self-service figures.
    The key is a one-way hash, never a user id."""

    __tablename__ = "visitor_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    visitor: Mapped[str] = mapped_column(String(64), primary_key=True)
    searches: Mapped[int] = mapped_column(default=0)
    views: Mapped[int] = mapped_column(default=0)
    self_served: Mapped[bool] = mapped_column(default=False)  # searched, then read, no question
    asked: Mapped[bool] = mapped_column(default=False)


class RollupState(db.Model):
    """How far the rollups have been computed (one row per rollup)."""

    __tablename__ = "rollup_state"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    done_until: Mapped[datetime]  # every hour before this is rolled up
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContentNeed(db.Model):
    """A group of failed or unclicked queries that editors decided to act on."""

    __tablename__ = "content_needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # canonical keywords
    label: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | handled
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None]
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"))
