"""Builders for domain-level tests: commands as aggregates receive them, without any store."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

from domain.base import Cmd
from domain.calendar import WorkCalendar
from domain.catalogue import load_all
from domain.envelope import Meta
from domain.values import Actor

CST = timezone(timedelta(hours=8))
STAFF = Actor(user_id="u-staff-1", role="supervision_staff", org_id="HQ")
STAFF2 = Actor(user_id="u-staff-2", role="supervision_staff", org_id="HQ")
SUPERVISOR = Actor(user_id="u-sup-1", role="supervisor", org_id="HQ")
SUPERVISOR2 = Actor(user_id="u-sup-2", role="supervisor", org_id="HQ")
CALENDAR = WorkCalendar.default()


def at(text: str) -> datetime:
    """'2024-02-04 10:00' in business time (+08:00)."""
    return datetime.fromisoformat(text).replace(tzinfo=CST)


def doc(name: str = "文书", number: str | None = None, doc_type: str = "document") -> dict[str, Any]:
    ref = {"doc_id": uuid4().hex[:16], "name": name, "doc_type": doc_type,
           "content_hash": hashlib.sha256(name.encode()).hexdigest(), "size_bytes": 1024,
           "mime": "application/pdf", "storage_ref": f"dms://{uuid4().hex[:8]}", "sensitivity": "S1"}
    if number:
        ref["doc_number"] = number
    return ref


def approval(by: Actor = SUPERVISOR, when: str = "2024-01-01T09:00:00+08:00") -> dict[str, Any]:
    return {"approver_user_id": by.user_id, "approver_role": by.role, "decided_at": when}


def cmd(event: str, data: dict[str, Any], when: str, *, actor: Actor = STAFF, approved: bool | Actor = False,
        approvals: list[dict[str, Any]] | None = None, recorded: str | None = None, version: int = 0,
        key: str | None = None, conflicted: set[str] | None = None, **meta: Any) -> Cmd:
    """A validated command: ``event`` names the event (its payload model validates ``data``)."""
    specs = [s for s in load_all().values() if s.event == event]
    payload = specs[0].payload.model_validate(data).model_dump(mode="json", exclude_none=True) if specs else data
    if approvals is None:
        approvals = [approval(approved if isinstance(approved, Actor) else SUPERVISOR)] if approved else []
    m = Meta(expected_version=version, idempotency_key=key or uuid4().hex, occurred_at=at(when),
             approvals=approvals, **meta)
    blocked = conflicted or set()
    return Cmd(event=event, data=payload, meta=m, actor=actor, recorded_at=at(recorded or when) + timedelta(minutes=5),
               calendar=CALENDAR, config={}, is_conflicted=lambda user, agencies, when_: user in blocked)
