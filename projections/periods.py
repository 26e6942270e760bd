"""Statistics periods (year, quarter, month, half, custom dates) and points in time, in business time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from domain import errors
from domain.deadlines import BUSINESS_TZ
from projections.events import to_us


@dataclass(frozen=True)
class Period:
    start: datetime  # inclusive
    end: datetime  # exclusive
    label: str

    @property
    def start_us(self) -> int:
        return to_us(self.start)

    @property
    def end_us(self) -> int:
        return to_us(self.end)


def _day(d: date) -> datetime:
    return datetime.combine(d, time(0), BUSINESS_TZ)


def period(year: int | None = None, *, quarter: int | None = None, month: int | None = None,
           half: int | None = None, start: str | None = None, end: str | None = None) -> Period:
    """``year`` alone, with one of ``quarter``/``month``/``half``, or custom ``start``..``end`` dates (inclusive)."""
    if start or end:
        if not (start and end):
            raise errors.ValidationFailed("a custom period needs both start and end dates")
        first, last = _date(start), _date(end)
        if last < first:
            raise errors.ValidationFailed("the period ends before it starts")
        return Period(_day(first), _day(last + timedelta(days=1)), f"{first}..{last}")
    if year is None:
        raise errors.ValidationFailed("give a year (optionally with quarter, month or half) or start and end dates")
    if sum(x is not None for x in (quarter, month, half)) > 1:
        raise errors.ValidationFailed("give at most one of quarter, month and half")
    first_month, months, label = 1, 12, f"{year}"
    if quarter is not None:
        _check(quarter, 1, 4, "quarter")
        first_month, months, label = 3 * quarter - 2, 3, f"{year}-Q{quarter}"
    elif half is not None:
        _check(half, 1, 2, "half")
        first_month, months, label = 6 * half - 5, 6, f"{year}-H{half}"
    elif month is not None:
        _check(month, 1, 12, "month")
        first_month, months, label = month, 1, f"{year}-{month:02d}"
    first = date(year, first_month, 1)
    after = date(year + (first_month + months - 1) // 12, (first_month + months - 1) % 12 + 1, 1)
    return Period(_day(first), _day(after), label)


def point_in_time(text: str | None) -> datetime | None:
    """A date means the end of that business day (24:00 +08:00); a datetime is taken as given."""
    if not text:
        return None
    try:
        if len(text) == 10:
            return _day(date.fromisoformat(text) + timedelta(days=1))
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise errors.ValidationFailed(f"{text!r} is not an ISO date or datetime") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=BUSINESS_TZ)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise errors.ValidationFailed(f"{text!r} is not an ISO date") from None


def _check(value: int, low: int, high: int, name: str) -> None:
    if not low <= value <= high:
        raise errors.ValidationFailed(f"{name} must be between {low} and {high}")
