"""Subscriptions over ``graphql-transport-ws``: ``clueEvents(clueId)`` and ``events(after)`` push events
as they are recorded (the log is polled every ``subscription_poll`` seconds; nothing is held open in
the database between polls). Redaction and access logging are those of the queries."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from types import SimpleNamespace
from typing import Any

import anyio
import strawberry

from api import policy
from api.context import clue_id as parse_id
from api.reads.streams import replay_one
from api.redaction import partner_may_see
from api.types.audit import LogEvent
from domain.clue import Clue as ClueAggregate
from projections.events import decode

BATCH = 100


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Events of one clue as they are recorded (redacted for the caller)")
    async def clue_events(self, info: strawberry.Info, clue_id: strawberry.ID) -> AsyncGenerator[LogEvent, None]:
        ctx = info.context
        p = ctx.require_principal()
        access = policy.clue_access(p)
        stream = parse_id(str(clue_id))
        source = ctx.services.source
        found = await replay_one(source, ctx.services.ledger, stream, ClueAggregate)
        agg = found.aggregate
        policy.readable_clue(p, stream, agg, found.unit)
        version, org = agg.version, p.org_id
        transfers = {tid for tid, t in agg.transfers.items() if t["target_org_id"] == org}
        types = {eid: e["type"] for eid, e in agg.index.items()}
        published: set[str] = set()
        for eid, e in agg.index.items():
            if partner_may_see(e["type"], e["data"], org, transfers, published):
                published.add(eid)
        redactor = ctx.redactor(ctx.services.shredded.known())
        while True:
            stored = await source.stored([stream], gt=version)
            for s in stored:
                ev = _as_logged(s)
                version, types[ev.event_id] = ev.version, ev.event_type
                if ev.event_type == "TransferProposed" and ev.data.get("target_org_id") == org:
                    transfers.add(str(ev.data["transfer_id"]))
                if access == policy.PARTNER:
                    if not partner_may_see(ev.event_type, ev.data, org, transfers, published):
                        continue
                    published.add(ev.event_id)
                shown = LogEvent.of(ev, redactor, target_type=types.get(str(ev.data.get("target_event_id"))),
                                    own_transfer=str(ev.data.get("via_transfer_id")) in transfers)
                if shown is not None:
                    ctx.note_view(info, [f"clue:{stream}"], ["S2"])
                    yield shown
            await anyio.sleep(ctx.services.settings.subscription_poll)

    @strawberry.subscription(description="The ordered log after a position, as it grows (auditors)")
    async def events(self, info: strawberry.Info, after: int = 0) -> AsyncGenerator[LogEvent, None]:
        ctx = info.context
        policy.log_access(ctx.require_principal())
        position = max(after, 0)
        redactor = ctx.redactor(ctx.services.shredded.known())
        while True:
            batch = await ctx.services.source.notifications(position, BATCH)
            for ev in batch:
                position = ev.position
                if ev.meta.get("sensitivity") in ("S2", "S3") and ev.stream_type != "AccessLog":
                    ctx.note_view(info, [f"stream:{ev.stream_id}"], [ev.meta["sensitivity"]])
                shown = LogEvent.of(ev, redactor)
                if shown is not None:
                    yield shown
            if len(batch) < BATCH:
                await anyio.sleep(ctx.services.settings.subscription_poll)


def _as_logged(stored: Any) -> Any:
    """A stored event of one stream as a LoggedEvent (no log position)."""
    return decode(SimpleNamespace(id=None, originator_id=stored.originator_id,
                                  originator_version=stored.originator_version, topic=stored.topic,
                                  state=stored.state))
