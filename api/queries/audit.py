"""``auditTrail(clueId, asOf, knownAt)`` and ``events(after, first)`` (the raw ordered log, auditors)."""

from __future__ import annotations

import strawberry

from api import policy
from api.context import clue_id as parse_id
from api.queries.moments import moment_us
from api.reads.audit import entries, first_statement, stream_type_of, trail_statement
from api.reads.clues import shares_of, stream_scope, stream_shares
from api.types.audit import AuditEntry, LogEvent, build_trail
from api.types.common import page_size

SENSITIVE = ("S2", "S3")


@strawberry.type
class AuditQueries:
    @strawberry.field(description="Every event of a clue (or, for supervisors and auditors, of any stream; staff "
                                  "also review batches, reconsideration cases and their own access-log entries) "
                                  "with actor, role, business and recorded time, legal basis, documents and "
                                  "corrections. asOf filters business time, knownAt what was recorded by then.")
    async def audit_trail(self, info: strawberry.Info, clue_id: strawberry.ID, as_of: str | None = None, known_at: str | None = None) -> list[AuditEntry]:
        ctx = info.context
        p = ctx.require_principal()
        policy.trail_access(p)
        partner, scope = policy.clue_access(p) == policy.PARTNER, policy.clue_scope(p)
        stream = str(parse_id(str(clue_id)))
        as_of_us, known_us = moment_us(as_of), moment_us(known_at)
        services = ctx.services
        # the rows and what the caller's reading of a clue depends on (shares, staff scope): one round trip
        statements = [trail_statement(stream, known_us)]
        if partner:
            statements.append(stream_shares(stream))
        elif scope is not None:
            statements.append(stream_scope(stream, scope))
        rows, *check = await services.source.batch(statements)
        first = rows[:1] or await services.source.dicts(*first_statement(stream))
        if not first:
            raise policy.no_stream(stream)
        kind = stream_type_of(first)
        rows = policy.readable_events(p, stream, kind, rows,
                                      in_clue_scope=scope is not None and bool(check[0]),
                                      shared=partner and stream in shares_of(check[0], p.org_id))
        redactor = ctx.redactor(services.shredded.known())
        shown = entries(rows, as_of_us, redactor)
        # reading the access log itself is not logged again (that would feed on itself), as for ``events``
        classes = [] if kind == "AccessLog" else sorted({e["meta"].get("sensitivity", "S2") for e in shown}
                                                        & set(SENSITIVE))
        ctx.note_view(info, [f"stream:{stream}"] if classes else [], classes)
        return build_trail(shown, redactor)

    @strawberry.field(description="The raw ordered log after a position (auditors; positions may have gaps)")
    async def events(self, info: strawberry.Info, after: int = 0, first: int | None = 100) -> list[LogEvent]:
        ctx = info.context
        policy.log_access(ctx.require_principal())
        size = page_size(first)
        redactor = ctx.redactor(ctx.services.shredded.known())
        logged = await ctx.services.source.notifications(max(after, 0), size)
        # reading the access log itself is not logged again (that would feed on itself)
        sensitive = [ev for ev in logged if ev.meta.get("sensitivity") in SENSITIVE and ev.stream_type != "AccessLog"]
        ctx.note_view(info, [f"stream:{s}" for s in dict.fromkeys(ev.stream_id for ev in sensitive)],
                      sorted({ev.meta["sensitivity"] for ev in sensitive}))
        return [e for e in (LogEvent.of(ev, redactor) for ev in logged) if e is not None]
