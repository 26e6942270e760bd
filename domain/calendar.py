"""PRC working-day calendar (domain.md §6.1 "Working day").

Years covered by the ``chinese_calendar`` package are loaded from it (holidays and 调休 adjusted
working days); a ``CalendarYearPublished`` payload can add or override a year. Any other year falls
back to Mon–Fri, and every result that touched such a year carries ``calendar_fallback=True``.
Pure: no I/O, no clock reads; a ``WorkCalendar`` is immutable (``with_year`` returns a new one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from domain.errors import ValidationFailed

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class CalendarYear:
    """One published year: holidays and adjusted (调休) working days."""

    year: int
    holidays: frozenset[date]
    adjusted_working_days: frozenset[date]
    source: str = ""

    def to_payload(self) -> dict[str, Any]:
        """The CalendarYearPublished payload for this year."""
        return {
            "year": self.year,
            "holidays": [d.isoformat() for d in sorted(self.holidays)],
            "adjusted_working_days": [d.isoformat() for d in sorted(self.adjusted_working_days)],
            "source": self.source,
        }


@dataclass(frozen=True)
class DateResult:
    """A computed date; ``calendar_fallback`` if a non-covered (Mon–Fri) year was used."""

    date: date
    calendar_fallback: bool


@dataclass(frozen=True)
class CountResult:
    """A computed count of working days; flagged like ``DateResult``."""

    count: int
    calendar_fallback: bool


def _as_date(value: date | str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(f"not an ISO date: {value!r}") from exc


def _build_year(year: int, holidays: Iterable[date | str], adjusted: Iterable[date | str], source: str) -> CalendarYear:
    hol = frozenset(_as_date(d) for d in holidays)
    adj = frozenset(_as_date(d) for d in adjusted)
    outside = sorted(d for d in hol | adj if d.year != year)
    if outside:
        raise ValidationFailed(f"dates outside {year}: {outside[0].isoformat()}", year=year)
    both = sorted(hol & adj)
    if both:
        raise ValidationFailed(f"{both[0].isoformat()} is both holiday and working day", year=year)
    return CalendarYear(year, hol, adj, source)


@lru_cache(maxsize=1)
def _package_years() -> Mapping[int, CalendarYear]:
    """Every year the chinese_calendar package covers, grouped from its constants."""
    import chinese_calendar
    from chinese_calendar import constants

    source = f"chinese-calendar {getattr(chinese_calendar, '__version__', '')}".strip()
    known = {d.year for d in constants.holidays} | {d.year for d in constants.workdays}
    years = {}
    for year in range(min(known), max(known) + 1):
        hol = [d for d in constants.holidays if d.year == year]
        adj = [d for d in constants.workdays if d.year == year]
        years[year] = _build_year(year, hol, adj, source)
    return MappingProxyType(years)


class WorkCalendar:
    """Working days per PRC rules; immutable."""

    def __init__(self, years: Mapping[int, CalendarYear] | None = None) -> None:
        self._years: Mapping[int, CalendarYear] = MappingProxyType(dict(years or {}))

    @classmethod
    def default(cls) -> WorkCalendar:
        """The shipped calendar: every year of the chinese_calendar package."""
        return cls(_package_years())

    @classmethod
    def fallback_only(cls) -> WorkCalendar:
        """A calendar with no published year (pure Mon–Fri, always flagged)."""
        return cls({})

    def with_year(
        self, year: int, holidays: Iterable[date | str], adjusted_working_days: Iterable[date | str], source: str = ""
    ) -> WorkCalendar:
        """A new calendar with ``year`` added or replaced by explicit data."""
        years = dict(self._years)
        years[int(year)] = _build_year(int(year), holidays, adjusted_working_days, source)
        return WorkCalendar(years)

    def with_published(self, payload: Mapping[str, Any]) -> WorkCalendar:
        """Apply a CalendarYearPublished payload {year, holidays, adjusted_working_days, source}."""
        try:
            return self.with_year(
                payload["year"], payload["holidays"], payload["adjusted_working_days"], payload.get("source", "")
            )
        except KeyError as exc:
            raise ValidationFailed(f"CalendarYearPublished lacks {exc.args[0]!r}") from exc

    def year(self, year: int) -> CalendarYear | None:
        """The published data of ``year``, or None when it falls back."""
        return self._years.get(year)

    @property
    def covered_years(self) -> frozenset[int]:
        return frozenset(self._years)

    def covers(self, year: int) -> bool:
        """True if ``year`` has published data (no fallback)."""
        return year in self._years

    def is_provisional(self, d: date) -> bool:
        """True if ``d`` lies in a year computed by the Mon–Fri fallback."""
        return d.year not in self._years

    def is_working_day(self, d: date) -> bool:
        """调休 days work, holidays rest, else Mon–Fri."""
        published = self._years.get(d.year)
        if published is not None:
            if d in published.adjusted_working_days:
                return True
            if d in published.holidays:
                return False
        return d.weekday() < 5

    def next_working_day_on_or_after(self, d: date) -> DateResult:
        """``d`` itself if it is a working day, else the next one (rolling)."""
        fallback = self.is_provisional(d)
        while not self.is_working_day(d):
            d += ONE_DAY
            fallback = fallback or self.is_provisional(d)
        return DateResult(d, fallback)

    def add_calendar_days(self, start_date: date, n: int) -> DateResult:
        """start_date + n days, rolled to the next working day if needed."""
        return self.next_working_day_on_or_after(start_date + timedelta(days=n))

    def add_working_days(self, start_date: date, n: int) -> DateResult:
        """The n-th working day after ``start_date`` (start not counted); n < 0 counts backwards; n = 0 → start."""
        step = ONE_DAY if n >= 0 else -ONE_DAY
        remaining, d, fallback = abs(n), start_date, False
        while remaining:
            d += step
            fallback = fallback or self.is_provisional(d)
            if self.is_working_day(d):
                remaining -= 1
        return DateResult(d, fallback)

    def working_days_between(self, a: date, b: date) -> CountResult:
        """Working days in (a, b]; negative (−count of (b, a]) if b < a."""
        if b < a:
            result = self.working_days_between(b, a)
            return CountResult(-result.count, result.calendar_fallback)
        count, fallback, d = 0, False, a
        while d < b:
            d += ONE_DAY
            fallback = fallback or self.is_provisional(d)
            count += self.is_working_day(d)
        return CountResult(count, fallback)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WorkCalendar) and dict(self._years) == dict(other._years)

    def __hash__(self) -> int:
        return hash(frozenset(self._years.items()))

    def __repr__(self) -> str:
        years = sorted(self._years)
        span = f"{years[0]}–{years[-1]}" if years else "none"
        return f"WorkCalendar(years={span}, n={len(years)})"
