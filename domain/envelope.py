"""The command envelope (``meta``) and the rules every event obeys whatever its type (domain.md §3, §5.3).

The command layer passes ``recorded_at`` (its clock); aggregates never read the clock.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, Field

from domain import errors
from domain.values import Actor, Approval, Backdate, DocRef, ExternalRef, LegalBasis, OnBehalfOf, Strict

FUTURE_TOLERANCE = timedelta(minutes=5)
BACKDATE_REASON_AFTER = timedelta(hours=24)
BACKDATE_APPROVAL_AFTER = timedelta(days=30)

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_HEX = re.compile(r"^[0-9a-f]{32,}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_MOBILE = re.compile(r"(?<![0-9A-Za-z])(?:\+?86[- ]?)?1[3-9]\d{9}(?![0-9A-Za-z])")


class Meta(Strict):
    """What every command carries beside its payload (domain.md §3 ``meta``)."""

    stream_id: UUID | None = None
    expected_version: int = Field(ge=0)
    idempotency_key: str = Field(min_length=1, max_length=128)
    occurred_at: AwareDatetime
    backdate: Backdate | None = None
    approvals: list[Approval] = Field(default_factory=list, max_length=5)
    on_behalf_of: OnBehalfOf | None = None
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    legal_basis: list[LegalBasis] = Field(default_factory=list, max_length=20)
    documents: list[DocRef] = Field(default_factory=list, max_length=50)
    external_refs: list[ExternalRef] = Field(default_factory=list, max_length=20)


def check_timing(meta: Meta, recorded_at: datetime) -> None:
    """Rule 16: no future business time; backdating needs a reason (> 24 h) and approval (> 30 days)."""
    if meta.occurred_at > recorded_at + FUTURE_TOLERANCE:
        raise errors.FutureOccurredAt(f"occurred_at {meta.occurred_at.isoformat()} is in the future")
    lag = recorded_at - meta.occurred_at
    if lag > BACKDATE_REASON_AFTER and meta.backdate is None:
        raise errors.BackdateReasonRequired("occurred_at is more than 24 h before now: give backdate.reason")
    if lag > BACKDATE_APPROVAL_AFTER and not (meta.backdate and meta.backdate.approved_by):
        raise errors.BackdateApprovalRequired("occurred_at is more than 30 days back: backdate.approved_by required")


def find_pii(value: Any, path: str = "") -> str | None:
    """Rule 20: the path of the first free-text value holding an ID-card or mainland mobile number."""
    if isinstance(value, str):
        if _HEX.match(value) or _UUID.match(value):  # hashes, roots, signatures, keys, ids: not free text
            return None
        return path if (_ID_NUMBER.search(value) or _MOBILE.search(value)) else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, (list, tuple)):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if key in ("content_hash", "storage_ref", "doc_id"):
            continue
        found = find_pii(item, f"{path}.{key}" if path else str(key))
        if found:
            return found
    return None


def check_no_pii(data: dict[str, Any], meta: Meta) -> None:
    found = find_pii(data) or find_pii(meta.model_dump(mode="json", include={"backdate", "approvals", "legal_basis"}))
    if found:
        raise errors.PiiInPayload(f"field {found} holds an ID number or a mobile number; use an identity token")


def check_approvals(meta: Meta, actor: Actor, *, excluded: tuple[str | None, ...] = (),
                    conflicted: frozenset[str] = frozenset(), needed: int = 1) -> None:
    """Rule 10/12: four-eyes events need ``needed`` supervisor approvals by people other than
    the actor and the ``excluded`` users (proposer, requester, lead), none of them conflicted."""
    approvers = [a for a in meta.approvals]
    if not approvers:
        raise errors.ApprovalRequired("this event needs the approval of a supervisor (双人审批)")
    forbidden = {actor.user_id, *[e for e in excluded if e]}
    for a in approvers:
        if a.approver_user_id in forbidden:
            raise errors.SelfApprovalForbidden(f"{a.approver_user_id} cannot approve their own work")
        if a.approver_role != "supervisor":
            raise errors.ApprovalRequired(f"approver {a.approver_user_id} is not a supervisor")
        if a.approver_user_id in conflicted:
            raise errors.ConflictOfInterest(f"approver {a.approver_user_id} is conflicted (回避)")
    if len({a.approver_user_id for a in approvers}) < needed:
        raise errors.ApprovalRequired(f"this event needs {needed} distinct supervisor approvals")


def stored_meta(meta: Meta, actor: Actor, *, sensitivity: str, event_id: str) -> dict[str, Any]:
    """The envelope as stored with the event: JSON-native, empty fields left out."""
    stored = meta.model_dump(mode="json", exclude={"stream_id", "expected_version"}, exclude_none=True)
    stored = {k: v for k, v in stored.items() if v not in ([], None)}
    stored.update(event_id=event_id, actor=actor.model_dump(mode="json", exclude_none=True), sensitivity=sensitivity)
    return stored
