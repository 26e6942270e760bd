"""The envelope every mutation takes (domain.md §3 ``meta``) and what a recorded command returns."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import strawberry


@strawberry.input
class ApprovalInput:
    approver_user_id: str
    approver_role: str = "supervisor"
    decided_at: str
    comment: str | None = None


@strawberry.input
class BackdateInput:
    reason: str
    approved_by: str | None = None


@strawberry.input
class OnBehalfOfInput:
    org_id: str
    user_id: str | None = None
    basis: str


@strawberry.input
class LegalBasisInput:
    instrument: str
    article: str | None = None


@strawberry.input
class ExternalRefInput:
    system: str
    ref: str


@strawberry.input(description="A document reference: hashes and metadata, never the file")
class DocRefInput:
    doc_id: str
    name: str
    doc_type: str
    doc_number: str | None = None
    content_hash: str
    size_bytes: int
    mime: str
    storage_ref: str
    sensitivity: str = "S1"
    supersedes_doc_id: str | None = None


@strawberry.input(description="The command envelope; the actor is always the token's user")
class CommandMeta:
    stream_id: uuid.UUID | None = strawberry.field(default=None, description="omit to create a new stream")
    expected_version: int = strawberry.field(description="the stream's current version (0 for a new stream)")
    idempotency_key: str = strawberry.field(description="same key and payload → the original result")
    occurred_at: datetime = strawberry.field(description="business time, with offset (e.g. +08:00)")
    backdate: BackdateInput | None = None
    approvals: list[ApprovalInput] | None = None
    on_behalf_of: OnBehalfOfInput | None = None
    correlation_id: uuid.UUID | None = None
    causation_id: uuid.UUID | None = None
    legal_basis: list[LegalBasisInput] | None = None
    documents: list[DocRefInput] | None = None
    external_refs: list[ExternalRefInput] | None = None


def meta_dict(meta: CommandMeta) -> dict[str, Any]:
    """The envelope as the command layer takes it (snake_case, unset fields left out)."""
    return _plain(meta)


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "__strawberry_definition__"):
        return {k: _plain(v) for k, v in vars(value).items() if v is not None}
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


@strawberry.type
class RecordedEvent:
    event_id: strawberry.ID
    stream_id: strawberry.ID
    version: int
    event_type: str


@strawberry.type(description="A recorded command (repeated: an earlier identical command's result)")
class CommandPayload:
    event_id: strawberry.ID
    stream_id: strawberry.ID
    version: int
    event_type: str
    position: int | None
    repeated: bool
    events: list[RecordedEvent]

    @classmethod
    def of(cls, r: dict[str, Any]) -> CommandPayload:
        return cls(event_id=r["event_id"], stream_id=r["stream_id"], version=r["version"],
                   event_type=r["event_type"], position=r.get("position"), repeated=bool(r.get("repeated")),
                   events=[RecordedEvent(event_id=e["event_id"], stream_id=e["stream_id"], version=e["version"],
                                         event_type=e["event_type"]) for e in r.get("events", [])])

