"""The Checkpoint stream (domain.md §4.9, §10): signed Merkle checkpoints over the log, one stream per
bureau. The ledger computes root and signature (``infra.checkpoints``); the stream keeps them in order."""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain import errors
from domain.base import Cmd, require
from domain.registry import OpenedStream, OpeningEvent


def checkpoint_stream_id(bureau: str) -> UUID:
    return uuid5(NAMESPACE_URL, "svledger:checkpoints:" + bureau)


class Checkpoint(OpenedStream):
    stream_type = "Checkpoint"
    default_sensitivity = "S1"
    opener = "open"

    def __init__(self) -> None:
        self.last: dict[str, Any] | None = None
        self.count = 0
        self._init_parts()

    class CheckpointRecorded(OpeningEvent):
        def apply(self, aggregate: Any) -> None:
            aggregate.last, aggregate.count = self.data, aggregate.count + 1
            super().apply(aggregate)

    @classmethod
    def open(cls, cmd: Cmd, stream_id: UUID) -> Checkpoint:
        require(cmd.data["seq"] == 1 and not cmd.data.get("prev_checkpoint_hash"), errors.ValidationFailed,
                "the first checkpoint has seq 1 and no previous checkpoint")
        return cls._create(cls.CheckpointRecorded, id=stream_id, data=cmd.data,
                           meta=cls.make_meta(cmd, stream_id=stream_id))

    def record(self, cmd: Cmd) -> None:
        last = self.last or {}
        require(cmd.data["seq"] == last.get("seq", 0) + 1, errors.ValidationFailed,
                f"checkpoint seq must be {last.get('seq', 0) + 1}")
        require(cmd.data["tree_size"] > last.get("tree_size", 0), errors.InvalidTransition,
                "a checkpoint covers more of the log than the previous one (append-only)")
        require(cmd.data["prev_checkpoint_hash"] == last.get("checkpoint_hash"), errors.ValidationFailed,
                "prev_checkpoint_hash must be the previous checkpoint's hash")
        self._append(self.CheckpointRecorded, cmd.data, self.make_meta(cmd))
