"""``notices(filter, first, after)`` and ``overdue(asOf)``: liaisons see only their own agency's."""

from __future__ import annotations

import strawberry

from api import policy
from api.queries.moments import moment_us, now_us, start_us
from api.reads.clues import shared_with
from api.reads.notices import NoticeQuery, notice_page, overdue_obligations
from api.types.clue import Obligation
from api.types.common import PageInfo, decode_cursor, encode_cursor, page_size
from api.types.notice import Notice, NoticeConnection, NoticeEdge, NoticeFilter


@strawberry.type
class NoticeQueries:
    @strawberry.field(description="The notice register (文号, recipient, dates, status), keyset-paginated by "
                                  "issue time; liaisons see their own agency's notices only")
    async def notices(self, info: strawberry.Info, filter: NoticeFilter | None = None, first: int | None = 20,
                      after: str | None = None) -> NoticeConnection:
        ctx = info.context
        p = ctx.require_principal()
        access = policy.notice_access(p)
        size, cursor, f = page_size(first), decode_cursor(after), filter or NoticeFilter()
        recipient = p.org_id if access == policy.OWN else f.recipient
        q = NoticeQuery(statuses=tuple(f.status or ()), types=tuple(f.notice_type or ()), recipient=recipient,
                        stream_id=str(f.stream_id) if f.stream_id else None, issued_from_us=start_us(f.issued_from),
                        issued_to_us=moment_us(f.issued_to), overdue=f.overdue)
        at = now_us()

        source = ctx.services.source
        only = await shared_with(source, p.org_id) if access == policy.PARTNER else None
        rows, more = await notice_page(source, q, size, cursor, at, only)
        bureau = ctx.services.settings.ledger.bureau
        edges = [NoticeEdge(cursor=encode_cursor(r["issued_us"], r["notice_id"]), node=Notice.from_row(r, bureau, at))
                 for r in rows]
        return NoticeConnection(edges=edges, page_info=PageInfo(
            has_next_page=more, end_cursor=edges[-1].cursor if edges else None,
            start_cursor=edges[0].cursor if edges else None))

    @strawberry.field(description="Open deadlines past due at asOf (default now), earliest first")
    async def overdue(self, info: strawberry.Info, as_of: str | None = None, first: int | None = 100) -> list[Obligation]:
        ctx = info.context
        p = ctx.require_principal()
        access = policy.deadline_access(p)
        at, size = moment_us(as_of) or now_us(), page_size(first)
        recipient = p.org_id if access == policy.OWN else None
        rows = await overdue_obligations(ctx.services.source, at, size, recipient)
        return [Obligation.of(r, r["stream_id"], at) for r in rows]
