"""Aggregates replayed from their stored events, many streams per read (one query on PostgreSQL).

The same replay as ``Ledger.load`` (the repository's: the mapper decodes and upcasts each stored
event, ``project_aggregate`` folds them), with the same refusal (``NOT_FOUND``, ``policy.no_stream``) for a
missing stream and one of another type, plus the unit owning each stream, read from its first event's envelope.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import project_aggregate
from starlette.concurrency import run_in_threadpool

from api.policy import no_stream
from api.reads.source import ReadSource
from domain import errors

INLINE_EVENTS = 64  # more stored events than this are folded in a worker thread, not on the event loop


@dataclass(frozen=True)
class Replayed:
    aggregate: Any
    unit: str | None  # the owning unit: ``org_unit`` of the stream's first event, else its actor's org


async def replay(source: ReadSource, ledger: Any, ids: Sequence[UUID], cls: type[Any] | None = None,
                 version: int | None = None) -> list[Replayed | errors.LedgerError]:
    """One entry per id, in order: the replayed aggregate (up to ``version``) or the refusal."""
    stored = await source.stored(ids, lte=version)

    def fold() -> list[Replayed | errors.LedgerError]:
        by_stream: dict[UUID, list[Any]] = {}
        for s in stored:
            by_stream.setdefault(s.originator_id, []).append(s)
        return [_fold(ledger.mapper, i, by_stream.get(i, []), cls) for i in ids]

    return fold() if len(stored) <= INLINE_EVENTS else await run_in_threadpool(fold)


async def replay_one(source: ReadSource, ledger: Any, stream_id: UUID, cls: type[Any] | None = None,
                     version: int | None = None) -> Replayed:
    found = (await replay(source, ledger, [stream_id], cls, version))[0]
    if isinstance(found, errors.LedgerError):
        raise found
    return found


def _fold(mapper: Any, stream_id: UUID, stored: list[Any], cls: type[Any] | None) -> Replayed | errors.LedgerError:
    if not stored:
        return no_stream(stream_id)
    events = [mapper.to_domain_event(s) for s in stored]
    agg = project_aggregate(None, events)
    if agg is None or (cls is not None and not isinstance(agg, cls)):
        return no_stream(stream_id)  # of another type: refused like a missing one (its type not disclosed)
    meta = getattr(events[0], "meta", None) or {}
    return Replayed(agg, meta.get("org_unit") or (meta.get("actor") or {}).get("org_id"))
