"""Statistics over the clues shared with a partner (domain.md §9: a ``discipline_partner`` reads
"shared-clue aggregates"): the contract of ``projections.statistics`` counted from the facts of those
clues' streams only. Review batches and reconsideration cases are never shared (§11), so their
figures are zero; the clue figures count only shared clues. Same function, same arguments, same keys:
over every stream it equals ``statistics`` (tests/e2e/test_roles.py checks it)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timezone
from typing import Any

from projections.db import ReadDb
from projections.events import to_us
from projections.periods import Period
from projections.statistics import (ANNUAL, MONTHLY, Stats, Window, compared, funnel,
                                    reconsideration)


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
    cutoff = min(period.end_us, to_us(as_of)) if as_of else period.end_us
    known = to_us(known_at or datetime.now(timezone.utc))
    s = StreamStats(db, Window(bureau, period.start_us, cutoff, known), streams)
    before = StreamStats(db, Window(bureau, period.start_us - (period.end_us - period.start_us), period.start_us,
                                    known), streams)
    closed_by_type = s.by_subject("clue_closed")
    return {
        "bureau": bureau, "period": period.label,
        "as_of": as_of.isoformat() if as_of else None, "known_at": known_at.isoformat() if known_at else None,
        "clues_collected": s.count("clue_received"), "clues_valid": s.count("clue_valid"),
        "cases_opened": s.count("case_opened"), "clues_screened_out": s.count("clue_screened_out"),
        "clues_closed": sum(closed_by_type.values()),
        "case_files_sampled": s.count(f"file_sampled:{MONTHLY}"),
        "case_file_review_units": s.count(f"file_sampled:{MONTHLY}", distinct_subject=True),
        "case_files_reviewed": s.count(f"file_reviewed:{MONTHLY}"), "case_file_problems": s.count(f"problem:{MONTHLY}"),
        "review_suggestions": s.count("notice_issued", "review_suggestion"),
        "review_forms": s.count(f"review_form:{MONTHLY}"),
        "annual_review_files": s.count(f"file_sampled:{ANNUAL}"),
        "annual_review_units": s.count(f"file_sampled:{ANNUAL}", distinct_subject=True),
        "annual_review_files_reviewed": s.count(f"file_reviewed:{ANNUAL}"),
        "self_inspection_units": s.count("problem:self_inspection", distinct_subject=True),
        "self_inspection_problems": s.count("problem:self_inspection"),
        "inspected_units": s.count("unit_inspected:rule_of_law_inspection"),
        "inspection_feedback": s.count("notice_issued", "inspection_feedback"),
        "work_tip_letters": s.count("notice_issued", "work_tip_letter"),
        "funnel": funnel(s, closed_by_type),
        "reconsideration": {**reconsideration(s), **compared(s, before)},
    }
