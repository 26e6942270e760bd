"""WorkCalendar: PRC working days loaded from chinese_calendar, fallback years, published overrides."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.calendar import CalendarYear, WorkCalendar
from domain.errors import ValidationFailed

CAL = WorkCalendar.default()

HOLIDAYS_2024 = [date(2024, 1, 1), *(date(2024, 2, d) for d in range(10, 18)), *(date(2024, 4, d) for d in (4, 5, 6)),
                 *(date(2024, 5, d) for d in range(1, 6)), date(2024, 6, 10), *(date(2024, 9, d) for d in (15, 16, 17)),
                 *(date(2024, 10, d) for d in range(1, 8))]
ADJUSTED_2024 = [date(2024, 2, 4), date(2024, 2, 18), date(2024, 4, 7), date(2024, 4, 28), date(2024, 5, 11),
                 date(2024, 9, 14), date(2024, 9, 29), date(2024, 10, 12)]


def test_covered_years_come_from_the_package() -> None:
    years = {d.year for d in chinese_calendar.constants.holidays}
    assert CAL.covered_years == frozenset(range(min(years), max(years) + 1))
    assert CAL.covers(2004) and CAL.covers(2024) and CAL.covers(2026)
    assert not CAL.covers(2003) and not CAL.covers(2027)


def test_2024_matches_the_state_council_notice() -> None:
    published = CAL.year(2024)
    assert published is not None
    assert sorted(published.holidays) == HOLIDAYS_2024
    assert sorted(published.adjusted_working_days) == ADJUSTED_2024
    assert published.source.startswith("chinese-calendar")


@pytest.mark.parametrize("d", HOLIDAYS_2024)
def test_2024_holidays_are_not_working_days(d: date) -> None:
    assert not CAL.is_working_day(d)


@pytest.mark.parametrize("d", ADJUSTED_2024)
def test_2024_adjusted_days_are_working_days_even_at_weekends(d: date) -> None:
    assert CAL.is_working_day(d)


def test_every_covered_day_agrees_with_the_package() -> None:
    d = date(2004, 1, 1)
    while d <= date(2026, 12, 31):
        assert CAL.is_working_day(d) == chinese_calendar.is_workday(d), d
        d += timedelta(days=1)


def test_plain_weekdays_and_weekends() -> None:
    assert CAL.is_working_day(date(2024, 3, 5))  # Tuesday
    assert not CAL.is_working_day(date(2024, 3, 9))  # Saturday
    assert not CAL.is_working_day(date(2024, 4, 27))  # Saturday before the 4-28 调休


def test_next_working_day_rolls_over_holidays() -> None:
    assert CAL.next_working_day_on_or_after(date(2024, 2, 13)).date == date(2024, 2, 18)  # Spring Festival → 调休 Sunday
    assert CAL.next_working_day_on_or_after(date(2024, 4, 27)).date == date(2024, 4, 28)
    assert CAL.next_working_day_on_or_after(date(2024, 6, 9)).date == date(2024, 6, 11)  # Sunday, 端午 Monday
    same = CAL.next_working_day_on_or_after(date(2024, 3, 5))
    assert same.date == date(2024, 3, 5) and not same.calendar_fallback


def test_add_working_days_does_not_count_the_start_day() -> None:
    assert CAL.add_working_days(date(2024, 3, 6), 5).date == date(2024, 3, 13)
    assert CAL.add_working_days(date(2024, 4, 23), 15).date == date(2024, 5, 15)
    assert CAL.add_working_days(date(2024, 4, 22), 15).date == date(2024, 5, 14)
    assert CAL.add_working_days(date(2024, 3, 20), 15).date == date(2024, 4, 11)
    assert CAL.add_working_days(date(2024, 3, 4), 1).date == date(2024, 3, 5)
    assert CAL.add_working_days(date(2024, 3, 6), 0).date == date(2024, 3, 6)


def test_add_working_days_backwards() -> None:
    assert CAL.add_working_days(date(2024, 3, 13), -5).date == date(2024, 3, 6)
    assert CAL.add_working_days(date(2024, 2, 19), -1).date == date(2024, 2, 18)


def test_add_calendar_days_rolls() -> None:
    assert CAL.add_calendar_days(date(2024, 2, 4), 30).date == date(2024, 3, 5)
    assert CAL.add_calendar_days(date(2023, 12, 15), 60).date == date(2024, 2, 18)


def test_working_days_between() -> None:
    assert CAL.working_days_between(date(2024, 4, 30), date(2024, 5, 6)).count == 1  # 5/1–5 holiday
    assert CAL.working_days_between(date(2024, 5, 10), date(2024, 5, 13)).count == 2  # Saturday 5/11 works
    assert CAL.working_days_between(date(2024, 3, 6), date(2024, 3, 6)).count == 0
    assert CAL.working_days_between(date(2024, 3, 13), date(2024, 3, 6)).count == -5


def test_fallback_years_are_monday_to_friday_and_flagged() -> None:
    assert CAL.is_working_day(date(2027, 1, 1))  # a Friday: no published New Year holiday yet
    assert not CAL.is_working_day(date(2027, 1, 2))
    assert CAL.is_provisional(date(2027, 1, 1)) and not CAL.is_provisional(date(2026, 1, 1))
    result = CAL.add_working_days(date(2027, 3, 5), 3)  # Friday
    assert result.date == date(2027, 3, 10) and result.calendar_fallback
    assert CAL.next_working_day_on_or_after(date(2027, 3, 6)).calendar_fallback
    assert CAL.working_days_between(date(2027, 3, 5), date(2027, 3, 12)).calendar_fallback
    assert CAL.add_working_days(date(2003, 12, 30), 1).calendar_fallback


def test_crossing_into_a_fallback_year_is_flagged_but_staying_covered_is_not() -> None:
    assert CAL.add_working_days(date(2026, 12, 30), 5).calendar_fallback
    assert not CAL.add_working_days(date(2026, 11, 30), 5).calendar_fallback


def test_with_year_builds_a_new_calendar_from_published_data() -> None:
    cal = CAL.with_year(2027, ["2027-01-01", "2027-02-08"], ["2027-02-06"], source="国办发明电〔2026〕")
    assert cal is not CAL and not CAL.covers(2027)
    assert cal.covers(2027)
    assert not cal.is_working_day(date(2027, 1, 1)) and not cal.is_working_day(date(2027, 2, 8))
    assert cal.is_working_day(date(2027, 2, 6))  # Saturday 调休
    result = cal.add_working_days(date(2027, 2, 5), 2)
    assert result.date == date(2027, 2, 9) and not result.calendar_fallback


def test_with_year_overrides_a_package_year() -> None:
    cal = CAL.with_year(2024, [date(2024, 3, 5)], [])
    assert not cal.is_working_day(date(2024, 3, 5))
    assert cal.is_working_day(date(2024, 2, 12))  # the package's holidays were replaced
    assert CAL.is_working_day(date(2024, 3, 5))  # original untouched


def test_with_published_payload_round_trip() -> None:
    payload = CAL.year(2025).to_payload()  # type: ignore[union-attr]
    rebuilt = WorkCalendar.fallback_only().with_published(payload)
    assert rebuilt.year(2025) == CAL.year(2025)
    assert rebuilt.covered_years == frozenset({2025})


@pytest.mark.parametrize("holidays, adjusted", [(["2028-01-01"], []), (["2027-01-04"], ["2027-01-04"]), (["x"], [])])
def test_with_year_rejects_bad_data(holidays: list[str], adjusted: list[str]) -> None:
    with pytest.raises(ValidationFailed):
        CAL.with_year(2027, holidays, adjusted)


def test_with_published_rejects_missing_keys() -> None:
    with pytest.raises(ValidationFailed):
        CAL.with_published({"year": 2027, "holidays": []})


def test_calendar_year_is_a_value() -> None:
    assert CalendarYear(2030, frozenset(), frozenset()) == CalendarYear(2030, frozenset(), frozenset())
    assert WorkCalendar.default() == CAL and hash(WorkCalendar.default()) == hash(CAL)


days = st.dates(min_value=date(2002, 1, 1), max_value=date(2029, 12, 31))


@given(days, st.integers(min_value=0, max_value=40))
def test_working_days_between_inverts_add_working_days(start: date, n: int) -> None:
    end = CAL.add_working_days(start, n)
    assert CAL.working_days_between(start, end.date).count == n
    assert n == 0 or CAL.is_working_day(end.date)


@given(days, st.integers(min_value=1, max_value=40))
def test_backwards_then_forwards(start: date, n: int) -> None:
    anchor = CAL.next_working_day_on_or_after(start).date
    back = CAL.add_working_days(anchor, -n).date
    assert CAL.add_working_days(back, n).date == anchor


@given(days)
def test_next_working_day_is_working_and_minimal(d: date) -> None:
    found = CAL.next_working_day_on_or_after(d).date
    assert CAL.is_working_day(found) and found >= d
    assert all(not CAL.is_working_day(d + timedelta(days=i)) for i in range((found - d).days))


@given(days, st.integers(min_value=0, max_value=40))
def test_fallback_flag_iff_an_uncovered_year_is_touched(start: date, n: int) -> None:
    end = CAL.add_working_days(start, n)
    touched = {(start + timedelta(days=i)).year for i in range(1, (end.date - start).days + 1)}
    assert end.calendar_fallback == any(not CAL.covers(y) for y in touched)
