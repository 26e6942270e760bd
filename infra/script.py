"""Scripted recording through the command layer (sample clue, demo data): keeps each stream's
version, builds the envelope, and derives idempotency keys so that a rerun records nothing twice."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from infra.ledger import Ledger


class Script:
    def __init__(self, ledger: Ledger, name: str, *, record_delay: timedelta | None = None) -> None:
        self.ledger, self.name = ledger, name
        self.record_delay = record_delay  # None: the real clock records; else occurred_at + delay
        self.versions: dict[str, int] = {}
        self.count = 0

    def run(self, command: str, input: dict[str, Any], *, at: datetime, actor: dict[str, str],
            stream: UUID | str | None = None, approvers: list[dict[str, str]] = (), recorded: datetime | None = None,
            **meta: Any) -> dict[str, Any]:
        self.count += 1
        sid = str(stream) if stream else None
        envelope = {"expected_version": self.versions.get(sid, 0) if sid else 0,
                    "idempotency_key": str(uuid5(NAMESPACE_URL, f"{self.name}:{self.count}:{command}:{sid}")),
                    "occurred_at": at.isoformat(),
                    "approvals": [{"approver_user_id": a["user_id"], "approver_role": a["role"],
                                   "decided_at": at.isoformat()} for a in approvers], **meta}
        if sid:
            envelope["stream_id"] = sid
        now = recorded or (at + self.record_delay if self.record_delay is not None else None)
        result = self.ledger.execute(command, input, envelope, actor, now=now)
        for ev in result["events"]:
            self.versions[ev["stream_id"]] = max(self.versions.get(ev["stream_id"], 0), ev["version"])
        return result
