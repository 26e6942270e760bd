"""Notices (整改通知书, 意见书, 建议书, 提示函 …) from ``notice_register`` or from a stream's replayed state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from api.types.common import DocRef, PageInfo, from_us, iso



@strawberry.type(description="The current deadline of a notice's rectification report.")
class NoticeDue:
    obligation_id: str
    type: str
    due_at: datetime | None
    due_date: str | None
    original_due_at: datetime | None
    status: str
    extensions: int
    overdue: bool


@strawberry.type
class Notice:
    id: strawberry.ID
    stream_id: strawberry.ID
    parent_type: str | None
    notice_type: str
    doc_number: str | None = strawberry.field(description="文号")
    recipient_org_id: str
    issuer: str = strawberry.field(description="The issuing bureau (never staff ids)")
    status: str
    issued_at: datetime | None
    served_at: datetime | None
    reported_at: datetime | None
    verified_at: datetime | None
    result: str | None
    escalation_level: int
    listed: bool
    requirements: str | None
    document: DocRef | None
    _due: strawberry.Private[dict[str, Any] | None]
    _at_us: strawberry.Private[int]
    _lazy: strawberry.Private[bool]

    @strawberry.field(description="Current deadline (after extensions) and whether it is overdue")
    async def due(self, info: strawberry.Info) -> NoticeDue | None:
        due = self._due
        if self._lazy:
            due = await info.context.loaders.notice_due.load(str(self.id))
        if not due:
            return None
        overdue = due["status"] == "open" and due["due_us"] is not None and due["due_us"] <= self._at_us
        return NoticeDue(obligation_id=due["obligation_id"], type=due["type"], due_at=from_us(due["due_us"]),
                         due_date=due.get("due_date"), original_due_at=from_us(due.get("original_due_us")),
                         status=due["status"], extensions=int(due.get("extensions") or 0), overdue=overdue)

    @strawberry.field(description="The parent stream's version (the expectedVersion of its next command)")
    async def stream_version(self, info: strawberry.Info) -> int | None:
        return await info.context.loaders.stream_version.load(str(self.stream_id))

    @classmethod
    def from_row(cls, row: dict[str, Any], bureau: str, at_us: int) -> Notice:
        return cls(id=row["notice_id"], stream_id=row["stream_id"], parent_type=row.get("stream_type"),
                   notice_type=row["notice_type"], doc_number=row.get("doc_number"),
                   recipient_org_id=row["recipient_org_id"], issuer=bureau, status=row["status"],
                   issued_at=from_us(row.get("issued_us")), served_at=from_us(row.get("served_us")),
                   reported_at=from_us(row.get("reported_us")), verified_at=from_us(row.get("verified_us")),
                   result=row.get("result"), escalation_level=int(row.get("escalation_level") or 0),
                   listed=bool(row.get("listed")), requirements=None, document=None, _due=None, _at_us=at_us,
                   _lazy=True)

    @classmethod
    def from_state(cls, n: dict[str, Any], stream_id: str, parent_type: str, bureau: str,
                   due: dict[str, Any] | None, at_us: int, internal: bool) -> Notice:
        doc = n.get("document")
        if isinstance(doc, dict) and not internal:
            doc = {k: v for k, v in doc.items() if k != "storage_ref"}
        return cls(id=n["notice_id"], stream_id=stream_id, parent_type=parent_type, notice_type=n["notice_type"],
                   doc_number=n.get("doc_number"), recipient_org_id=n["recipient_org_id"], issuer=bureau,
                   status=n["status"], issued_at=iso(n.get("issued_at")), served_at=iso(n.get("served_at")),
                   reported_at=iso(n.get("reported_at")), verified_at=iso(n.get("verified_at")),
                   result=n.get("last_result"), escalation_level=int(n.get("escalation_level") or 0),
                   listed=bool(n.get("listed")), requirements=n.get("requirements"),
                   document=DocRef.of(doc) if isinstance(doc, dict) else None, _due=due, _at_us=at_us, _lazy=False)


@strawberry.type
class NoticeEdge:
    cursor: str
    node: Notice


@strawberry.type
class NoticeConnection:
    edges: list[NoticeEdge]
    page_info: PageInfo

    @strawberry.field
    def nodes(self) -> list[Notice]:
        return [e.node for e in self.edges]


@strawberry.input
class NoticeFilter:
    status: list[str] | None = None
    notice_type: list[str] | None = None
    recipient: str | None = strawberry.field(default=None, description="recipient agency id")
    stream_id: strawberry.ID | None = None
    issued_from: str | None = strawberry.field(default=None, description="ISO date or datetime (inclusive)")
    issued_to: str | None = strawberry.field(default=None, description="ISO date (inclusive) or datetime")
    overdue: bool | None = None
