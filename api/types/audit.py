"""Audit-trail entries (domain.md §7 ``audit_timeline``) and the raw log's events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from api.types.common import Actor, Approval, DocRef, LegalBasis, from_us
from domain.labels import event_label


def documents_in(meta: dict[str, Any], data: dict[str, Any], in_data: bool = True) -> list[dict[str, Any]]:
    """Every DocRef of an event: ``meta.documents`` and DocRef-shaped values of the payload (not looked
    for when ``in_data`` is false: the caller knows the payload holds none)."""
    found: list[dict[str, Any]] = list(meta.get("documents", []))
    if not in_data:
        return list({d["doc_id"]: d for d in found}.values()) if found else found

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "content_hash" in value and "doc_id" in value:
                found.append(value)
                return
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(data)
    return list({d["doc_id"]: d for d in found}.values())


def approvals_of(meta: dict[str, Any]) -> list[Approval]:
    return [Approval(approver_user_id=a.get("approver_user_id"), approver_role=a.get("approver_role", ""),
                     decided_at=a.get("decided_at", ""), comment=a.get("comment")) for a in meta.get("approvals", [])]


@strawberry.type(description="One event of a stream as recorded, with corrections and voids linked inline")
class AuditEntry:
    position: int
    event_id: strawberry.ID
    stream_id: strawberry.ID
    version: int
    event_type: str
    occurred_at: datetime | None = strawberry.field(description="business time")
    recorded_at: datetime | None = strawberry.field(description="when the ledger recorded it")
    actor: Actor | None
    on_behalf_of: JSON | None
    approvals: list[Approval]
    backdate_reason: str | None
    legal_basis: list[LegalBasis]
    documents: list[DocRef]
    sensitivity: str | None
    data: JSON = strawberry.field(description="the payload as recorded (redacted for the viewer)")
    corrected_data: JSON = strawberry.field(description="the payload with the corrections known at knownAt")
    voided: bool
    event_hash: str | None
    target_event_id: strawberry.ID | None = strawberry.field(description="for EventCorrected / EventVoided")
    reason: str | None = strawberry.field(description="reason of a correction or void")
    event_label: str
    corrected_by: list[AuditEntry] = strawberry.field(
        description="EventCorrected / EventVoided entries that correct this event")
    target: AuditEntry | None = strawberry.field(description="The event a correction or void applies to")
    _corrections: strawberry.Private[list[str]]

    @classmethod
    def of(cls, e: dict[str, Any], redactor: Any) -> AuditEntry:
        """One entry; ``corrected_by`` and ``target`` are linked by ``build_trail`` once all exist."""
        meta, data = e["meta"], e["data"]
        full = redactor.full
        docs = documents_in(meta, data, e.get("docs_in_data", True))
        return cls(position=int(e["position"]), event_id=e["event_id"], stream_id=e["stream_id"],
                   version=int(e["version"]), event_type=e["event_type"], occurred_at=from_us(e["occurred_us"]),
                   recorded_at=from_us(e["recorded_us"]), actor=Actor.of(meta.get("actor")),
                   on_behalf_of=meta.get("on_behalf_of"), approvals=approvals_of(meta),
                   backdate_reason=(meta.get("backdate") or {}).get("reason") if full else None,
                   legal_basis=[LegalBasis(instrument=b["instrument"], article=b.get("article"))
                                for b in meta.get("legal_basis", [])],
                   documents=[DocRef.of(d) for d in docs], sensitivity=meta.get("sensitivity"), data=data,
                   corrected_data=e["corrected_data"], voided=bool(e["voided"]), event_hash=e.get("event_hash"),
                   target_event_id=e.get("target_event_id"), reason=data.get("reason") if e.get("target_event_id")
                   else None, event_label=event_label(e["event_type"]), corrected_by=[], target=None,
                   _corrections=list(e["corrections"]))


def build_trail(entries: list[dict[str, Any]], redactor: Any) -> list[AuditEntry]:
    """The listed entries, each linked to the entries correcting it and to the one it corrects (values,
    not resolvers: a trail is built whole, and a plain field costs less to execute)."""
    trail: dict[str, AuditEntry] = {}
    listed = []
    for e in entries:
        entry = AuditEntry.of(e, redactor)
        trail[e["event_id"]] = entry
        if e["listed"]:
            listed.append(entry)
    for entry in trail.values():
        entry.corrected_by = [trail[c] for c in entry._corrections if c in trail]
        entry.target = trail.get(str(entry.target_event_id)) if entry.target_event_id else None
    return listed


@strawberry.type(description="An event of the ordered log (auditors) or of a subscription")
class LogEvent:
    position: int | None
    event_id: strawberry.ID
    stream_id: strawberry.ID
    stream_type: str
    version: int
    event_type: str
    occurred_at: datetime
    recorded_at: datetime
    actor: Actor | None
    sensitivity: str | None
    data: JSON
    meta: JSON

    @strawberry.field
    def event_label(self) -> str:
        return event_label(self.event_type)

    @classmethod
    def of(cls, ev: Any, redactor: Any, **how: Any) -> LogEvent | None:
        """From a ``projections.events.LoggedEvent``; None if the viewer sees nothing of it."""
        shown = redactor.event(ev.event_type, ev.data, ev.meta, **how)
        if shown is None:
            return None
        data, meta = shown
        return cls(position=ev.position, event_id=ev.event_id, stream_id=ev.stream_id, stream_type=ev.stream_type,
                   version=ev.version, event_type=ev.event_type, occurred_at=ev.occurred_at,
                   recorded_at=ev.recorded_at, actor=Actor.of(meta.get("actor")), sensitivity=ev.meta.get("sensitivity"),
                   data=data, meta=meta)
