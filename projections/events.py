"""Stored events as projections see them: decoded once from the notification log, no aggregates."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

import orjson


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
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_NUMBER = b"0" * 20  # 20 digits in a row: maybe an integer beyond 64 bits


def loads_state(raw: Any) -> dict[str, Any]:
    """The stored state as ``json.loads`` decodes it (UTF-8, lone surrogates passed). orjson when it gives the same
    objects: it refuses what json accepts and it does not (NaN, invalid UTF-8, lone surrogates, 1e400: then
    json), and reads an integer beyond 64 bits as a float, so a state with 20 digits in a row goes to json."""
    if not isinstance(raw, str):
        raw = bytes(raw)
        if raw.translate(_DIGITS_AS_ZERO).find(_LONG_NUMBER) < 0:
            try:
                return orjson.loads(raw)
            except orjson.JSONDecodeError:
                pass
        raw = raw.decode("utf-8", "surrogatepass")  # as json.loads decodes the stored UTF-8 bytes
    return _loads(raw)


def decode(notification: Any) -> LoggedEvent:
    return decode_row(notification.id, str(notification.originator_id), notification.originator_version,
                      notification.topic, notification.state)


def decode_row(position: int, stream_id: str, version: int, topic: str, raw: Any) -> LoggedEvent:
    """One stored event (its log position, stream id as text, version, topic and state bytes)."""
    state = loads_state(raw)
    meta = state.get("meta") or {}
    event_type = _event_types.get(topic)
    if event_type is None:
        event_type = _event_types[topic] = topic.rsplit(".", 1)[-1]
    occurred_at = datetime.fromisoformat(meta["occurred_at"])
    recorded_at = datetime.fromisoformat(state["timestamp"]["_data_"])
    # LoggedEvent(...) without the frozen dataclass's per-field object.__setattr__ calls; the cached
    # properties (occurred_us, recorded_us) filled now, as every read model asks for them
    event = _new_event(LoggedEvent)
    event.__dict__.update(
        position=position, stream_id=stream_id, version=version,
        event_type=event_type, stream_type=meta.get("stream_type") or topic.split(":")[1].split(".")[0],
        occurred_at=occurred_at, recorded_at=recorded_at, meta=meta, data=state.get("data") or {},
        occurred_us=to_us(occurred_at), recorded_us=to_us(recorded_at))
    return event
