"""Deadline engine: §6.1 counting, every §6.2 row, the §12.1 demo dates, pauses, extensions, status."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from uuid import UUID, uuid4, uuid5

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import deadlines as dl
from domain.calendar import WorkCalendar
from domain.deadlines import BUSINESS_TZ, PeriodSpec, Status
from domain.errors import (ExtensionAfterDue, ExtensionLimitExceeded, InvalidTransition, OccurredBeforePredecessor,
                           ValidationFailed)

CAL = WorkCalendar.default()
STREAM = UUID("00000000-0000-4000-8000-000000000001")


def at(text: str) -> datetime:
    """Business time: '2024-03-04T10:00' (or a date) at +08:00."""
    return datetime.fromisoformat(text if "T" in text else text + "T10:00").replace(tzinfo=BUSINESS_TZ)


def ob_for(kind: str, start: str, variant: str | None = None, **kw: object) -> dl.Obligation:
    return dl.open_obligation(STREAM, kind, uuid4(), at(start), kw.pop("calendar", CAL), variant=variant, **kw)


def due(kind: str, start: str, variant: str | None = None, **kw: object) -> date | None:
    return ob_for(kind, start, variant, **kw).due_date


CD, WD, H = "calendar_day", "working_day", "hour"
ROWS = [  # row, type, variant, length, unit, obligor, pausable, start, expected due_date
    (1, "registration", None, 1, WD, "bureau", False, "2024-03-04", "2024-03-05"),
    (2, "acknowledgment", None, 2, WD, "bureau", False, "2024-03-04", "2024-03-06"),
    (3, "screening", None, 10, WD, "bureau", True, "2024-03-04", "2024-03-18"),
    (4, "letter_visit_acceptance", None, 15, CD, "bureau", False, "2024-03-04", "2024-03-19"),
    (5, "letter_visit_handling", None, 60, CD, "bureau", True, "2024-03-04", "2024-05-06"),  # 05-03 holiday
    (6, "report_acceptance_notice", None, 15, WD, "bureau", False, "2024-03-04", "2024-03-25"),
    (7, "feedback_result", None, 15, WD, "bureau", False, "2024-03-04", "2024-03-25"),
    (8, "feedback_not_accepted", None, 15, WD, "bureau", False, "2024-03-04", "2024-03-25"),
    (9, "case_opening", None, 5, WD, "bureau", True, "2024-03-04", "2024-03-11"),
    (10, "verification_period", None, 60, CD, "bureau", True, "2024-03-04", "2024-05-06"),
    (11, "transfer_approval", "suspected_crime", 3, CD, "bureau", False, "2024-03-07", "2024-03-11"),  # Sun → Mon
    (12, "transfer_sending", "suspected_crime", 24, H, "bureau", False, "2024-03-04", None),
    (13, "transfer_decision_expected", None, 3, CD, "partner", False, "2024-03-07", "2024-03-11"),
    (14, "contest_filing", None, 3, CD, "bureau", False, "2024-02-08", "2024-02-18"),  # 02-11 Spring Festival
    (15, "transfer_approval", None, 5, WD, "bureau", False, "2024-03-04", "2024-03-11"),
    (15, "transfer_sending", None, 5, WD, "bureau", False, "2024-03-04", "2024-03-11"),
    (16, "transfer_ack_expected", None, 5, WD, "partner", False, "2024-03-04", "2024-03-11"),
    (17, "rectification_report", None, 30, CD, "agency", True, "2024-03-04", "2024-04-03"),
    (17, "rectification_report", "rectification_notice", 30, CD, "agency", True, "2024-05-27", "2024-06-26"),
    (17, "rectification_report", "supervision_opinion", 30, CD, "agency", True, "2024-04-15", "2024-05-15"),
    (17, "rectification_report", "supervision_decision", 30, CD, "agency", True, "2024-03-04", "2024-04-03"),
    (17, "rectification_report", "supervision_suggestion", 30, CD, "agency", True, "2024-06-17", "2024-07-17"),
    (17, "rectification_report", "review_suggestion", 30, CD, "agency", True, "2024-03-28", "2024-04-28"),  # Sat → Sun
    (17, "rectification_report", "inspection_feedback", 30, CD, "agency", True, "2024-06-17", "2024-07-17"),
    (17, "rectification_report", "work_tip_letter", 15, WD, "agency", True, "2024-04-23", "2024-05-15"),
    (17, "rectification_report", "reconsideration_opinion", 60, CD, "agency", True, "2024-03-04", "2024-05-06"),
    (17, "rectification_report", "reconsideration_suggestion", 60, CD, "agency", True, "2024-03-04", "2024-05-06"),
    (18, "re_rectification", None, 15, WD, "agency", True, "2024-03-04", "2024-03-25"),
    (19, "rectification_verification", None, 10, WD, "bureau", True, "2024-07-12", "2024-07-26"),
    (20, "reminder_response", None, 5, WD, "agency", True, "2024-03-06", "2024-03-13"),  # D1 催办
    (22, "recon_acceptance_review", None, 5, WD, "bureau", False, "2024-03-04", "2024-03-11"),
    (23, "recon_supplement", None, 10, WD, "applicant", False, "2024-03-04", "2024-03-18"),
    (24, "recon_decision", None, 60, CD, "bureau", True, "2023-12-15", "2024-02-18"),  # 02-13 holiday → 调休 Sun
    (24, "recon_decision", "simplified", 30, CD, "bureau", True, "2024-03-04", "2024-04-03"),
    (25, "objection_review", None, 30, CD, "bureau", False, "2024-03-04", "2024-04-03"),
    (26, "inbound_result_report", None, 15, WD, "bureau", False, "2024-03-04", "2024-03-25"),
    (27, "unseal_decision", None, 5, WD, "bureau", False, "2024-03-04", "2024-03-11"),
]


@pytest.mark.parametrize("row, kind, variant, length, unit, obligor, pausable, start, expected", ROWS)
def test_every_row_of_the_deadline_table(row: int, kind: str, variant: str | None, length: int, unit: str,
                                         obligor: str, pausable: bool, start: str, expected: str | None) -> None:
    rule = dl.rule_for(kind, variant=variant)
    assert (rule.row, rule.obligation_type, rule.variant) == (row, kind, variant)
    assert rule.period == PeriodSpec(length, unit)
    assert (rule.obligor, rule.pausable, rule.version) == (obligor, pausable, 1)
    assert rule.max_extensions == 1 and rule.max_extension == PeriodSpec(30, CD)
    assert rule.due_soon == (PeriodSpec(6, H) if unit == H else PeriodSpec(3, WD))
    ob = ob_for(kind, start, variant)
    assert ob.due_date == (date.fromisoformat(expected) if expected else None)
    assert ob.obligor == obligor and ob.rule_id == rule.rule_id and not ob.calendar_fallback


def test_row_21_interview_commitment_takes_the_minutes_date() -> None:
    rule = dl.rule_for("interview_commitment")
    assert rule.row == 21 and rule.period is None and rule.pausable and rule.obligor == "agency"
    ob = ob_for("interview_commitment", "2024-03-20", period={"fixed_due_date": "2024-04-30"})
    assert ob.due_date == date(2024, 4, 30) and ob.due_at == at("2024-05-01T00:00")
    with pytest.raises(ValidationFailed):
        ob_for("interview_commitment", "2024-03-20")
    fixed = dl.compute_due(at("2024-03-01"), {"fixed_due_date": "2024-03-09"}, CAL)  # a Saturday: not rolled
    assert fixed == dl.Due(date(2024, 3, 9), at("2024-03-10T00:00"), False)


def test_the_table_covers_all_27_rows_and_every_obligation_type() -> None:
    assert {r.row for r in dl.ALL_RULES} == set(range(1, 28))
    assert {r.row for r in dl.ALL_RULES if r.pausable} == {3, 5, 9, 10, 17, 18, 19, 20, 21, 24}
    assert len(dl.DEADLINE_RULES) == 27  # the 26 types of §6.2 + objection_reply (§4.5, GP)
    assert len({r.rule_id for r in dl.ALL_RULES}) == len(dl.ALL_RULES)
    assert {row[1] for row in ROWS} | {"interview_commitment", "objection_reply"} == set(dl.DEADLINE_RULES)


def test_transfer_kinds_other_than_suspected_crime_use_row_15() -> None:
    for kind in ("official_misconduct", "jurisdiction", "accountability"):
        assert dl.rule_for("transfer_approval", variant=kind).period == PeriodSpec(5, WD)
        assert dl.rule_for("transfer_sending", variant=kind).row == 15
    assert dl.rule_for("recon_decision", variant="ordinary").period == PeriodSpec(60, CD)


@pytest.mark.parametrize("kind, variant", [("no_such_type", None), ("registration", "x"), ("transfer_sending", "y")])
def test_unknown_types_and_variants_are_refused(kind: str, variant: str | None) -> None:
    with pytest.raises(ValidationFailed):
        dl.rule_for(kind, variant=variant)


def test_per_org_configuration_overrides_lengths() -> None:
    config = {"rectification_report.work_tip_letter": {"length": 20, "unit": "working_day"},
              "screening": {"length": 5, "unit": "working_day"}}
    rule = dl.rule_for("rectification_report", variant="work_tip_letter", config=config)
    assert rule.period == PeriodSpec(20, WD) and rule.configured and rule.rule_id.endswith("work_tip_letter")
    assert not dl.rule_for("rectification_report", variant="supervision_opinion", config=config).configured
    assert due("screening", "2024-03-04", config=config) == date(2024, 3, 11)
    hourly = dl.rule_for("registration", config={"registration": {"length": 8, "unit": "hour"}})
    assert hourly.due_soon == PeriodSpec(6, H)


def test_d1_notice_served_on_a_working_sunday() -> None:
    ob = ob_for("rectification_report", "2024-02-04", "rectification_notice")
    assert ob.due_date == date(2024, 3, 5)
    assert ob.due_at == datetime(2024, 3, 6, tzinfo=timezone(timedelta(hours=8)))
    assert ob.due_at.isoformat() == "2024-03-06T00:00:00+08:00"
    assert dl.status(ob, at("2024-03-05T23:59"), CAL) == Status.DUE_SOON
    assert dl.status(ob, at("2024-03-06T00:00"), CAL) == Status.OVERDUE
    reported = dl.complete(ob, at("2024-03-28"), uuid4())
    assert dl.status(reported, at("2024-03-28T12:00"), CAL) == Status.COMPLETED_LATE
    assert dl.status(reported, at("2024-03-20"), CAL) == Status.OVERDUE  # as of before the report


def test_d1_reminder_and_result_feedback() -> None:
    feedback = ob_for("feedback_result", "2024-04-22")
    assert feedback.due_date == date(2024, 5, 14)
    sent = dl.complete(feedback, at("2024-04-24"), uuid4())
    assert dl.status(sent, at("2024-07-18T23:59"), CAL) == Status.COMPLETED_ON_TIME


def test_review_suggestions_and_the_work_tip_letter() -> None:
    assert due("rectification_report", "2024-04-28", "review_suggestion") == date(2024, 5, 28)
    letter = ob_for("rectification_report", "2024-04-23", "work_tip_letter")
    assert letter.due_date == date(2024, 5, 15)
    assert dl.status(letter, at("2024-05-16T00:00"), CAL) == Status.OVERDUE
    late = dl.complete(letter, at("2024-05-20"), uuid4())
    assert dl.status(late, at("2024-05-20T12:00"), CAL) == Status.COMPLETED_LATE


def test_d4_dates() -> None:
    registration = ob_for("registration", "2024-03-04")
    assert registration.due_date == date(2024, 3, 5)
    late = dl.complete(registration, at("2024-03-06"), uuid4())
    assert dl.status(late, at("2024-03-06T12:00"), CAL) == Status.COMPLETED_LATE
    acceptance = ob_for("letter_visit_acceptance", "2024-03-04")
    assert acceptance.due_date == date(2024, 3, 19)
    assert dl.status(dl.complete(acceptance, at("2024-03-12"), uuid4()), at("2024-03-12T12:00"), CAL) == \
        Status.COMPLETED_ON_TIME


def test_d4_letter_visit_handling_extension_rolls_over_sunday_and_dragon_boat() -> None:
    handling = ob_for("letter_visit_handling", "2024-03-11")
    assert handling.due_date == date(2024, 5, 10)
    extended = dl.extend(handling, {"length": 30, "unit": "calendar_day"}, at("2024-05-08"), CAL)
    assert extended.due_date == date(2024, 6, 11)  # 06-09 Sunday, 06-10 端午
    assert extended.original_due_date == date(2024, 5, 10)
    assert extended.extensions[0].previous_due_at == at("2024-05-11T00:00")
    assert handling.due_date == date(2024, 5, 10)  # the input obligation is untouched


def test_d5_not_accepted_notice_dates() -> None:
    assert due("letter_visit_acceptance", "2024-03-18") == date(2024, 4, 2)  # §12.1 "due 04-02"
    assert due("feedback_not_accepted", "2024-03-20") == date(2024, 4, 11)  # 15 working days from screening


def test_start_day_is_taken_in_the_business_time_zone() -> None:
    late_evening_utc = datetime(2024, 3, 4, 20, 0, tzinfo=timezone.utc)  # 2024-03-05 04:00 +08:00
    assert dl.compute_due(late_evening_utc, PeriodSpec(1, WD), CAL).due_date == date(2024, 3, 6)
    with pytest.raises(ValidationFailed):
        dl.compute_due(datetime(2024, 3, 4, 10), PeriodSpec(1, WD), CAL)


def test_hour_rule_transfer_sending_24h_no_rolling() -> None:
    ob = ob_for("transfer_sending", "2024-03-08T10:00", "suspected_crime")  # Friday
    assert ob.due_date is None and ob.due_at == at("2024-03-09T10:00")  # Saturday, not rolled
    assert dl.status(ob, at("2024-03-09T03:59"), CAL) == Status.OPEN
    assert dl.status(ob, at("2024-03-09T04:00"), CAL) == Status.DUE_SOON
    assert dl.status(ob, at("2024-03-09T11:00"), CAL) == Status.OVERDUE  # 25 h
    assert dl.working_days_left(ob, at("2024-03-08T12:00"), CAL) == 0  # Saturday is not a working day


def test_fallback_years_are_provisional() -> None:
    ob = ob_for("screening", "2027-01-04")
    assert ob.due_date == date(2027, 1, 18) and ob.calendar_fallback
    assert ob_for("rectification_report", "2026-12-15").calendar_fallback  # 2027-01-14 is provisional
    assert not ob_for("rectification_report", "2026-11-02").calendar_fallback
    assert not dl.compute_due(at("2027-01-04"), PeriodSpec(24, H), CAL).calendar_fallback


def test_a_published_calendar_year_replaces_the_fallback() -> None:
    cal = CAL.with_published({"year": 2027, "holidays": ["2027-01-01", "2027-01-18"], "adjusted_working_days": [],
                              "source": "国务院办公厅通知"})
    ob = ob_for("screening", "2027-01-04", calendar=cal)
    assert ob.due_date == date(2027, 1, 19) and not ob.calendar_fallback


def test_period_spec_parsing() -> None:
    assert PeriodSpec.from_dict({"length": 30, "unit": "calendar_day"}) == PeriodSpec(30, CD)
    assert PeriodSpec.parse({"fixed_due_date": "2024-04-30"}).fixed_due_date == date(2024, 4, 30)
    for spec in (PeriodSpec(15, WD), PeriodSpec(fixed_due_date=date(2024, 1, 2))):
        assert PeriodSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec


@pytest.mark.parametrize("data", [{"length": 0, "unit": "hour"}, {"length": True, "unit": "hour"},
                                  {"length": 3, "unit": "week"}, {"length": 3}, {"fixed_due_date": "soon"},
                                  {"length": 3, "unit": "hour", "fixed_due_date": "2024-01-01"}, [3, "hour"]])
def test_period_spec_rejects_bad_input(data: object) -> None:
    with pytest.raises(ValidationFailed):
        PeriodSpec.from_dict(data)  # type: ignore[arg-type]


def test_obligation_id_is_uuid5_of_stream_type_and_start_event() -> None:
    event = uuid4()
    expected = uuid5(STREAM, f"screening:{event}")
    assert dl.obligation_id(STREAM, "screening", event) == expected
    assert dl.open_obligation(STREAM, "screening", event, at("2024-03-04"), CAL).obligation_id == expected


def test_obligation_json_round_trip() -> None:
    ob = ob_for("letter_visit_handling", "2024-03-11", subject="reporter")
    ob = dl.extend(ob, PeriodSpec(30, CD), at("2024-05-08"), CAL)
    ob = dl.resume(dl.pause(ob, at("2024-05-20")), at("2024-05-22"), CAL)
    ob = dl.complete(ob, at("2024-05-29"), uuid4())
    data = json.loads(json.dumps(ob.to_dict()))
    assert data["period"] == {"length": 60, "unit": "calendar_day"}
    assert data["due_at"] == "2024-06-14T00:00:00+08:00" and data["original_due_date"] == "2024-05-10"
    assert dl.Obligation.from_dict(data) == ob


def test_complete_and_cancel_close_the_obligation_once() -> None:
    ob = ob_for("screening", "2024-03-04")
    cancelled = dl.cancel(ob, at("2024-03-05"))
    assert dl.status(cancelled, at("2024-04-01"), CAL) == Status.CANCELLED
    assert dl.status(ob, at("2024-03-05T12:00"), CAL) == Status.OPEN
    with pytest.raises(InvalidTransition):
        dl.complete(cancelled, at("2024-03-06"), uuid4())
    with pytest.raises(InvalidTransition):
        dl.cancel(dl.complete(ob, at("2024-03-06"), uuid4()), at("2024-03-07"))
    with pytest.raises(OccurredBeforePredecessor):
        dl.complete(ob, at("2024-03-01"), uuid4())


def test_due_soon_starts_three_working_days_before_due_at() -> None:
    ob = ob_for("rectification_report", "2024-02-04", "rectification_notice")  # due Tue 03-05
    assert dl.due_soon_from(ob, CAL) == at("2024-03-01T00:00")  # Fri, Mon, Tue
    assert dl.status(ob, at("2024-02-29T23:59"), CAL) == Status.OPEN
    assert dl.status(ob, at("2024-03-01T00:00"), CAL) == Status.DUE_SOON
    assert dl.working_days_left(ob, at("2024-03-01"), CAL) == 2
    assert dl.working_days_left(ob, at("2024-03-05"), CAL) == 0
    assert dl.working_days_left(ob, at("2024-03-07"), CAL) == -2


def test_extension_after_or_at_due_is_refused() -> None:
    ob = ob_for("rectification_report", "2024-02-04", "rectification_notice")
    with pytest.raises(ExtensionAfterDue) as err:
        dl.extend(ob, PeriodSpec(10, CD), at("2024-03-06T00:00"), CAL)
    assert err.value.code == "EXTENSION_AFTER_DUE"
    assert dl.extend(ob, PeriodSpec(10, CD), at("2024-03-05T23:59"), CAL).due_date == date(2024, 3, 15)


def test_extension_limits() -> None:
    ob = ob_for("verification_period", "2024-03-04")  # due 05-06
    once = dl.extend(ob, PeriodSpec(30, CD), at("2024-04-01"), CAL)
    assert once.due_date == date(2024, 6, 5)
    with pytest.raises(ExtensionLimitExceeded) as err:
        dl.extend(once, PeriodSpec(1, CD), at("2024-04-02"), CAL)
    assert err.value.code == "EXTENSION_LIMIT_EXCEEDED"
    for too_long in (PeriodSpec(31, CD), PeriodSpec(25, WD)):
        with pytest.raises(ExtensionLimitExceeded):
            dl.extend(ob, too_long, at("2024-04-01"), CAL)
    assert dl.extend(ob, PeriodSpec(15, WD), at("2024-04-01"), CAL).due_date == date(2024, 5, 24)  # 5/11 works
    with pytest.raises(ValidationFailed):
        dl.extend(ob, PeriodSpec(12, H), at("2024-04-01"), CAL)


def test_hour_obligations_extend_in_hours() -> None:
    ob = ob_for("transfer_sending", "2024-03-08T10:00", "suspected_crime")
    assert dl.extend(ob, PeriodSpec(12, H), at("2024-03-08T12:00"), CAL).due_at == at("2024-03-09T22:00")
    with pytest.raises(ExtensionLimitExceeded):
        dl.extend(ob, PeriodSpec(721, H), at("2024-03-08T12:00"), CAL)


def test_calendar_rule_pause_adds_the_days_between_suspension_and_resumption() -> None:
    ob = ob_for("rectification_report", "2024-02-04", "rectification_notice")  # due 03-05
    paused = dl.pause(ob, at("2024-02-20"))
    assert dl.status(paused, at("2024-03-10"), CAL) == Status.PAUSED  # past due_at but paused
    resumed = dl.resume(paused, at("2024-02-25"), CAL)
    assert resumed.due_date == date(2024, 3, 11)  # 03-05 + 5 = Sunday 03-10 → Monday
    assert resumed.pauses == ((at("2024-02-20"), at("2024-02-25")),)
    assert resumed.original_due_date == date(2024, 3, 5)


def test_working_day_rule_restarts_the_remainder_after_resumption() -> None:
    ob = ob_for("screening", "2024-03-04")  # due 03-18
    paused = dl.pause(ob, at("2024-03-06"))  # 03-05 and 03-06 elapsed (suspension day counts) → 8 left
    assert dl.resume(paused, at("2024-03-13"), CAL).due_date == date(2024, 3, 25)
    assert dl.resume(ob, at("2024-03-06"), CAL) is ob  # not paused
    with pytest.raises(OccurredBeforePredecessor):
        dl.resume(paused, at("2024-03-05"), CAL)


def test_pause_and_resume_on_the_same_day_changes_nothing() -> None:
    for ob in (ob_for("screening", "2024-03-04"), ob_for("verification_period", "2024-03-04")):
        back = dl.resume(dl.pause(ob, at("2024-03-06T09:00")), at("2024-03-06T15:00"), CAL)
        assert (back.due_date, back.due_at) == (ob.due_date, ob.due_at)


def test_what_never_pauses() -> None:
    hour = ob_for("transfer_sending", "2024-03-04", "suspected_crime")
    partner = ob_for("transfer_ack_expected", "2024-03-04")
    not_pausable = ob_for("registration", "2024-03-04")
    for ob in (hour, partner, not_pausable):
        assert dl.pause(ob, at("2024-03-04T11:00")) is ob


def test_an_overdue_obligation_stays_overdue() -> None:
    ob = ob_for("screening", "2024-03-04")
    assert dl.pause(ob, at("2024-03-19")) is ob
    assert dl.status(dl.pause(ob, at("2024-03-19")), at("2024-03-20"), CAL) == Status.OVERDUE


def test_completion_during_a_pause_is_on_time() -> None:
    ob = dl.pause(ob_for("screening", "2024-03-04"), at("2024-03-15"))
    done = dl.complete(ob, at("2024-03-25"), uuid4())
    assert dl.status(done, at("2024-03-26"), CAL) == Status.COMPLETED_ON_TIME


def test_engine_reads_no_clock_and_imports_no_outer_layer() -> None:
    for name in ("deadlines.py", "calendar.py"):
        source = (Path(dl.__file__).parent / name).read_text(encoding="utf-8")
        assert ".now(" not in source and ".today(" not in source and "time.time" not in source
        assert not any(f"from {layer}" in source or f"import {layer}" in source
                       for layer in ("infra", "api", "projections"))


starts = st.datetimes(min_value=datetime(2003, 6, 1), max_value=datetime(2027, 6, 30),
                      timezones=st.just(BUSINESS_TZ))
periods = st.builds(PeriodSpec, st.integers(min_value=1, max_value=90), st.sampled_from([CD, WD, H]))


@given(starts, periods)
def test_due_at_is_after_start_and_day_rules_end_on_a_working_day(start: datetime, period: PeriodSpec) -> None:
    got = dl.compute_due(start, period, CAL)
    assert got.due_at > start
    if period.unit != H:
        assert CAL.is_working_day(got.due_date) and got.due_at == dl.day_end(got.due_date)
        assert got.due_date >= start.date() + timedelta(days=period.length)
    else:
        assert got.due_at - start == timedelta(hours=period.length)


@given(starts, periods)
def test_replay_is_deterministic(start: datetime, period: PeriodSpec) -> None:
    first = dl.compute_due(start, period, CAL)
    assert dl.compute_due(start.astimezone(timezone.utc), period.to_dict(), WorkCalendar.default()) == first


@given(starts, st.sampled_from(sorted({r.obligation_type for r in dl.ALL_RULES if r.period})))
def test_open_obligation_round_trips_through_json(start: datetime, kind: str) -> None:
    ob = dl.open_obligation(STREAM, kind, STREAM, start, CAL)
    assert dl.Obligation.from_dict(json.loads(json.dumps(ob.to_dict()))) == ob
    assert dl.open_obligation(STREAM, kind, STREAM, start, CAL) == ob


@given(starts.filter(lambda s: s.year < 2027), st.integers(0, 20), st.integers(0, 40),
       st.sampled_from(["screening", "verification_period"]))
def test_a_pause_never_shortens_the_deadline(start: datetime, after: int, length: int, kind: str) -> None:
    ob = dl.open_obligation(STREAM, kind, STREAM, start, CAL)
    paused_at = start + timedelta(days=after)
    paused = dl.pause(ob, paused_at)
    resumed = dl.resume(paused, paused_at + timedelta(days=length), CAL)
    assert resumed.due_at >= ob.due_at
    assert paused is ob or CAL.is_working_day(resumed.due_date)
