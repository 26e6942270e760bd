"""Obligations as aggregates carry them: ``deadline_refs`` computed at write time (§3, §6).

A guard computes the refs with the deadline engine (``domain.deadlines``) and the calendar in the
command; the event stores them, so replaying a stream never needs a calendar and always gives the
same due dates. Aggregates keep each obligation as a plain dict (see ``LedgerAggregate._apply_ref``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain import deadlines, errors
from domain.base import Cmd

# extensions granted by law with approval, without a request of the obligor (§4.3, §6.2 rows 5, 10, 24)
STATUTORY_EXTENSIONS = ("letter_visit_handling", "verification_period", "recon_decision")


def start(stream_id: UUID, ob_type: str, start_event_id: str, cmd: Cmd, *, subject: str,
          variant: str | None = None, period: Any = None, start_at: datetime | None = None) -> dict[str, Any]:
    """A ``start`` ref for obligation ``ob_type`` begun by event ``start_event_id``."""
    ob = deadlines.open_obligation(stream_id, ob_type, UUID(start_event_id), start_at or cmd.at, cmd.calendar,
                                   subject=subject, variant=variant, config=cmd.config, period=period)
    rule = deadlines.rule_by_id(ob.rule_id, ob.rule_version)
    return {"obligation_id": str(ob.obligation_id), "effect": "start", "type": ob_type, "subject": subject,
            "obligor": ob.obligor, "rule_id": ob.rule_id, "rule_version": ob.rule_version,
            "period": ob.period.to_dict(), "start_at": ob.start_at.isoformat(),
            "due_date": ob.due_date.isoformat() if ob.due_date else None, "due_at": ob.due_at.isoformat(),
            "calendar_fallback": ob.calendar_fallback, "pausable": rule.pausable}


def as_obligation(ob: dict[str, Any]) -> deadlines.Obligation:
    """The engine's value for an aggregate's obligation dict."""
    pauses = ((ob["paused_at"], None),) if ob["status"] == "paused" else ()
    return deadlines.Obligation.from_dict({
        "obligation_id": ob["obligation_id"], "type": ob["type"], "obligor": ob["obligor"],
        "subject": ob.get("subject", ""), "start_at": ob["start_at"], "rule_id": ob["rule_id"],
        "rule_version": ob["rule_version"], "period": ob["period"], "due_date": ob.get("due_date"),
        "original_due_date": ob.get("due_date"), "due_at": ob["due_at"], "pauses": pauses,
        "calendar_fallback": ob.get("calendar_fallback", False)})


def check_extension(ob: dict[str, Any], period: dict[str, Any], cmd: Cmd) -> None:
    """Rule 15: one extension at most (GP), of at most 30 calendar days, asked before ``due_at``."""
    rule = deadlines.rule_by_id(ob["rule_id"], ob["rule_version"])
    if ob.get("extensions", 0) >= rule.max_extensions:
        raise errors.ExtensionLimitExceeded(f"at most {rule.max_extensions} extension(s) of this deadline")
    if cmd.at >= datetime.fromisoformat(ob["due_at"]):
        raise errors.ExtensionAfterDue(f"the deadline passed at {ob['due_at']}")
    deadlines.extend(as_obligation(ob), period, cmd.at, cmd.calendar)  # raises on a too long period


def extend(ob: dict[str, Any], granted: dict[str, Any], cmd: Cmd) -> dict[str, Any]:
    new = deadlines.extend(as_obligation(ob), granted, cmd.at, cmd.calendar)
    return {"obligation_id": ob["obligation_id"], "effect": "extend", "due_at": new.due_at.isoformat(),
            "due_date": new.due_date.isoformat() if new.due_date else None}


def resume(ob: dict[str, Any], cmd: Cmd) -> dict[str, Any]:
    """A ``resume`` ref with the due date moved per §6.1 (calendar: +days paused; working: remainder)."""
    new = deadlines.resume(as_obligation(ob), cmd.at, cmd.calendar)
    return {"obligation_id": ob["obligation_id"], "effect": "resume", "due_at": new.due_at.isoformat(),
            "due_date": new.due_date.isoformat() if new.due_date else None}


def is_overdue(ob: dict[str, Any], at: datetime) -> bool:
    """Derived, never stored: an open obligation whose ``due_at`` has passed at business time ``at``."""
    return ob["status"] == "open" and at >= datetime.fromisoformat(ob["due_at"])
