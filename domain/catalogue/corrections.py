"""Payloads of corrections (domain.md §4.10): new events, never edits, on any stream."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import Field

from domain.catalogue import STAFF, command
from domain.values import Hex64, Strict, Text


class Change(Strict):
    path: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.]+$")
    old_value_hash: Hex64
    new_value: Any


class EventCorrected(Strict):
    target_event_id: UUID
    changes: list[Change] = Field(min_length=1, max_length=20)
    reason: Text


class EventVoided(Strict):
    target_event_id: UUID
    reason: Text


for _agg in ("Clue", "ReviewBatch", "ReconsiderationCase"):
    _s = {"Clue": "", "ReviewBatch": "InBatch", "ReconsiderationCase": "InReconsideration"}[_agg]
    command(f"correctEvent{_s}", "EventCorrected", _agg, "correct_event", EventCorrected, STAFF)
    command(f"voidEvent{_s}", "EventVoided", _agg, "void_event", EventVoided, STAFF)
