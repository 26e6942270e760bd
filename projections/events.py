"""Stored events as projections see them: decoded once from the notification log, no aggregates."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
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

    @cached_property
    def occurred_us(self) -> int:  # computed once per event (several read models ask)
        return to_us(self.occurred_at)

    @cached_property
    def recorded_us(self) -> int:
        return to_us(self.recorded_at)

    @cached_property
    def meta_json(self) -> str:
        """``meta`` as the audit timeline stores it: ``json.dumps(meta, ensure_ascii=False)``, of the event as
        decoded (the projector's read-ahead thread computes it while the previous batch is written)."""
        return to_json(self.meta)

    @cached_property
    def data_json(self) -> str:
        return to_json(self.data)

    @property
    def actor(self) -> dict[str, str]:
        return self.meta.get("actor", {})


# json.dumps(…, ensure_ascii=False) with one encoder (decoded JSON has no reference cycles to check for)
to_json = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


def to_us(when: datetime) -> int:
    """Microseconds since the epoch: one sortable integer for both databases."""
    return int(when.timestamp() * 1_000_000)


_loads = json.JSONDecoder().decode  # what json.loads does for a str, without its per-call checks
_event_types: dict[str, str] = {}  # topic -> event type
_new_event = object.__new__


def decode(notification: Any) -> LoggedEvent:
    raw = notification.state
    if not isinstance(raw, str):
        raw = bytes(raw).decode("utf-8", "surrogatepass")  # as json.loads decodes the stored UTF-8 bytes
    state = _loads(raw)
    meta = state.get("meta") or {}
    topic = notification.topic
    event_type = _event_types.get(topic)
    if event_type is None:
        event_type = _event_types[topic] = topic.rsplit(".", 1)[-1]
    occurred_at = datetime.fromisoformat(meta["occurred_at"])
    recorded_at = datetime.fromisoformat(state["timestamp"]["_data_"])
    # LoggedEvent(...) without the frozen dataclass's per-field object.__setattr__ calls; the cached
    # properties (occurred_us, recorded_us) filled now, as every read model asks for them
    event = _new_event(LoggedEvent)
    event.__dict__.update(
        position=notification.id, stream_id=str(notification.originator_id), version=notification.originator_version,
        event_type=event_type, stream_type=meta.get("stream_type") or topic.split(":")[1].split(".")[0],
        occurred_at=occurred_at, recorded_at=recorded_at, meta=meta, data=state.get("data") or {},
        occurred_us=to_us(occurred_at), recorded_us=to_us(recorded_at))
    return event
