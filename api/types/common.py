"""Shared GraphQL pieces: Relay page info, opaque keyset cursors, envelope types, time helpers."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from typing import Any

import strawberry

from domain import errors
from domain.deadlines import BUSINESS_TZ

MAX_PAGE = 100
DEFAULT_PAGE = 20


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None
    start_cursor: str | None


@strawberry.type
class Actor:
    user_id: str | None
    role: str | None
    org_id: str | None

    @classmethod
    def of(cls, actor: dict[str, Any] | None) -> Actor | None:
        if not actor:
            return None
        return cls(user_id=actor.get("user_id"), role=actor.get("role"), org_id=actor.get("org_id"))


@strawberry.type
class Approval:
    approver_user_id: str | None
    approver_role: str
    decided_at: str
    comment: str | None


@strawberry.type
class LegalBasis:
    instrument: str
    article: str | None


@strawberry.type(description="A document reference (hashes, never files); storageRef only for ledger staff.")
class DocRef:
    doc_id: str
    name: str
    doc_type: str
    doc_number: str | None = strawberry.field(description="文号")
    content_hash: str
    size_bytes: int | None
    mime: str | None
    sensitivity: str | None
    storage_ref: str | None
    supersedes_doc_id: str | None

    @classmethod
    def of(cls, d: dict[str, Any]) -> DocRef:
        return cls(doc_id=str(d.get("doc_id")), name=str(d.get("name")), doc_type=str(d.get("doc_type")),
                   doc_number=d.get("doc_number"), content_hash=str(d.get("content_hash")),
                   size_bytes=d.get("size_bytes"), mime=d.get("mime"), sensitivity=d.get("sensitivity"),
                   storage_ref=d.get("storage_ref"), supersedes_doc_id=d.get("supersedes_doc_id"))


def page_size(first: int | None) -> int:
    size = DEFAULT_PAGE if first is None else first
    if not 1 <= size <= MAX_PAGE:
        raise errors.ValidationFailed(f"first must be between 1 and {MAX_PAGE}")
    return size


def encode_cursor(sort_key: int, tie: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([sort_key, tie]).encode()).decode()


def decode_cursor(cursor: str | None) -> tuple[int, str] | None:
    if not cursor:
        return None
    try:
        key, tie = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return int(key), str(tie)
    except (ValueError, TypeError):
        raise errors.ValidationFailed("after is not a cursor returned by this API") from None


def from_us(us: int | None) -> datetime | None:
    if us is None:
        return None
    return datetime.fromtimestamp(us / 1_000_000, tz=timezone.utc).astimezone(BUSINESS_TZ)


def iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
