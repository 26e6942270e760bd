"""Statistics (domain.md §12.1 "Statistics contract", §7 funnel/review/reconsideration) from ``facts``:
any period, ``as_of`` a business time and ``known_at`` a recorded time, per bureau."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from domain.reconsideration_rules import change_rate, rate
from projections.db import ReadDb
from projections.events import to_us
from projections.periods import Period

MONTHLY, ANNUAL = "case_file_review", "case_file_review:annual"


@dataclass(frozen=True)
class Window:
    bureau: str
    start_us: int
    cutoff_us: int  # min(period end, as_of)
    known_us: int


class Stats:
    def __init__(self, db: ReadDb, window: Window) -> None:
        self.db, self.w = db, window

    def _where(self, metric: str, *, since_start: bool = True, before_start: bool = False) -> tuple[str, list[Any]]:
        clause = ("f.bureau = ? AND f.metric = ? AND f.recorded_us <= ? AND NOT EXISTS (SELECT 1 FROM fact_voids v "
                  "WHERE v.event_id = f.event_id AND v.recorded_us <= ?)")
        params: list[Any] = [self.w.bureau, metric, self.w.known_us, self.w.known_us]
        if before_start:
            clause += " AND f.occurred_us < ?"
            params.append(self.w.start_us)
        else:
            clause += " AND f.occurred_us < ?"
            params.append(self.w.cutoff_us)
            if since_start:
                clause += " AND f.occurred_us >= ?"
                params.append(self.w.start_us)
        return clause, params

    def count(self, metric: str, subject: str | None = None, *, distinct_subject: bool = False) -> int:
        clause, params = self._where(metric)
        if subject is not None:
            clause += " AND f.subject = ?"
            params.append(subject)
        what = "COUNT(DISTINCT f.subject)" if distinct_subject else "COUNT(*)"
        return int(self.db.query(f"SELECT {what} FROM facts f WHERE {clause}", params)[0][0])

    def by_subject(self, metric: str) -> dict[str, int]:
        clause, params = self._where(metric)
        rows = self.db.query(f"SELECT f.subject, COUNT(*) FROM facts f WHERE {clause} GROUP BY f.subject", params)
        return {subject: int(n) for subject, n in sorted(rows)}

    def streams(self, metric: str, subject: str | None = None, *, since_start: bool = True,
                before_start: bool = False) -> set[str]:
        clause, params = self._where(metric, since_start=since_start, before_start=before_start)
        if subject is not None:
            clause += " AND f.subject = ?"
            params.append(subject)
        return {r[0] for r in self.db.query(f"SELECT DISTINCT f.stream_id FROM facts f WHERE {clause}", params)}


def statistics(db: ReadDb, period: Period, *, bureau: str = "HQ", as_of: datetime | None = None,
               known_at: datetime | None = None) -> dict[str, Any]:
    return assemble(lambda window: Stats(db, window), period, bureau=bureau, as_of=as_of, known_at=known_at)


def assemble(stats: Callable[[Window], Stats], period: Period, *, bureau: str, as_of: datetime | None,
             known_at: datetime | None) -> dict[str, Any]:
    """Every figure of the period (and the previous one, for comparisons) from the facts ``stats`` reads: all
    of a bureau's, or only some streams' (``api.reads.stats``)."""
    cutoff = min(period.end_us, to_us(as_of)) if as_of else period.end_us
    known = to_us(known_at or datetime.now(timezone.utc))
    s = stats(Window(bureau, period.start_us, cutoff, known))
    before = stats(Window(bureau, period.start_us - (period.end_us - period.start_us), period.start_us, known))
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


def compared(s: Stats, before: Stats) -> dict[str, Any]:
    """Applications against the previous period of the same length (e.g. seed 003: 29 vs 39, −25.64%)."""
    now, then = len(s.streams("recon_received")), len(before.streams("recon_received"))
    change = change_rate(now, then)
    return {"received_previous_period": then, "received_change_rate": change["value"],
            "received_change_rate_fraction": change["fraction"]}


def funnel(s: Stats, closed_by_type: dict[str, int]) -> dict[str, Any]:
    return {"collected": s.count("clue_received"), "valid": s.count("clue_valid"), "cases": s.count("case_opened"),
            "notices": s.count("notice_issued"), "rectified": s.count("notice_verified", "accepted"),
            "closed_by_type": closed_by_type, "screened_out_by_reason": s.by_subject("clue_screened_out"),
            "received_by_channel": s.by_subject("clue_received")}


def reconsideration(s: Stats) -> dict[str, Any]:
    cohort = s.streams("recon_received")
    accepted_ever = s.streams("recon_decided", "accepted", since_start=False)
    decisions = {d: len(cohort & s.streams("recon_decided", d, since_start=False))
                 for d in ("accepted", "not_accepted", "referred_to_competent_authority", "deemed_withdrawn",
                           "suspended_pending_litigation")}
    carried = (s.streams("recon_decided", "accepted", before_start=True)
               - s.streams("recon_closed", before_start=True))
    closed = s.count("recon_closed")
    corrected, mediated = s.count("recon_corrected"), s.count("recon_mediated")
    open_end = accepted_ever - s.streams("recon_closed", since_start=False)
    dispositions = s.by_subject("recon_closed")
    withdrawn = dispositions.get("settled_withdrawn", 0)
    unclassified = dispositions.get("unclassified", 0)
    received = len(cohort)
    return {
        "received": received, "accepted": decisions["accepted"], "not_accepted": decisions["not_accepted"],
        "decisions": decisions, "carried_over": len(carried), "closed": closed, "corrected": corrected,
        "correction_rate": rate(corrected, closed)["value"], "correction_rate_fraction": rate(corrected, closed)["fraction"],
        "mediated_settled": mediated, "mediation_settlement_rate": rate(mediated, closed)["value"],
        "mediation_settlement_rate_fraction": rate(mediated, closed)["fraction"], "open_end": len(open_end),
        "acceptance_rate": rate(decisions["accepted"], received)["value"],
        "acceptance_rate_fraction": rate(decisions["accepted"], received)["fraction"],
        "decisions_copied_direct": s.count("recon_copied", "direct"),
        "decisions_copied_letter": s.count("recon_copied", "special_letter"),
        "withdrawal_rate": rate(withdrawn, closed)["value"], "withdrawal_rate_fraction": rate(withdrawn, closed)["fraction"],
        "dispositions": dispositions, "unclassified": unclassified, "reconciliation_gap": unclassified > 0,
    }
