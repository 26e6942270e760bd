"""``auditTrail(clueId, asOf, knownAt)`` and ``events(after, first)`` (the raw ordered log, auditors)."""

from __future__ import annotations

import strawberry
from starlette.concurrency import run_in_threadpool

from api import policy
from api.context import clue_id as parse_id
from api.queries.moments import moment_us
from api.reads.audit import shredded_tokens, trail
from api.reads.clues import shared_with
from api.types.audit import AuditEntry, LogEvent, build_trail
from api.types.common import page_size
from domain import errors
from projections.events import decode

SENSITIVE = ("S2", "S3")


@strawberry.type
class AuditQueries:
    @strawberry.field(description="Every event of a clue (or, for ledger staff and auditors, of any stream) "
                                  "with actor, role, business and recorded time, legal basis, documents and "
                                  "corrections. asOf filters business time, knownAt what was recorded by then.")
    async def audit_trail(self, info: strawberry.Info, clue_id: strawberry.ID, as_of: str | None = None, known_at: str | None = None) -> list[AuditEntry]:
        ctx = info.context
        p = ctx.require_principal()
        access = policy.clue_access(p)
        stream = str(parse_id(str(clue_id)))
        as_of_us, known_us = moment_us(as_of), moment_us(known_at)

        def read() -> tuple[list[dict], object]:
            if access == policy.PARTNER and stream not in shared_with(ctx.services.reads, p.org_id):
                raise errors.NotFound(f"no clue {stream} shared with {p.org_id}")
            redactor = ctx.redactor(shredded_tokens(ctx.services.reads))
            return trail(ctx.services.reads, stream, as_of_us, known_us, redactor), redactor

        entries, redactor = await run_in_threadpool(read)
        classes = sorted({e["meta"].get("sensitivity", "S2") for e in entries} & set(SENSITIVE))
        ctx.note_view(info, [f"stream:{stream}"] if classes else [], classes)
        return build_trail(entries, redactor)

    @strawberry.field(description="The raw ordered log after a position (auditors; positions may have gaps)")
    async def events(self, info: strawberry.Info, after: int = 0, first: int | None = 100) -> list[LogEvent]:
        ctx = info.context
        policy.log_access(ctx.require_principal())
        size = page_size(first)

        def read() -> tuple[list, object]:
            redactor = ctx.redactor(shredded_tokens(ctx.services.reads))
            return [decode(n) for n in ctx.services.ledger.notifications(after=max(after, 0), limit=size)], redactor

        logged, redactor = await run_in_threadpool(read)
        # reading the access log itself is not logged again (that would feed on itself)
        sensitive = [ev for ev in logged if ev.meta.get("sensitivity") in SENSITIVE and ev.stream_type != "AccessLog"]
        ctx.note_view(info, [f"stream:{s}" for s in dict.fromkeys(ev.stream_id for ev in sensitive)],
                      sorted({ev.meta["sensitivity"] for ev in sensitive}))
        return [e for e in (LogEvent.of(ev, redactor) for ev in logged) if e is not None]
