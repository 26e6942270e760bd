"""Deadline engine (domain.md §6): period counting, the §6.2 rule table and obligations.

Pure: answers derive only from the business times passed in and a ``WorkCalendar`` (never the clock)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID, uuid5

from pydantic import BeforeValidator, PlainSerializer, TypeAdapter

from domain.calendar import WorkCalendar
from domain.errors import (ExtensionAfterDue, ExtensionLimitExceeded, InvalidTransition, OccurredBeforePredecessor,
                           ValidationFailed)

BUSINESS_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

Unit = StrEnum("Unit", {"CALENDAR_DAY": "calendar_day", "WORKING_DAY": "working_day", "HOUR": "hour"})
Obligor = StrEnum("Obligor", {k.upper(): k for k in ("bureau", "agency", "partner", "reporter", "applicant")})
Status = StrEnum("Status", {k.upper(): k for k in ("open", "due_soon", "overdue", "completed_on_time", "completed_late",
                                                   "cancelled", "paused")})


def _aware(value: datetime, name: str = "time") -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValidationFailed(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(BUSINESS_TZ)


def day_end(due_date: date) -> datetime:
    """due_at = (due_date + 1 day) 00:00 +08:00, exclusive."""
    return datetime.combine(due_date + timedelta(days=1), time(0), BUSINESS_TZ)


@dataclass(frozen=True)
class PeriodSpec:
    """``{length > 0, unit}`` or ``{fixed_due_date}``."""

    length: int | None = None
    unit: Unit | None = None
    fixed_due_date: date | None = None

    def __post_init__(self) -> None:
        if self.fixed_due_date is not None:
            if self.length is not None or self.unit is not None or not isinstance(self.fixed_due_date, date):
                raise ValidationFailed("PeriodSpec: fixed_due_date excludes length/unit")
            return
        if type(self.length) is not int or self.length <= 0:
            raise ValidationFailed(f"PeriodSpec: length must be an int > 0, got {self.length!r}")
        if self.unit not in Unit.__members__.values():
            raise ValidationFailed(f"PeriodSpec: unknown unit {self.unit!r}")
        object.__setattr__(self, "unit", Unit(self.unit))

    @classmethod
    def from_dict(cls, data: PeriodSpec | Mapping[str, Any]) -> PeriodSpec:
        """Parse ``{"length", "unit"}`` or ``{"fixed_due_date": iso}``; a PeriodSpec passes through."""
        if isinstance(data, PeriodSpec):
            return data
        if not isinstance(data, Mapping) or set(data) not in ({"length", "unit"}, {"fixed_due_date"}):
            raise ValidationFailed(f"PeriodSpec: expected {{length, unit}} or {{fixed_due_date}}, got {data!r}")
        if "length" in data:
            return cls(length=data["length"], unit=data["unit"])
        try:
            return cls(fixed_due_date=date.fromisoformat(str(data["fixed_due_date"])))
        except ValueError as exc:
            raise ValidationFailed(f"PeriodSpec: not an ISO date: {data['fixed_due_date']!r}") from exc

    parse = from_dict

    def to_dict(self) -> dict[str, Any]:
        fixed = self.fixed_due_date
        return {"fixed_due_date": fixed.isoformat()} if fixed else {"length": self.length, "unit": str(self.unit)}


@dataclass(frozen=True)
class Due:
    """A computed deadline; ``due_date`` is None for hour periods."""

    due_date: date | None
    due_at: datetime
    calendar_fallback: bool


def _due_from_date(base: date, period: PeriodSpec, calendar: WorkCalendar) -> Due:
    """Count days from ``base`` (not counted); calendar days roll to the next working day."""
    add = calendar.add_calendar_days if period.unit is Unit.CALENDAR_DAY else calendar.add_working_days
    found = add(base, period.length)
    return Due(found.date, day_end(found.date), found.calendar_fallback)


def compute_due(start_at: datetime, period: PeriodSpec | Mapping[str, Any], calendar: WorkCalendar) -> Due:
    """The deadline of ``period`` started at ``start_at`` (§6.1 counting rules)."""
    start_at, period = _aware(start_at, "start_at"), PeriodSpec.from_dict(period)
    if period.fixed_due_date is not None:
        return Due(period.fixed_due_date, day_end(period.fixed_due_date), False)
    if period.unit is Unit.HOUR:
        return Due(None, start_at + timedelta(hours=period.length), False)
    return _due_from_date(start_at.date(), period, calendar)


def due_soon_threshold(period: PeriodSpec | None) -> PeriodSpec:
    """3 working days; 6 hours for hour rules (GP)."""
    return PeriodSpec(6, Unit.HOUR) if period and period.unit is Unit.HOUR else PeriodSpec(3, Unit.WORKING_DAY)


PAUSABLE_ROWS = frozenset({3, 5, 9, 10, 17, 18, 19, 20, 21, 24})  # §6.2 "Pausable: 3, 5, 9, 10, 17–21, 24"


@dataclass(frozen=True)
class DeadlineRule:
    """One row (or variant) of §6.2; ``period`` None = given when the obligation starts."""

    obligation_type: str
    row: int
    rule_id: str
    period: PeriodSpec | None
    obligor: Obligor
    source: str
    variant: str | None = None
    pausable: bool = False
    due_soon: PeriodSpec = PeriodSpec(3, Unit.WORKING_DAY)
    version: int = 1
    max_extensions: int = 1
    max_extension: PeriodSpec = PeriodSpec(30, Unit.CALENDAR_DAY)
    configured: bool = False


CD, WD, H = Unit.CALENDAR_DAY, Unit.WORKING_DAY, Unit.HOUR
_XF, _RECON, _PRACTICE = "移送规定", "行政复议法 2023", "provincial practice (GP)"
_NOTICE_PERIODS = {  # row 17: rectification_report per notice_type
    **dict.fromkeys(("rectification_notice", "supervision_opinion", "supervision_decision", "supervision_suggestion",
                     "review_suggestion", "inspection_feedback"), (30, CD, "agency", _PRACTICE)),
    "work_tip_letter": (15, WD, "agency", _PRACTICE),
    **dict.fromkeys(("reconsideration_opinion", "reconsideration_suggestion"), (60, CD, "agency", f"{_RECON} 第七十六条")),
}
_RULE_ROWS = (  # §6.2 row, obligation type, variant, length (None = given at start), unit, obligor, source
    (1, "registration", None, 1, WD, "bureau", "GP"),
    (2, "acknowledgment", None, 2, WD, "bureau", "GP"),
    (3, "screening", None, 10, WD, "bureau", "GP"),
    (4, "letter_visit_acceptance", None, 15, CD, "bureau", "信访工作条例 (GP)"),
    (5, "letter_visit_handling", None, 60, CD, "bureau", "信访工作条例 (GP)"),
    (6, "report_acceptance_notice", None, 15, WD, "bureau", "检举控告工作规则 analogy (GP)"),
    (7, "feedback_result", None, 15, WD, "bureau", "检举控告工作规则 analogy (GP)"),
    (8, "feedback_not_accepted", None, 15, WD, "bureau", "GP"),
    (9, "case_opening", None, 5, WD, "bureau", "GP"),
    (10, "verification_period", None, 60, CD, "bureau", "GP"),
    (11, "transfer_approval", "suspected_crime", 3, CD, "bureau", f"{_XF} 第五条"),
    (12, "transfer_sending", "suspected_crime", 24, H, "bureau", f"{_XF} 第五条"),
    (13, "transfer_decision_expected", None, 3, CD, "partner", f"{_XF} 第八条"),
    (14, "contest_filing", None, 3, CD, "bureau", f"{_XF} 第九条"),
    (15, "transfer_approval", None, 5, WD, "bureau", "GP"),
    (15, "transfer_sending", None, 5, WD, "bureau", "GP"),
    (16, "transfer_ack_expected", None, 5, WD, "partner", "检举控告工作规则 analogy (GP)"),
    (17, "rectification_report", None, 30, CD, "agency", _PRACTICE),
    *((17, "rectification_report", notice, *period) for notice, period in _NOTICE_PERIODS.items()),
    (18, "re_rectification", None, 15, WD, "agency", "GP"),
    (19, "rectification_verification", None, 10, WD, "bureau", "GP"),
    (20, "reminder_response", None, 5, WD, "agency", "GP"),
    (21, "interview_commitment", None, None, None, "agency", "minutes"),
    (22, "recon_acceptance_review", None, 5, WD, "bureau", f"{_RECON} 第三十条"),
    (23, "recon_supplement", None, 10, WD, "applicant", f"{_RECON} 第三十一条"),
    (24, "recon_decision", None, 60, CD, "bureau", f"{_RECON} 第六十二条"),
    (24, "recon_decision", "simplified", 30, CD, "bureau", f"{_RECON} 第六十二条"),
    (25, "objection_review", None, 30, CD, "bureau", "信访 复查 analogy (GP)"),
    (25, "objection_reply", None, 15, WD, "bureau", "§4.5 ObjectionResolved dismissed → objection_reply (GP)"),
    (26, "inbound_result_report", None, 15, WD, "bureau", "GP"),
    (27, "unseal_decision", None, 5, WD, "bureau", "GP"),
)


def _rule(row: int, kind: str, variant: str | None, length: int | None, unit: Unit | None, obligor: str,
          source: str) -> DeadlineRule:
    period = PeriodSpec(length, unit) if length else None
    rule_id = f"DL{row:02d}.{kind}" + (f".{variant}" if variant else "")
    return DeadlineRule(kind, row, rule_id, period, Obligor(obligor), source, variant, row in PAUSABLE_ROWS,
                        due_soon_threshold(period))


ALL_RULES: tuple[DeadlineRule, ...] = tuple(_rule(*row) for row in _RULE_ROWS)
DEADLINE_RULES: Mapping[str, DeadlineRule] = {r.obligation_type: r for r in ALL_RULES if r.variant is None}
RULE_VARIANTS: Mapping[tuple[str, str], DeadlineRule] = {(r.obligation_type, r.variant): r for r in ALL_RULES
                                                         if r.variant is not None}
_OTHER_KINDS = ("official_misconduct", "jurisdiction", "accountability")  # transfer kinds using the row-15 default
DEFAULT_VARIANT_ALIASES = {"transfer_approval": _OTHER_KINDS, "transfer_sending": _OTHER_KINDS,
                           "recon_decision": ("ordinary",)}
_RULES_BY_ID = {r.rule_id: r for r in ALL_RULES}


def rule_for(obligation_type: str, *, variant: str | None = None,
             config: Mapping[str, Any] | None = None) -> DeadlineRule:
    """The rule of a type/variant; ``config`` ("type.variant" or "type" → PeriodSpec) overrides the length."""
    if obligation_type not in DEADLINE_RULES:
        raise ValidationFailed(f"unknown obligation type {obligation_type!r}")
    rule = RULE_VARIANTS.get((obligation_type, variant), DEADLINE_RULES[obligation_type])
    if variant is not None and rule.variant is None and variant not in DEFAULT_VARIANT_ALIASES.get(obligation_type, ()):
        raise ValidationFailed(f"unknown variant {variant!r} of {obligation_type!r}")
    for key in ([f"{obligation_type}.{variant}"] if variant else []) + [obligation_type]:
        if config and key in config:
            spec = PeriodSpec.from_dict(config[key])
            return replace(rule, period=spec, due_soon=due_soon_threshold(spec), configured=True)
    return rule


def rule_by_id(rule_id: str, version: int = 1) -> DeadlineRule:
    """The shipped rule with this id and version."""
    if (rule := _RULES_BY_ID.get(rule_id)) is None or rule.version != version:
        raise ValidationFailed(f"unknown deadline rule {rule_id!r} v{version}")
    return rule


def obligation_id(stream_id: UUID, obligation_type: str, start_event_id: UUID) -> UUID:
    """uuid5(stream_id, type + ":" + start_event_id)."""
    return uuid5(UUID(str(stream_id)), f"{obligation_type}:{UUID(str(start_event_id))}")


PeriodField = Annotated[PeriodSpec, BeforeValidator(PeriodSpec.from_dict), PlainSerializer(PeriodSpec.to_dict)]


@dataclass(frozen=True)
class Extension:
    """One granted extension: what, when, and due_at before/after."""

    granted: PeriodField
    at: datetime
    previous_due_at: datetime
    new_due_at: datetime


@dataclass(frozen=True)
class Obligation:
    """A deadline owed by someone (§6.1); immutable — the functions below return new values."""

    obligation_id: UUID
    type: str
    obligor: str
    subject: str
    start_at: datetime
    rule_id: str
    rule_version: int
    period: PeriodField
    due_date: date | None
    original_due_date: date | None
    due_at: datetime
    extensions: tuple[Extension, ...] = ()
    pauses: tuple[tuple[datetime, datetime | None], ...] = ()
    completed_at: datetime | None = None
    completed_by_event_id: UUID | None = None
    cancelled: bool = False
    cancelled_at: datetime | None = None
    calendar_fallback: bool = False

    @property
    def is_open(self) -> bool:
        return self.completed_at is None and not self.cancelled

    @property
    def is_paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1][1] is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (ISO dates and datetimes, UUID strings)."""
        return _OBLIGATION_JSON.dump_python(self, mode="json")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Obligation:
        return _OBLIGATION_JSON.validate_python(dict(data))


_OBLIGATION_JSON = TypeAdapter(Obligation)


def open_obligation(stream_id: UUID, obligation_type: str, start_event_id: UUID, start_at: datetime,
                    calendar: WorkCalendar, *, subject: str = "", variant: str | None = None,
                    config: Mapping[str, Any] | None = None, period: Any = None) -> Obligation:
    """Start an obligation; ``period`` (per notice, commitment date, 12345 SLA …) overrides the rule's."""
    rule = rule_for(obligation_type, variant=variant, config=config)
    spec = PeriodSpec.from_dict(period) if period is not None else rule.period
    if spec is None:
        raise ValidationFailed(f"{obligation_type} needs an explicit period")
    due = compute_due(start_at, spec, calendar)
    return Obligation(obligation_id(stream_id, obligation_type, start_event_id), obligation_type, str(rule.obligor),
                      subject, _aware(start_at), rule.rule_id, rule.version, spec, due.due_date, due.due_date,
                      due.due_at, calendar_fallback=due.calendar_fallback)


def _require_open(ob: Obligation, at: datetime) -> datetime:
    if not ob.is_open:
        raise InvalidTransition(f"obligation {ob.obligation_id} is already closed")
    if (at := _aware(at, "at")) < ob.start_at:
        raise OccurredBeforePredecessor("time precedes the obligation's start", obligation_id=str(ob.obligation_id))
    return at


def complete(ob: Obligation, at: datetime, event_id: UUID) -> Obligation:
    """Completed by ``event_id`` at ``at`` (on time iff at < due_at)."""
    return replace(ob, completed_at=_require_open(ob, at), completed_by_event_id=UUID(str(event_id)))


def cancel(ob: Obligation, at: datetime) -> Obligation:
    """Cancelled (e.g. NoticeWithdrawn)."""
    return replace(ob, cancelled=True, cancelled_at=_require_open(ob, at))


def _shift(ob: Obligation, spec: PeriodSpec, calendar: WorkCalendar) -> Due:
    """The deadline after adding ``spec`` to the current one (hour obligations: plain time, no rolling)."""
    if spec.fixed_due_date is not None:
        return Due(spec.fixed_due_date, day_end(spec.fixed_due_date), False)
    if (spec.unit is Unit.WORKING_DAY) if ob.due_date is None else (spec.unit is Unit.HOUR):
        raise ValidationFailed(f"a {spec.unit} extension does not fit this obligation")
    if ob.due_date is None:
        return Due(None, ob.due_at + timedelta(hours=spec.length * (24 if spec.unit is CD else 1)), False)
    return _due_from_date(ob.due_date, spec, calendar)


def _unrolled(ob: Obligation, spec: PeriodSpec, calendar: WorkCalendar) -> datetime:
    """Where ``spec`` ends before rolling to a working day: the length limit compares granted lengths."""
    if spec.fixed_due_date is not None:
        return day_end(spec.fixed_due_date)
    if spec.unit is Unit.HOUR or ob.due_date is None:
        return ob.due_at + timedelta(hours=spec.length * (24 if spec.unit is Unit.CALENDAR_DAY else 1))
    if spec.unit is Unit.CALENDAR_DAY:
        return day_end(ob.due_date + timedelta(days=spec.length))
    return day_end(calendar.add_working_days(ob.due_date, spec.length).date)


def extend(ob: Obligation, granted: PeriodSpec | Mapping[str, Any], at: datetime, calendar: WorkCalendar) -> Obligation:
    """DeadlineExtensionGranted: previous due_date + granted, rolled (rule 15 limits)."""
    at, granted = _require_open(ob, at), PeriodSpec.from_dict(granted)
    if at >= ob.due_at:
        raise ExtensionAfterDue(f"extension at {at.isoformat()} ≥ due_at {ob.due_at.isoformat()}")
    rule, new = rule_by_id(ob.rule_id, ob.rule_version), _shift(ob, granted, calendar)
    too_long = _unrolled(ob, granted, calendar) > _unrolled(ob, rule.max_extension, calendar)
    if len(ob.extensions) >= rule.max_extensions or too_long:
        raise ExtensionLimitExceeded(f"at most {rule.max_extensions} extension(s) of ≤ {rule.max_extension.to_dict()}",
                                     count=len(ob.extensions), granted=granted.to_dict())
    if new.due_at <= ob.due_at:
        raise ValidationFailed("an extension must move the deadline later")
    return replace(ob, due_date=new.due_date, due_at=new.due_at,
                   extensions=(*ob.extensions, Extension(granted, at, ob.due_at, new.due_at)),
                   calendar_fallback=ob.calendar_fallback or new.calendar_fallback)


def pause(ob: Obligation, at: datetime) -> Obligation:
    """Suspension; unchanged if the rule is not pausable, hour-based, partner-owed, closed, paused or overdue."""
    at, rule = _aware(at, "at"), rule_by_id(ob.rule_id, ob.rule_version)
    fits = rule.pausable and ob.period.unit is not Unit.HOUR and ob.obligor != Obligor.PARTNER
    if not fits or not ob.is_open or ob.is_paused or at >= ob.due_at:
        return ob
    return replace(ob, pauses=(*ob.pauses, (at, None)))


def _due_after_pause(ob: Obligation, paused_on: date, resumed_on: date, calendar: WorkCalendar) -> tuple[date, bool]:
    if ob.period.unit is Unit.WORKING_DAY:  # remaining = N − elapsed (suspension day counts), restarted after resume
        left = calendar.working_days_between(paused_on, ob.due_date)
        found = (calendar.add_working_days(resumed_on, left.count) if left.count > 0
                 else calendar.next_working_day_on_or_after(resumed_on))
        return found.date, left.calendar_fallback or found.calendar_fallback
    if resumed_on == paused_on:
        return ob.due_date, False
    found = calendar.next_working_day_on_or_after(ob.due_date + (resumed_on - paused_on))
    return found.date, found.calendar_fallback


def resume(ob: Obligation, at: datetime, calendar: WorkCalendar) -> Obligation:
    """Resumption: calendar rules shift by the days paused; working-day rules restart the remainder."""
    if not ob.is_paused:
        return ob
    paused_at, at = ob.pauses[-1][0], _aware(at, "at")
    if at < paused_at:
        raise OccurredBeforePredecessor("resumed before it was paused", obligation_id=str(ob.obligation_id))
    new_date, fallback = _due_after_pause(ob, _aware(paused_at).date(), at.date(), calendar)
    return replace(ob, due_date=new_date, due_at=day_end(new_date), pauses=(*ob.pauses[:-1], (paused_at, at)),
                   calendar_fallback=ob.calendar_fallback or fallback)


def due_soon_from(ob: Obligation, calendar: WorkCalendar) -> datetime:
    """due_at − threshold: 00:00 of the 3rd working day back from due_at, or due_at − 6 h for hour rules."""
    threshold = due_soon_threshold(ob.period)
    if threshold.unit is Unit.HOUR:
        return ob.due_at - timedelta(hours=threshold.length)
    first = calendar.add_working_days(ob.due_date + timedelta(days=1), -threshold.length).date
    return datetime.combine(first, time(0), BUSINESS_TZ)


def _paused_during(ob: Obligation, at: datetime) -> bool:
    return any(p <= at and (r is None or r > at) for p, r in ob.pauses)


def status(ob: Obligation, as_of: datetime, calendar: WorkCalendar) -> Status:
    """The derived status at business time ``as_of``; completion during a pause counts as on time."""
    as_of = _aware(as_of, "as_of")
    if ob.cancelled and (ob.cancelled_at is None or ob.cancelled_at <= as_of):
        return Status.CANCELLED
    if ob.completed_at is not None and ob.completed_at <= as_of:
        on_time = ob.completed_at < ob.due_at or _paused_during(ob, ob.completed_at)
        return Status.COMPLETED_ON_TIME if on_time else Status.COMPLETED_LATE
    if _paused_during(ob, as_of):
        return Status.PAUSED
    if as_of >= ob.due_at:
        return Status.OVERDUE
    return Status.DUE_SOON if as_of >= due_soon_from(ob, calendar) else Status.OPEN


def working_days_left(ob: Obligation, as_of: datetime, calendar: WorkCalendar) -> int:
    """Working days after as_of's date up to the due date: 0 = due today, negative = overdue."""
    last = ob.due_date if ob.due_date is not None else (ob.due_at - timedelta(microseconds=1)).date()
    return calendar.working_days_between(_aware(as_of, "as_of").date(), last).count
