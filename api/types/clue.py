"""A clue (问题线索): list fields from ``clue_list``, details from the replayed stream (DataLoader)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from api.reads import state
from api.types.common import PageInfo, from_us, iso
from api.types.notice import Notice
from domain.labels import STATUS_LABELS


@strawberry.type(description="What may be said about the reporter (never identity or tokens)")
class ReporterInfo:
    kind: str
    contactable: bool
    real_name_report: bool


@strawberry.type
class Finding:
    finding_id: str | None
    conclusion: str
    problem_categories: list[str]
    responsible_agency_ids: list[str]
    summary: str | None


@strawberry.type
class Transfer:
    id: strawberry.ID
    target_type: str
    target_org_id: str
    transfer_kind: str
    status: str
    decision: str | None
    outcome: str | None


@strawberry.type
class Interview:
    id: strawberry.ID
    interview_type: str
    interviewee_org_id: str
    status: str
    scheduled_at: str | None


@strawberry.type
class Obligation:
    id: strawberry.ID
    stream_id: strawberry.ID
    type: str
    subject: str | None
    obligor: str | None
    status: str
    start_at: datetime | None
    due_at: datetime | None
    due_date: str | None
    original_due_at: datetime | None
    extensions: int
    overdue: bool

    @classmethod
    def of(cls, ob: dict[str, Any], stream_id: str, at_us: int) -> Obligation:
        return cls(id=ob["obligation_id"], stream_id=stream_id, type=ob["type"], subject=ob.get("subject"),
                   obligor=ob.get("obligor"), status=ob["status"], start_at=from_us(ob.get("start_us")),
                   due_at=from_us(ob.get("due_us")), due_date=ob.get("due_date"),
                   original_due_at=from_us(ob.get("original_due_us")), extensions=int(ob.get("extensions") or 0),
                   overdue=ob["status"] == "open" and ob.get("due_us") is not None and ob["due_us"] <= at_us)


@strawberry.type
class Clue:
    id: strawberry.ID
    clue_no: str | None
    case_no: str | None
    channel: str
    agencies: list[str]
    status: str
    received_at: datetime | None
    closure_type: str | None
    version: int = strawberry.field(description="The stream version (expectedVersion of the next command)")
    as_of_version: int | None = strawberry.field(description="Set by clueAsOf: the version replayed")
    _summary: strawberry.Private[str | None]
    _lead: strawberry.Private[str | None]
    _agg: strawberry.Private[Any]
    _access: strawberry.Private[str]
    _org: strawberry.Private[str]
    _at_us: strawberry.Private[int]
    _bureau: strawberry.Private[str]

    @strawberry.field
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @strawberry.field(description="Partners see the partner summary of their share, never the internal one")
    async def summary(self, info: strawberry.Info) -> str | None:
        if self._access == "full":
            return self._summary
        return state.partner_summary(await self._state(info), self._org)

    @strawberry.field(description="Lead staff member (omitted for partners)")
    def lead(self) -> str | None:
        return self._lead if self._access == "full" else None

    async def _state(self, info: strawberry.Info) -> Any:
        if self._agg is None:
            self._agg = (await info.context.loaders.clue.load(str(self.id))).aggregate
        return self._agg

    @strawberry.field(description="An open deadline of this clue is past due (at asOf for clueAsOf)")
    async def overdue(self, info: strawberry.Info) -> bool:
        if self._agg is None:  # a listed clue: from the deadlines read model, one query per page
            return await info.context.loaders.overdue(self._at_us).load(str(self.id))
        return any(o["overdue"] for o in self._obligations(self._agg))

    def _obligations(self, agg: Any) -> list[dict[str, Any]]:
        views = [state.obligation_view(ob) for ob in agg.obligations.values()]
        return [{**v, "overdue": v["status"] == "open" and v["due_us"] is not None and v["due_us"] <= self._at_us}
                for v in views]

    @strawberry.field(description="Reporter kind and contactability (staff, supervisors, auditors only)")
    async def reporter(self, info: strawberry.Info) -> ReporterInfo | None:
        if self._access != "full":
            return None
        r = (await self._state(info)).reporter
        return ReporterInfo(kind=r["kind"], contactable=bool(r.get("contactable")),
                            real_name_report=bool(r.get("real_name_report")))

    @strawberry.field
    async def finding(self, info: strawberry.Info) -> Finding | None:
        f = (await self._state(info)).finding
        if not f:
            return None
        return Finding(finding_id=f.get("finding_id"), conclusion=f["conclusion"],
                       problem_categories=list(f.get("problem_categories", [])),
                       responsible_agency_ids=list(f.get("responsible_agency_ids", [])), summary=f.get("summary"))

    @strawberry.field
    async def notices(self, info: strawberry.Info) -> list[Notice]:
        agg = await self._state(info)
        return [Notice.from_state(n, str(self.id), "Clue", self._bureau, state.notice_due(agg, nid), self._at_us,
                                  internal=self._access == "full") for nid, n in agg.notices.items()]

    @strawberry.field(description="Transfers (partners: only transfers to them)")
    async def transfers(self, info: strawberry.Info) -> list[Transfer]:
        agg = await self._state(info)
        return [Transfer(id=tid, target_type=t["target_type"], target_org_id=t["target_org_id"],
                         transfer_kind=t["transfer_kind"], status=t["status"], decision=t.get("decision"),
                         outcome=t.get("outcome")) for tid, t in agg.transfers.items()
                if self._access == "full" or t["target_org_id"] == self._org]

    @strawberry.field
    async def interviews(self, info: strawberry.Info) -> list[Interview]:
        agg = await self._state(info)
        return [Interview(id=iid, interview_type=i["interview_type"], interviewee_org_id=i["interviewee_org_id"],
                          status=i["status"], scheduled_at=i.get("scheduled_at")) for iid, i in agg.interviews.items()]

    @strawberry.field(description="Deadlines (obligations) of this clue")
    async def obligations(self, info: strawberry.Info) -> list[Obligation]:
        if self._access != "full":
            return []
        agg = await self._state(info)
        return [Obligation.of(o, str(self.id), self._at_us) for o in self._obligations(agg)]

    @strawberry.field(description="Partner organs the clue is shared with (staff, supervisors, auditors)")
    async def shared_with(self, info: strawberry.Info) -> list[str]:
        if self._access != "full":
            return []
        return [org for org, on in (await self._state(info)).shares.items() if on]

    @strawberry.field
    async def merged_into(self, info: strawberry.Info) -> strawberry.ID | None:
        merged = (await self._state(info)).merged_into
        return strawberry.ID(str(merged)) if merged else None

    @classmethod
    def from_row(cls, row: dict[str, Any], access: str, org: str, bureau: str, at_us: int) -> Clue:
        return cls(id=row["stream_id"], clue_no=row.get("clue_no"), case_no=row.get("case_no"), channel=row["channel"],
                   _summary=row.get("summary") if access == "full" else None, agencies=list(row.get("agencies", [])),
                   status=row["status"], received_at=from_us(row.get("received_us")),
                   closure_type=row.get("closure_type"), version=int(row["version"]), as_of_version=None,
                   _lead=row.get("lead"), _agg=None, _access=access, _org=org, _at_us=at_us, _bureau=bureau)

    @classmethod
    def from_state(cls, agg: Any, access: str, org: str, bureau: str, at_us: int,
                   as_of_version: int | None = None) -> Clue:
        summary = state.received_summary(agg) if access == "full" else None
        return cls(id=str(agg.id), clue_no=agg.clue_no, case_no=agg.case_no, channel=agg.channel, _summary=summary,
                   agencies=list(agg.agencies), status=agg.status, received_at=iso(agg.received_at),
                   closure_type=agg.closure_type, version=agg.version, as_of_version=as_of_version,
                   _lead=agg.lead, _agg=agg, _access=access, _org=org, _at_us=at_us, _bureau=bureau)


@strawberry.type
class ClueEdge:
    cursor: str
    node: Clue


@strawberry.type
class ClueConnection:
    edges: list[ClueEdge]
    page_info: PageInfo

    @strawberry.field
    def nodes(self) -> list[Clue]:
        return [e.node for e in self.edges]


@strawberry.input
class ClueFilter:
    status: list[str] | None = None
    channel: list[str] | None = None
    agency: str | None = strawberry.field(default=None, description="a subject or responsible agency id")
    received_from: str | None = strawberry.field(default=None, description="ISO date or datetime (inclusive)")
    received_to: str | None = strawberry.field(default=None, description="ISO date (inclusive) or datetime")
    overdue: bool | None = None
    text: str | None = strawberry.field(default=None, description="in clue no., case no. and summary")
