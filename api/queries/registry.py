"""``agencies``, ``agencyBoard(agencyId)`` and ``reviewBatches``."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import strawberry

from api import policy
from api.queries.moments import now_us
from api.reads.registry import agencies, batch_ids, board
from api.reads.streams import replay
from api.types.common import iso, page_size
from api.types.notice import Notice
from api.types.registry import Agency, AgencyBoard, ReviewBatch
from domain import errors
from domain.review_batch import ReviewBatch as BatchAggregate


def _batch(agg: Any) -> ReviewBatch:
    counts = agg.derived_counts()
    return ReviewBatch(id=str(agg.id), batch_no=agg.batch_no, batch_kind=agg.batch_kind, title=agg.title,
                       status=agg.status, opened_at=iso(agg.opened_at), closed_at=iso(agg.closed_at),
                       scope_org_ids=list(agg.scope), files_sampled=len(agg.files),
                       files_reviewed=counts["files_reviewed"], problems_found=counts["problems_found"],
                       notices_issued=counts["notices_issued"], units_inspected=counts["units_inspected"],
                       forms_filled=counts["forms_filled"], version=agg.version)


@strawberry.type
class RegistryQueries:
    @strawberry.field(description="Supervised agencies and other organisations (liaisons: their own)")
    async def agencies(self, info: strawberry.Info) -> list[Agency]:
        ctx = info.context
        p = ctx.require_principal()
        access = policy.registry_access(p)
        rows = await agencies(ctx.services.source)
        if access == policy.OWN:
            rows = [r for r in rows if r["id"] == p.org_id]
        counts = access in (policy.FULL, policy.OWN)
        return [Agency(id=r["id"], name=r["name"], org_type=r["org_type"], supervised=r["supervised"],
                       open_notices=r["open_notices"] if counts else None,
                       clues=r["clues"] if access == policy.FULL else None) for r in rows]

    @strawberry.field(description="One agency's notices, deadlines, rectifications, interviews and problems")
    async def agency_board(self, info: strawberry.Info, agency_id: strawberry.ID) -> AgencyBoard:
        ctx = info.context
        policy.board_access(ctx.require_principal(), str(agency_id))
        at = now_us()
        b = await board(ctx.services.source, str(agency_id), at)
        bureau = ctx.services.settings.ledger.bureau
        notices = [Notice.from_row(n, bureau, at) for n in b.pop("notices")]
        return AgencyBoard(**b, notices=notices)

    @strawberry.field(description="Case-file reviews and inspection campaigns, newest first")
    async def review_batches(self, info: strawberry.Info, first: int | None = 100) -> list[ReviewBatch]:
        ctx = info.context
        policy.batch_access(ctx.require_principal())
        size = page_size(first)

        ids = [UUID(i) for i in await batch_ids(ctx.services.source, size)]
        found = await replay(ctx.services.source, ctx.services.ledger, ids, BatchAggregate)
        for f in found:
            if isinstance(f, errors.LedgerError):
                raise f
        return [_batch(f.aggregate) for f in found]  # type: ignore[union-attr]


