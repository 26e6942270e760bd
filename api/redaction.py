"""What a role sees of a stored event (domain.md §9 "Redaction", §10, §11), from ``domain.permissions``.

- staff, supervisors, auditors: everything but S3 values — person tokens become ``[sealed]`` (or
  ``[shredded]`` once the identity's key is destroyed); reporter identity is never returned;
- partners: exactly what the partner feed publishes (``infra.partner_feed``: the same event types, the
  same payload allowlists, the same per-partner pseudonyms), so GraphQL and Kafka never disagree;
- liaisons: notice fields only, the issuer as the bureau, no staff ids; admins: metadata only.
Denied fields are omitted, not nulled.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from domain.permissions import REPORTER_FIELDS, masked, redact_for
from infra import partner_feed as pf

TOKEN = re.compile(r"^pt_[a-z2-7]{26}$")
TOKEN_KEYS = REPORTER_FIELDS | {"applicant_tokens", "from_token", "target_person_tokens", "accused_tokens"}
BASE_META = ("event_id", "occurred_at", "stream_type", "sensitivity")
# every token field's name holds "token" or is quoted whole: one scan per hint, the pattern only on a hit
KEY_HINTS = tuple(sorted({"token" if "token" in key else f'"{key}"' for key in TOKEN_KEYS}))
TOKEN_KEY = re.compile('"(?:' + "|".join(sorted(TOKEN_KEYS)) + ')"\\s*:')


def may_hold_tokens(text: str) -> bool:
    """Whether stored JSON text may hold a value the full view masks: a token-shaped string (it contains
    ``pt_``) or a value under a token field (the field's name as a key). When not, the payload is shown
    as stored without walking it (``Redactor.event(..., plain=True)``)."""
    if "pt_" in text:
        return True
    for hint in KEY_HINTS:
        if hint in text:
            return TOKEN_KEY.search(text) is not None
    return False


class Redactor:
    """Redaction for one viewer; ``shredded`` tells whether a person token's key was destroyed."""

    def __init__(self, role: str, org_id: str, pseudonym_key: bytes,
                 shredded: Callable[[str], bool] = lambda token: False) -> None:
        self.role, self.org_id = role, org_id
        self.rule = redact_for(role)
        self._key = pseudonym_key
        self._shredded = shredded

    @property
    def full(self) -> bool:
        return self.rule.view == "full"

    @property
    def partner(self) -> bool:
        return self.rule.view == "partner_allowlist"

    def event(self, event_type: str, data: dict[str, Any], meta: dict[str, Any], *, target_type: str | None = None,
              own_transfer: bool = False, plain: bool = False) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """(data, meta) as this viewer sees them, or None if the viewer sees nothing of the event.
        ``plain``: the caller checked (``may_hold_tokens``) that nothing in them is to be masked."""
        if self.full:
            return (data, meta) if plain else (self._seal(data), self._seal(meta))
        base = {k: meta[k] for k in BASE_META if k in meta}
        if self.partner:
            if event_type == "EventCorrected":
                payload = pf.redact_correction(data, target_type or "")
            elif event_type in pf.PARTNER_FIELDS:
                payload = pf.redact_payload(event_type, data, own_transfer=own_transfer)
            else:
                payload = None
            if payload is None:
                return None
            return payload, {**base, **pf.envelope_view(meta, self.org_id, self._key)}
        if self.rule.view == "notice_fields":
            allowed, dropped = self.rule.fields or frozenset(), self.rule.dropped
            return self._drop({k: v for k, v in data.items() if k in allowed and k not in dropped}), base
        return {}, base

    def data(self, event_type: str, data: dict[str, Any]) -> dict[str, Any]:
        shown = self.event(event_type, data, {})
        return shown[0] if shown else {}

    def _seal(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self._seal(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self._seal(v, key) for v in value]
        if isinstance(value, str) and value and (TOKEN.match(value) or key in TOKEN_KEYS):
            return masked(self._shredded(value))
        return value

    def _drop(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self._drop(v) for k, v in value.items()
                    if k not in TOKEN_KEYS and k != "storage_ref" and not (isinstance(v, str) and TOKEN.match(v))}
        if isinstance(value, list):
            return [self._drop(v) for v in value if not (isinstance(v, str) and TOKEN.match(v))]
        return value


def partner_may_see(event_type: str, data: dict[str, Any], partner_org: str, partner_transfers: set[str],
                    published_ids: set[str]) -> bool:
    """Whether a partner sees this event of a clue shared with it, as the partner feed decides
    (``partner_transfers``: its transfer ids; ``published_ids``: event ids it sees, for corrections)."""
    if event_type in pf.CORRECTION_EVENTS:
        return str(data.get("target_event_id")) in published_ids
    if event_type in pf.SHARE_EVENTS:
        return data.get("partner_org_id") == partner_org
    if event_type in pf.TRANSFER_EVENTS:
        return str(data.get("transfer_id")) in partner_transfers
    return event_type in pf.CLUE_EVENTS
