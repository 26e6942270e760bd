"""What a role sees of a stored event (domain.md §9 "Redaction", §10, §11), from ``domain.permissions``.

Reporter identity is never returned: person tokens are masked (``[sealed]``/``[shredded]``) for staff,
supervisors and auditors and omitted for everyone else. Partners see only the event types published to
partners, with reporter data, storage refs, comments and internal free text dropped and staff ids
replaced by a per-partner pseudonym. Liaisons see notice fields only; admins metadata only.
Denied fields are omitted, not nulled.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from typing import Any

from domain.permissions import REPORTER_FIELDS, masked, redact_for

TOKEN = re.compile(r"^pt_[a-z2-7]{26}$")
TOKEN_KEYS = REPORTER_FIELDS | {"applicant_tokens", "from_token", "target_person_tokens"}
# §11: the clue events a partner may see while the clue is shared with it (transfers: only its own)
PARTNER_EVENTS = frozenset({
    "PartnerShareGranted", "PartnerShareRevoked", "FindingRecorded", "RectificationNoticeIssued", "NoticeServed",
    "RectificationVerified", "NoticeOverdue", "NoticeEscalated", "ReminderIssued", "InterviewHeld",
    "AccountabilityReferred", "AccountabilityDecided", "NotificationPublished", "ClueSuspended", "ClueResumed",
    "ClueClosed", "ClueReopened", "EventCorrected", "EventVoided"})
PARTNER_TRANSFER_EVENTS = frozenset({
    "TransferSent", "TransferAcknowledged", "TransferForwarded", "TransferDecisionReceived",
    "TransferDecisionContested", "TransferOutcomeReported"})
PARTNER_META = ("event_id", "occurred_at", "stream_type", "stream_id", "sensitivity", "legal_basis", "documents",
                "correlation_id", "causation_id", "approvals", "actor", "external_refs")
INTERNAL_TEXT = frozenset({"comment", "justification", "storage_ref", "commitments", "reason", "measures_internal"})


class Redactor:
    """Redaction for one viewer; ``shredded`` tells whether a person token's key was destroyed."""

    def __init__(self, role: str, org_id: str, pseudonym_key: str,
                 shredded: Callable[[str], bool] = lambda token: False) -> None:
        self.role, self.org_id = role, org_id
        self.rule = redact_for(role)
        self._key = pseudonym_key.encode()
        self._shredded = shredded

    @property
    def full(self) -> bool:
        return self.rule.view == "full"

    @property
    def partner(self) -> bool:
        return self.rule.view == "partner_allowlist"

    def pseudonym(self, user_id: str) -> str:
        digest = hmac.new(self._key, f"pseudonym|{self.org_id}|{user_id}".encode(), hashlib.sha256).hexdigest()
        return "p-" + digest[:16]

    # -- payloads ---------------------------------------------------------------------------------------
    def data(self, data: dict[str, Any]) -> dict[str, Any]:
        if self.rule.view == "full":
            return self._seal(data)
        if self.rule.view == "partner_allowlist":
            return self._drop(data, self.rule.dropped | INTERNAL_TEXT)
        if self.rule.view == "notice_fields":
            allowed = self.rule.fields or frozenset()
            return self._drop({k: v for k, v in data.items() if k in allowed}, self.rule.dropped | INTERNAL_TEXT)
        return {}

    def _seal(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self._seal(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self._seal(v, key) for v in value]
        if isinstance(value, str) and (TOKEN.match(value) or (key in TOKEN_KEYS and value)):
            return masked(self._shredded(value))
        return value

    def _drop(self, value: Any, dropped: frozenset[str]) -> Any:
        if isinstance(value, dict):
            return {k: self._drop(v, dropped) for k, v in value.items()
                    if k not in dropped and k not in TOKEN_KEYS and not k.endswith(("_token", "_tokens"))
                    and not (isinstance(v, str) and TOKEN.match(v))}
        if isinstance(value, list):
            return [self._drop(v, dropped) for v in value if not (isinstance(v, str) and TOKEN.match(v))]
        return value

    # -- envelopes ---------------------------------------------------------------------------------------
    def actor(self, actor: dict[str, Any] | None) -> dict[str, Any] | None:
        if not actor:
            return None
        if self.rule.actor == "pseudonym":
            return {**actor, "user_id": self.pseudonym(str(actor.get("user_id")))}
        if self.rule.actor == "omitted":
            return None
        return dict(actor)

    def meta(self, meta: dict[str, Any]) -> dict[str, Any]:
        if self.full:
            return self._seal(meta)
        if self.partner:
            kept = {k: meta[k] for k in PARTNER_META if k in meta}
            kept["actor"] = self.actor(meta.get("actor"))
            kept["approvals"] = [{**{k: v for k, v in a.items() if k != "comment"},
                                  "approver_user_id": self.pseudonym(a["approver_user_id"])}
                                 for a in meta.get("approvals", [])]
            return self._drop(kept, INTERNAL_TEXT)
        return {k: meta[k] for k in ("event_id", "occurred_at", "stream_type", "sensitivity") if k in meta}

    def approver(self, user_id: str) -> str | None:
        if self.full:
            return user_id
        return self.pseudonym(user_id) if self.partner else None


def partner_may_see(event_type: str, data: dict[str, Any], partner_org: str, partner_transfers: set[str],
                    published_ids: set[str]) -> bool:
    """Whether a partner sees this event of a clue shared with it (``partner_transfers``: its transfer ids;
    ``published_ids``: event ids it may see, for corrections of them)."""
    if event_type in ("EventCorrected", "EventVoided"):
        return str(data.get("target_event_id")) in published_ids
    if event_type in PARTNER_TRANSFER_EVENTS:
        return str(data.get("transfer_id")) in partner_transfers
    if event_type in ("PartnerShareGranted", "PartnerShareRevoked"):
        return data.get("partner_org_id") == partner_org
    return event_type in PARTNER_EVENTS
