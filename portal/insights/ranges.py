"""Date ranges for the insight pages: a chosen range and the previous one of equal length."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l

from portal.clock import now
from portal.inputs import FIRST_DAY, LAST_DAY, parse_day, whole_number

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
    if args.get("start") or args.get("end"):
        try:
            start = parse_day(args.get("start") or "")
            end = parse_day(args.get("end") or today.isoformat())
        except ValueError:
            raise RangeError(
                _l("dates must look like 2026-11-01, from %(first)s to %(last)s")
                % {"first": FIRST_DAY, "last": LAST_DAY}
            ) from None
    else:
        try:
            days = whole_number(args.get("days") or str(DEFAULT_DAYS), 1, MAX_DAYS)
        except ValueError:
            raise RangeError(
                _l("days must be a whole number from 1 to %(most)d") % {"most": MAX_DAYS}
            ) from None
        end, start = today, today - timedelta(days=days - 1)
    if end < start:
        raise RangeError(_l("the end date is before the start date"))
    if (end - start).days + 1 > MAX_DAYS:
        raise RangeError(_l("a range may span at most %(most)d days") % {"most": MAX_DAYS})
    return DateRange(start, end)


def page_range(args) -> tuple[DateRange, str | None]:
    """The range a page asks for, or, when the reader must fix it, the default range and
    the reason: the page is shown with the reason beside its date fields (an everyday
    mistake is no dead end)."""
    try:
        return parse_range(args), None
    except RangeError as error:
        return parse_range({}), str(error)
