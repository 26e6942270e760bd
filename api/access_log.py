"""Access events (domain.md §4.9, §10): every read returning S2/S3 data is noted here and recorded as
RecordViewed by the ``system_api`` actor. Notes are queued and flushed in batches (one event per viewer,
purpose and sensitivity classes per flush, naming every resource read), never one write per request."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import uuid4

from domain import errors
from domain.access_log import access_log_stream_id
from domain.deadlines import BUSINESS_TZ

log = logging.getLogger("svledger.api.access")
MAX_RESOURCES = 500
STALE_RETRIES = 3


@dataclass(frozen=True)
class View:
    viewer: tuple[str, str, str]  # user_id, role, org_id
    resources: tuple[str, ...]
    field_classes: tuple[str, ...]
    purpose: str
    query_hash: str


class AccessRecorder:
    def __init__(self, ledger: Any, bureau: str) -> None:
        self.ledger, self.bureau = ledger, bureau
        self._queue: list[View] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self.recorded = 0

    def note(self, viewer: dict[str, str], resources: list[str], field_classes: list[str], purpose: str,
             query_hash: str) -> None:
        if not resources:
            return
        view = View((viewer["user_id"], viewer["role"], viewer["org_id"]), tuple(dict.fromkeys(resources)),
                    tuple(sorted(set(field_classes))), purpose, query_hash)
        with self._lock:
            self._queue.append(view)

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def flush(self, now: datetime | None = None) -> int:
        """Record the queued views; returns the number of RecordViewed events appended."""
        with self._flush_lock:
            with self._lock:
                views, self._queue = self._queue, []
            if not views:
                return 0
            appended = 0
            for payload in batch(views):
                try:
                    self._record(payload, now or datetime.now(BUSINESS_TZ))
                    appended += 1
                except errors.LedgerError as exc:  # never lose reads silently: log loudly, keep serving
                    log.error("access event not recorded (%s): %s", exc.code, payload["resources"][:5])
            self.recorded += appended
            return appended

    def _record(self, payload: dict[str, Any], now: datetime) -> None:
        stream = access_log_stream_id(self.bureau, now.astimezone(BUSINESS_TZ).date())
        for attempt in range(STALE_RETRIES):
            stored = self.ledger.recorder.select_events(stream, desc=True, limit=1)
            meta = {"expected_version": stored[0].originator_version if stored else 0,
                    "idempotency_key": f"access:{uuid4()}", "occurred_at": now.isoformat()}
            try:
                self.ledger.execute("recordView", payload, meta, self.actor(), now=now)
                return
            except errors.StaleVersion:  # another API process appended to today's log
                if attempt == STALE_RETRIES - 1:
                    raise

    def actor(self) -> dict[str, str]:
        return {"user_id": "system_api", "role": "system_api", "org_id": self.bureau}


def batch(views: list[View]) -> list[dict[str, Any]]:
    """One RecordViewed payload per (viewer, purpose, classes), resources merged (at most 500 each)."""
    groups: dict[tuple[Any, ...], list[View]] = defaultdict(list)
    for v in views:
        groups[(v.viewer, v.purpose, v.field_classes)].append(v)
    payloads = []
    for (viewer, purpose, classes), group in groups.items():
        resources = list(dict.fromkeys(r for v in group for r in v.resources))
        digest = hashlib.sha256("\n".join(sorted(v.query_hash for v in group)).encode()).hexdigest()
        for start in range(0, len(resources), MAX_RESOURCES):
            payloads.append({"viewer": {"user_id": viewer[0], "role": viewer[1], "org_id": viewer[2]},
                             "resources": resources[start:start + MAX_RESOURCES], "field_classes": list(classes),
                             "purpose": purpose, "query_hash": digest})
    return payloads
