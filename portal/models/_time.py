"""Timestamps: naive UTC everywhere, so SQLite and PostgreSQL compare them the same way."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Current UTC time without tzinfo (what the database columns store)."""
    return datetime.now(UTC).replace(tzinfo=None)
