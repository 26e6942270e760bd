"""Unique numbers claimed by events (rule 21 ``DUPLICATE_DOC_NUMBER``; gapless clue/case/batch numbers).

The store writes each claim in the same transaction as its event; a second claim of the same
``(scope, value)`` fails the whole save.
"""

from __future__ import annotations

from typing import Any

NUMBER_FIELDS = {"ClueRegistered": ("clue_no", "JD"), "SupervisionCaseOpened": ("case_no", "LA"),
                 "ReviewBatchOpened": ("batch_no", "RB")}


def claims_for(event_name: str, data: dict[str, Any], meta: dict[str, Any]) -> list[tuple[str, str]]:
    year = meta["occurred_at"][:4]
    issuer = meta.get("actor", {}).get("org_id", "")
    if event_name in NUMBER_FIELDS:
        field = NUMBER_FIELDS[event_name][0]
        return [(field, data[field])] if data.get(field) else []
    if event_name == "RectificationNoticeIssued":
        return [(f"doc_number:{issuer}:{data['notice_type']}:{year}", data["doc_number"])]
    if event_name == "NotificationPublished":
        return [(f"doc_number:{issuer}:notification:{year}", data["doc_number"])]
    if event_name == "ReconsiderationAcceptanceDecided" and data.get("recon_no"):
        return [("recon_no", data["recon_no"])]
    return []


def number_prefix(event_name: str, bureau: str, year: int) -> str:
    """``HQ-JD-2024-`` for ClueRegistered: numbers are the prefix plus a gapless counter."""
    return f"{bureau}-{NUMBER_FIELDS[event_name][1]}-{year}-"


def format_number(event_name: str, prefix: str, n: int) -> str:
    return f"{prefix}{n:02d}" if event_name == "ReviewBatchOpened" else f"{prefix}{n:04d}"
