"""``statistics(period, asOf, knownAt)``: the same function and arguments as ``svledger stats``; for a
partner, the same figures over the clues shared with it (domain.md §9 "shared-clue aggregates")."""

from __future__ import annotations

import strawberry
from starlette.concurrency import run_in_threadpool

from api import policy
from api.reads.clues import shared_with
from api.reads.stats import stream_statistics
from api.types.stats import PeriodInput, Statistics
from projections.periods import period as make_period
from projections.periods import point_in_time
from projections.statistics import statistics


@strawberry.type
class StatsQueries:
    @strawberry.field(description="Statistics for a period (domain.md §12.1 contract); asOf and knownAt are ISO "
                                  "dates (end of that day) or datetimes; knownAt defaults to asOf, or now. "
                                  "Partners get the figures of the clues shared with them only")
    async def statistics(self, info: strawberry.Info, period: PeriodInput, as_of: str | None = None,
                         known_at: str | None = None) -> Statistics:
        ctx = info.context
        p = ctx.require_principal()
        scope = policy.statistics_access(p)
        span = make_period(period.year, quarter=period.quarter, month=period.month, half=period.half,
                           start=period.start, end=period.end)
        moment = point_in_time(as_of)
        known = point_in_time(known_at) or moment
        bureau = ctx.services.settings.ledger.bureau
        shared = await shared_with(ctx.services.source, p.org_id) if scope == policy.SHARED_STATS else None

        def read() -> dict:
            with ctx.services.reads.connection() as db:
                if shared is not None:
                    return stream_statistics(db, span, shared, bureau=bureau, as_of=moment, known_at=known)
                return statistics(db, span, bureau=bureau, as_of=moment, known_at=known)

        return Statistics.of(await run_in_threadpool(read))
