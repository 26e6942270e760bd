"""Statistics (domain.md §12.1 "Statistics contract"): the contract's fields, typed, plus ``json`` with
exactly what ``svledger stats --json`` prints for the same period and moments."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON


@strawberry.input(description="A year alone, or with one of quarter/month/half; or start and end dates")
class PeriodInput:
    year: int | None = None
    quarter: int | None = None
    month: int | None = None
    half: int | None = None
    start: str | None = strawberry.field(default=None, description="ISO date (custom period)")
    end: str | None = strawberry.field(default=None, description="ISO date, inclusive (custom period)")


@strawberry.type
class Rate:
    value: str = strawberry.field(description='e.g. "3.57%" (half-up, two decimals)')
    fraction: str = strawberry.field(description='e.g. "3/84"')


@strawberry.type
class ReconsiderationStats:
    received: int
    accepted: int
    not_accepted: int
    carried_over: int
    closed: int
    corrected: int
    correction_rate: Rate
    mediation_settlement_rate: Rate
    acceptance_rate: Rate
    open_end: int
    decisions_copied_direct: int
    decisions_copied_letter: int
    unclassified: int
    reconciliation_gap: bool


@strawberry.type
class Statistics:
    bureau: str
    period: str
    as_of: str | None
    known_at: str | None
    clues_collected: int
    clues_valid: int
    cases_opened: int
    clues_screened_out: int
    clues_closed: int
    case_files_reviewed: int
    case_file_problems: int
    review_suggestions: int
    review_forms: int
    annual_review_files: int
    annual_review_units: int
    self_inspection_units: int
    self_inspection_problems: int
    inspected_units: int
    inspection_feedback: int
    work_tip_letters: int
    reconsideration: ReconsiderationStats
    json: JSON = strawberry.field(description="The contract as `svledger stats --json` prints it (snake_case)")

    @classmethod
    def of(cls, r: dict[str, Any]) -> Statistics:
        rc = r["reconsideration"]

        def rate(name: str) -> Rate:
            return Rate(value=rc[name], fraction=rc[f"{name}_fraction"])

        recon = ReconsiderationStats(
            received=rc["received"], accepted=rc["accepted"], not_accepted=rc["not_accepted"],
            carried_over=rc["carried_over"], closed=rc["closed"], corrected=rc["corrected"],
            correction_rate=rate("correction_rate"), mediation_settlement_rate=rate("mediation_settlement_rate"),
            acceptance_rate=rate("acceptance_rate"), open_end=rc["open_end"],
            decisions_copied_direct=rc["decisions_copied_direct"], decisions_copied_letter=rc["decisions_copied_letter"],
            unclassified=rc.get("unclassified", 0), reconciliation_gap=bool(rc.get("reconciliation_gap")))
        scalars = {k: r[k] for k in cls.__annotations__ if k not in ("reconsideration", "json")}
        return cls(**scalars, reconsideration=recon, json=r)
