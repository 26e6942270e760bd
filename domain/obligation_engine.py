"""Obligations (domain.md §6.1): open, complete, cancel, extend, pause, resume, and their derived status.

Immutable values: every function returns a new ``Obligation``. Counting rules live in ``domain.deadlines``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter

from domain.calendar import WorkCalendar
from domain.deadlines import (BUSINESS_TZ, CD, Due, Obligor, PeriodField, PeriodSpec, Status, Unit, _aware, _due_from_date,
                              compute_due, day_end, due_soon_threshold, obligation_id, rule_by_id, rule_for)
from domain.errors import ExtensionAfterDue, ExtensionLimitExceeded, InvalidTransition, OccurredBeforePredecessor, ValidationFailed

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
