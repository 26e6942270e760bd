"""``statistics(period, asOf, knownAt)``: the same function and arguments as ``svledger stats``."""

from __future__ import annotations

import strawberry
from starlette.concurrency import run_in_threadpool

from api import policy
from api.types.stats import PeriodInput, Statistics
from projections.periods import period as make_period
from projections.periods import point_in_time
from projections.statistics import statistics


@strawberry.type
class StatsQueries:
    @strawberry.field(description="Statistics for a period (domain.md §12.1 contract); asOf and knownAt are ISO "
                                  "dates (end of that day) or datetimes; knownAt defaults to asOf, or now")
    async def statistics(self, info: strawberry.Info, period: PeriodInput, as_of: str | None = None,
                         known_at: str | None = None) -> Statistics:
        ctx = info.context
        policy.statistics_access(ctx.require_principal())
        span = make_period(period.year, quarter=period.quarter, month=period.month, half=period.half,
                           start=period.start, end=period.end)
        moment = point_in_time(as_of)
        known = point_in_time(known_at) or moment
        bureau = ctx.services.settings.ledger.bureau

        def read() -> dict:
            with ctx.services.reads.connection() as db:
                return statistics(db, span, bureau=bureau, as_of=moment, known_at=known)

        return Statistics.of(await run_in_threadpool(read))
