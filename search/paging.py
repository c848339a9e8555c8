"""Page, per-page and suggest() input clamping shared by every search backend."""

from __future__ import annotations

from collections.abc import Iterable

from search.analyzer import tokenize
from search.query import MAX_QUERY_CHARS

__all__ = [
    "MAX_PAGE",
    "MAX_PER_PAGE",
    "TOTAL_CAP",
    "clamp_int",
    "first_unique",
    "page_window",
    "suggest_input",
]

MAX_PER_PAGE = 100
# The deepest page of any list, search results and the portal's paged lists alike: page *
# per_page bounds how many hits one request scores and sorts, and the SQL offset of a list.
MAX_PAGE = 500
# A search's total is exact up to here; beyond it an engine may say "at least N" rather
# than visit every hit of a common word to count them (tens of thousands at 100k documents).
TOTAL_CAP = 1000


def clamp_int(value: object, default: int, low: int, high: int) -> int:
    """``value`` as an int within [low, high]; ``default`` (clamped) when it is not a number."""
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        number = default
    return min(max(number, low), high)


def page_window(page: object, per_page: object) -> tuple[int, int]:
    """Return the clamped (page, per_page) of a search request."""
    return clamp_int(page, 1, 1, MAX_PAGE), clamp_int(per_page, 10, 1, MAX_PER_PAGE)


def suggest_input(prefix: object, limit: object) -> tuple[list[str], int]:
    """The query tokens of a suggest() prefix (none for a non-string) and its clamped limit."""
    text = prefix[:MAX_QUERY_CHARS] if isinstance(prefix, str) else ""
    return tokenize(text, "query"), clamp_int(limit, 8, 1, 50)


def first_unique(values: Iterable[str], limit: int) -> list[str]:
    """Up to ``limit`` distinct non-empty values in order (suggest() titles)."""
    seen: dict[str, None] = {}
    for value in values:
        if value:
            seen.setdefault(value, None)
        if len(seen) >= limit:
            break
    return list(seen)
