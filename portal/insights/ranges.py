"""Date ranges for the insight pages: a chosen range and the previous one of equal length."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from portal.clock import now

DEFAULT_DAYS = 30
MAX_DAYS = 366


class RangeError(ValueError):
    """A date range the caller must fix; the message says how."""


@dataclass(frozen=True)
class DateRange:
    start: date  # first day, inclusive
    end: date  # last day, inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min)

    @property
    def end_at(self) -> datetime:
        """Exclusive upper bound: midnight after the last day."""
        return datetime.combine(self.end + timedelta(days=1), time.min)

    def previous(self) -> "DateRange":
        """The range of equal length just before this one."""
        return DateRange(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def each_day(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def query_args(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def parse_range(args) -> DateRange:
    """?start=YYYY-MM-DD&end=YYYY-MM-DD, or ?days=N (ending today); default: last 30 days."""
    today = now().date()
    try:
        if args.get("start") or args.get("end"):
            start = date.fromisoformat(args.get("start") or "")
            end = date.fromisoformat(args.get("end") or today.isoformat())
        else:
            days = int(args.get("days") or DEFAULT_DAYS)
            if days < 1:
                raise RangeError("days must be at least 1")
            end, start = today, today - timedelta(days=days - 1)
    except (ValueError, OverflowError) as error:
        if isinstance(error, RangeError):
            raise
        raise RangeError("dates must look like 2026-11-01 and days must be a number") from None
    if end < start:
        raise RangeError("the end date is before the start date")
    if (end - start).days + 1 > MAX_DAYS:
        raise RangeError(f"a range may span at most {MAX_DAYS} days")
    return DateRange(start, end)
