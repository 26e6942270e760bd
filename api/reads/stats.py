"""Statistics over the clues shared with a partner (domain.md §9: a ``discipline_partner`` reads
"shared-clue aggregates"): the contract of ``projections.statistics`` counted from the facts of those
clues' streams only. Review batches and reconsideration cases are never shared (§11), so their
figures are zero; the clue figures count only shared clues. Same function, same arguments, same keys:
over every stream it equals ``statistics`` (tests/e2e/test_roles.py checks it)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from projections.db import ReadDb
from projections.periods import Period
from projections.statistics import Stats, Window, assemble


class StreamStats(Stats):
    """``Stats`` restricted to the facts of some streams."""

    def __init__(self, db: ReadDb, window: Window, streams: Collection[str]) -> None:
        super().__init__(db, window)
        self.only = sorted(streams)

    def _where(self, metric: str, *, since_start: bool = True, before_start: bool = False) -> tuple[str, list[Any]]:
        clause, params = super()._where(metric, since_start=since_start, before_start=before_start)
        if not self.only:
            return clause + " AND 1 = 0", params
        return clause + f" AND f.stream_id IN ({', '.join('?' for _ in self.only)})", [*params, *self.only]


def stream_statistics(db: ReadDb, period: Period, streams: Collection[str], *, bureau: str = "HQ",
                      as_of: datetime | None = None, known_at: datetime | None = None) -> dict[str, Any]:
    """``projections.statistics.statistics`` over the facts of ``streams`` only."""
    return assemble(lambda window: StreamStats(db, window, streams), period, bureau=bureau, as_of=as_of,
                    known_at=known_at)
