"""Naive UTC: the one form of timestamps in the indexes and the database columns (SQLite and
PostgreSQL then compare them alike). The portal imports these too."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["naive_utc", "utcnow"]


def naive_utc(moment: datetime) -> datetime:
    """``moment`` as naive UTC: an aware value converted, a naive one taken as UTC already."""
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def utcnow() -> datetime:
    """The current UTC time without tzinfo."""
    return naive_utc(datetime.now(UTC))
