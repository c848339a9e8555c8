"""Timestamps: naive UTC everywhere, so SQLite and PostgreSQL compare them the same way (the
helpers live in search.timestamps, which the index shares)."""

from search.timestamps import naive_utc, utcnow

__all__ = ["naive_utc", "utcnow"]
