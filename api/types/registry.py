"""Agencies, an agency's board (domain.md §7 ``agency_board``) and review batches."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.types.notice import Notice


@strawberry.type
class Agency:
    id: strawberry.ID = strawberry.field(description="org code, e.g. A02")
    name: str | None
    org_type: str | None
    supervised: bool | None
    open_notices: int | None = strawberry.field(description="open notices (bureau roles; a liaison: its own)")
    clues: int | None = strawberry.field(description="clues naming the agency (roles reading clue content)")


@strawberry.type
class AgencyBoard:
    agency_id: strawberry.ID
    name: str | None
    open_notices: int
    overdue_notices: int
    due_soon_notices: int
    rectified_notices: int
    listed_supervisions: int
    escalated_notices: int
    mean_days_served_to_verified: float | None
    interviews: int
    review_problems: int
    self_reported_problems: int
    notices: list[Notice]


@strawberry.type
class ReviewBatch:
    id: strawberry.ID
    batch_no: str | None
    batch_kind: str
    title: str
    status: str
    opened_at: datetime | None
    closed_at: datetime | None
    scope_org_ids: list[str]
    files_sampled: int
    files_reviewed: int
    problems_found: int
    notices_issued: int
    units_inspected: int
    forms_filled: int
    version: int
