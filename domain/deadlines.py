"""Deadline engine (domain.md §6): period counting, the §6.2 rule table and obligations.

Pure: answers derive only from the business times passed in and a ``WorkCalendar`` (never the clock)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID, uuid5

from pydantic import BeforeValidator, PlainSerializer

from domain.calendar import WorkCalendar
from domain.errors import ValidationFailed

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


# the obligation values and their life cycle (kept apart to keep files small)
from domain.obligation_engine import (  # noqa: E402
    Extension, Obligation, open_obligation, complete, cancel, extend, pause, resume, due_soon_from, status, working_days_left)
