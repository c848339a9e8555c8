"""Page and per-page clamping shared by every search backend."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["MAX_PAGE", "MAX_PER_PAGE", "clamp_int", "first_unique", "page_window"]

MAX_PER_PAGE = 100
MAX_PAGE = 500  # page * per_page bounds how many hits one request scores and sorts


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


def first_unique(values: Iterable[str], limit: int) -> list[str]:
    """Up to ``limit`` distinct non-empty values in order (suggest() titles)."""
    seen: dict[str, None] = {}
    for value in values:
        if value:
            seen.setdefault(value, None)
        if len(seen) >= limit:
            break
    return list(seen)
