"""Untrusted text to numbers and days: one parser for each, ASCII only, with bounds.

``str.isdigit()`` and ``int()`` take '²', '①', '٣' and full-width '１' (some then fail, some
pass), ``int()`` takes spaces, '+' and '_', and thousands of digits cost time and overflow the
database. Every integer or day a request carries goes through these instead.
"""

import re
from datetime import date

BIGINT_MAX = 2**63 - 1  # what every database's integer column holds
MAX_DIGITS = 18  # any 18-digit number fits BIGINT_MAX; ids and counts are far shorter

# Days the portal can reason about: insight ranges add and subtract a year around them, and
# the charts draw them; years 1 and 9999 overflow both. One place for the bounds.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)

_UNSIGNED = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}")
_SIGNED = re.compile(rf"-?[0-9]{{1,{MAX_DIGITS}}}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def whole_number(raw: str | None, low: int = 0, high: int = BIGINT_MAX) -> int:
    """``raw`` as an int from ``low`` to ``high``, or ValueError.

    ASCII digits only, no spaces, no '+'; a leading '-' only where ``low`` is negative."""
    pattern = _SIGNED if low < 0 else _UNSIGNED
    if not isinstance(raw, str) or not pattern.fullmatch(raw):
        raise ValueError(f"not a whole number: {str(raw)[:20]!r}")
    number = int(raw)
    if not low <= number <= high:
        raise ValueError(f"{number} is not from {low} to {high}")
    return number


def optional_whole_number(raw: str | None, low: int = 0, high: int = BIGINT_MAX) -> int | None:
    """Like whole_number, but None for an empty value (a select box's empty choice)."""
    return None if raw in (None, "", "None") else whole_number(raw, low, high)


def parse_day(raw: str | None) -> date:
    """'2026-11-01' as a date from FIRST_DAY to LAST_DAY, or ValueError (also for 2026-02-30)."""
    if not isinstance(raw, str) or not _DAY.fullmatch(raw):
        raise ValueError(f"not a date: {str(raw)[:20]!r}")
    parsed = date.fromisoformat(raw)
    if not FIRST_DAY <= parsed <= LAST_DAY:
        raise ValueError(f"{parsed} is not from {FIRST_DAY} to {LAST_DAY}")
    return parsed
