"""Payloads of the identity-vault and access-log events (domain.md §4.9, §10).

Identity streams: ``identity_stream_id(person_token)``; access-log streams: one per bureau and day,
``access_log_stream_id(bureau, day)``, opened by the day's first event (``AccessLog.opener``).
"""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from domain.catalogue import API, INT, STAFF, SV, command
from domain.values import Actor, Hex64, Sensitivity, ShortText, Strict, Text, Token

IdentityField = Literal["name", "id_number", "phone", "address", "email", "employer"]


class IdentitySealed(Strict):
    person_token: Token
    person_role: Literal["reporter", "accused", "witness", "applicant"]
    key_id: ShortText  # the KMS key wrapping this subject's data key
    vault_record_hash: Hex64


class IdentityUnsealRequested(Strict):
    request_id: UUID
    clue_id: UUID
    fields: list[IdentityField] = Field(min_length=1, max_length=6)
    purpose: Literal["contact_reporter", "evidence", "legal_obligation", "partner_request"]
    justification: Text


class IdentityUnsealApproved(Strict):
    request_id: UUID
    valid_until: AwareDatetime | date | None = None  # default occurred_at + 24 h; a date means until its end
    external_disclosure: bool = False  # needs a second supervisor's approval


class IdentityUnsealDenied(Strict):
    request_id: UUID
    reason: Text


class IdentityDisclosed(Strict):
    request_id: UUID
    disclosed_to: ShortText  # the requester's user_id, or (external disclosure) the receiving org
    fields: list[IdentityField] = Field(min_length=1, max_length=6)


class IdentityShredded(Strict):
    person_token: Token
    reason: Literal["retention_expired", "legal_request", "other"]
    key_id: ShortText


class RecordViewed(Strict):
    viewer: Actor
    resources: list[ShortText] = Field(min_length=1, max_length=500)  # e.g. "clue:<uuid>", "identity:<token>"
    field_classes: list[Sensitivity] = Field(min_length=1, max_length=4)
    purpose: ShortText
    query_hash: Hex64


class RecordExported(RecordViewed):
    format: Literal["csv", "xlsx", "json", "pdf", "zip"]
    row_count: int = Field(ge=0)
    file_hash: Hex64


command("sealIdentity", "IdentitySealed", "Identity", "seal", IdentitySealed, (*STAFF, INT), creates=True)
command("requestUnseal", "IdentityUnsealRequested", "Identity", "request_unseal", IdentityUnsealRequested, STAFF)
command("approveUnseal", "IdentityUnsealApproved", "Identity", "approve_unseal", IdentityUnsealApproved, (SV,))
command("denyUnseal", "IdentityUnsealDenied", "Identity", "deny_unseal", IdentityUnsealDenied, (SV,))
command("discloseIdentity", "IdentityDisclosed", "Identity", "disclose", IdentityDisclosed, (API,))
command("shredIdentity", "IdentityShredded", "Identity", "shred", IdentityShredded, STAFF)
# AccessLog is opened by the day's first event (AccessLog.opener): these commands create or append.
command("recordView", "RecordViewed", "AccessLog", "record_view", RecordViewed, (API,))
command("recordExport", "RecordExported", "AccessLog", "record_export", RecordExported, (API,))
