"""Stored events as projections see them: decoded once from the notification log, no aggregates."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class LoggedEvent:
    position: int
    stream_id: str
    version: int
    event_type: str
    stream_type: str
    occurred_at: datetime
    recorded_at: datetime
    meta: dict[str, Any]
    data: dict[str, Any]

    @property
    def event_id(self) -> str:
        return self.meta["event_id"]

    @property
    def occurred_us(self) -> int:
        return to_us(self.occurred_at)

    @property
    def recorded_us(self) -> int:
        return to_us(self.recorded_at)

    @property
    def actor(self) -> dict[str, str]:
        return self.meta.get("actor", {})


def to_us(when: datetime) -> int:
    """Microseconds since the epoch: one sortable integer for both databases."""
    return int(when.timestamp() * 1_000_000)


def decode(notification: Any) -> LoggedEvent:
    state = json.loads(notification.state)
    meta = state.get("meta") or {}
    topic = notification.topic
    return LoggedEvent(
        position=notification.id, stream_id=str(notification.originator_id), version=notification.originator_version,
        event_type=topic.rsplit(".", 1)[-1], stream_type=meta.get("stream_type") or topic.split(":")[1].split(".")[0],
        occurred_at=datetime.fromisoformat(meta["occurred_at"]),
        recorded_at=datetime.fromisoformat(state["timestamp"]["_data_"]), meta=meta, data=state.get("data") or {})
