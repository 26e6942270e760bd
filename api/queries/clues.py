"""``clue(id)``, ``clues(filter, first, after)`` and ``clueAsOf(id, at, version, knownAt)``."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

import strawberry

from api import policy
from api.context import clue_id
from api.queries.moments import moment_us, now_us, start_us
from api.reads.clues import ClueQuery, clue_page, shared_with
from api.reads.streams import replay_one
from api.types.clue import Clue, ClueConnection, ClueEdge, ClueFilter
from api.types.common import PageInfo, decode_cursor, encode_cursor, page_size
from domain import errors
from domain.clue import Clue as ClueAggregate
from projections.events import decode, to_us


async def _load(info: strawberry.Info, id: str, version: int | None = None) -> tuple[Any, str]:
    """The replayed clue if the caller may read it (partners: only clues shared with them; staff: their
    division's and those assigned to them)."""
    p = info.context.require_principal()
    access = policy.clue_access(p)
    services = info.context.services
    stream = clue_id(id)
    found = await replay_one(services.source, services.ledger, stream, ClueAggregate)
    agg = found.aggregate
    policy.readable_clue(p, stream, agg, found.unit)
    if version is not None:
        if not 1 <= version <= agg.version:
            raise errors.ValidationFailed(f"version must be between 1 and {agg.version}")
        agg = (await replay_one(services.source, services.ledger, stream, ClueAggregate, version)).aggregate
    return agg, access


def _version_at(agg: Any, at_us: int) -> int:
    version = 0
    for entry in agg.index.values():
        if to_us(datetime.fromisoformat(entry["occurred_at"])) <= at_us:
            version = entry["version"]
    return version


def _version_known(stored_events: list[Any], known_us: int) -> int:
    """The last version recorded by ``known_us`` (a stream is recorded in version order)."""
    version = 0
    for stored in stored_events:
        ev = decode(SimpleNamespace(id=None, originator_id=stored.originator_id, topic=stored.topic,
                                    originator_version=stored.originator_version, state=stored.state))
        if ev.recorded_us > known_us:
            break
        version = ev.version
    return version


@strawberry.type
class ClueQueries:
    @strawberry.field(description="One clue, replayed from its stream (S2: the read is logged)")
    async def clue(self, info: strawberry.Info, id: strawberry.ID) -> Clue:
        agg, access = await _load(info, str(id))
        ctx = info.context
        ctx.note_view(info, [f"clue:{agg.id}"], ["S2"])
        return Clue.from_state(agg, access, ctx.principal.org_id, ctx.services.settings.ledger.bureau, now_us())

    @strawberry.field(description="Clues by time received, keyset-paginated (stable under inserts)")
    async def clues(self, info: strawberry.Info, filter: ClueFilter | None = None, first: int | None = 20,
                    after: str | None = None) -> ClueConnection:
        ctx = info.context
        p = ctx.require_principal()
        access, scope = policy.clue_access(p), policy.clue_scope(p)
        size, cursor, f = page_size(first), decode_cursor(after), filter or ClueFilter()
        q = ClueQuery(statuses=tuple(f.status or ()), channels=tuple(f.channel or ()), agency=f.agency,
                      received_from_us=start_us(f.received_from), received_to_us=moment_us(f.received_to),
                      overdue=f.overdue, text=f.text)
        at = now_us()

        source = ctx.services.source
        only = await shared_with(source, p.org_id) if access == policy.PARTNER else None
        rows, more = await clue_page(source, q, size, cursor, at, only, text_in_summary=access == policy.FULL,
                                     scope=scope)
        ctx.note_view(info, [f"clue:{r['stream_id']}" for r in rows], ["S2"])
        bureau = ctx.services.settings.ledger.bureau
        edges = [ClueEdge(cursor=encode_cursor(r["received_us"], r["stream_id"]),
                          node=Clue.from_row(r, access, p.org_id, bureau, at)) for r in rows]
        return ClueConnection(edges=edges, page_info=PageInfo(
            has_next_page=more, end_cursor=edges[-1].cursor if edges else None,
            start_cursor=edges[0].cursor if edges else None))

    @strawberry.field(description="The clue replayed as of a business moment (at) or a stream version; knownAt "
                                  "(with at) keeps only what had been recorded by then")
    async def clue_as_of(self, info: strawberry.Info, id: strawberry.ID, at: str | None = None,
                         version: int | None = None, known_at: str | None = None) -> Clue:
        if (at is None) == (version is None):
            raise errors.ValidationFailed("give exactly one of at and version")
        if known_at is not None and version is not None:
            raise errors.ValidationFailed("knownAt goes with at, not with version")
        agg, access = await _load(info, str(id))
        at_us = moment_us(at) if at else 0
        wanted = version if version is not None else _version_at(agg, at_us)
        if known_at is not None:
            stored = await info.context.services.source.stored([agg.id])
            wanted = min(wanted, _version_known(stored, moment_us(known_at) or 0))
        if wanted < 1:
            raise errors.NotFound(f"clue {id} had not been received at {at}")
        agg, access = await _load(info, str(id), wanted)
        at_us = at_us or to_us(datetime.fromisoformat(agg.last_occurred_at))
        ctx = info.context
        ctx.note_view(info, [f"clue:{agg.id}"], ["S2"])
        return Clue.from_state(agg, access, ctx.principal.org_id, ctx.services.settings.ledger.bureau, at_us,
                               as_of_version=wanted)
