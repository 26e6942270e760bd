"""Recording commands through the API's mutations, as a client would."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from uuid import uuid4

STAFF = ("supervision_staff", "u-staff-1", "HQ")
LIAISON_A02 = ("agency_liaison", "u-liaison-a02", "A02")
SUP1 = "u-sup-1"
SUP2 = "u-sup-2"
RESULT = "eventId streamId version eventType position repeated events { streamId version eventType }"


def mutation(command: str) -> str:
    return (f"mutation($input: JSON!, $meta: CommandMeta!) {{ {command}(input: $input, meta: $meta) "
            f"{{ {RESULT} }} }}")


def meta(at: datetime, version: int, stream: str | None = None, key: str | None = None,
         approvers: tuple[str, ...] = ()) -> dict[str, Any]:
    m: dict[str, Any] = {"expectedVersion": version, "idempotencyKey": key or str(uuid4()),
                         "occurredAt": at.isoformat(),
                         "approvals": [{"approverUserId": a, "approverRole": "supervisor",
                                        "decidedAt": at.isoformat()} for a in approvers]}
    if stream:
        m["streamId"] = stream
    return m


def send(api: Any, command: str, input: dict[str, Any], m: dict[str, Any],
         who: tuple[str, str, str] = STAFF) -> dict[str, Any]:
    """The raw GraphQL body of one mutation."""
    role, user, org = who
    return api.gql(mutation(command), {"input": input, "meta": m}, role=role, user=user, org=org)


def run(api: Any, command: str, input: dict[str, Any], m: dict[str, Any],
        who: tuple[str, str, str] = STAFF) -> dict[str, Any]:
    body = send(api, command, input, m, who)
    assert not body.get("errors"), (command, body["errors"])
    return body["data"][command]


def doc(name: str, number: str | None = None) -> dict[str, Any]:
    ref = {"doc_id": hashlib.md5(name.encode()).hexdigest()[:16], "name": name, "doc_type": "document",
           "content_hash": hashlib.sha256(name.encode()).hexdigest(), "size_bytes": 2048,
           "mime": "application/pdf", "storage_ref": f"dms://e2e/{hashlib.md5(name.encode()).hexdigest()[:8]}"}
    return {**ref, "doc_number": number} if number else ref


RECEIVE = {"channel": "hotline_12345", "summary": "市民反映执法人员态度粗暴", "subject_agency_ids": ["A02"],
           "reporter": {"kind": "named", "contactable": True, "reporter_token": "pt_" + "b" * 26}}
