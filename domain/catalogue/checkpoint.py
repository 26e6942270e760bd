"""Payload of CheckpointRecorded (domain.md §4.9): recorded by ``system_scheduler`` only."""

from __future__ import annotations

from pydantic import Field

from domain.catalogue import SYS, command
from domain.values import Hex64, Strict


class CheckpointRecorded(Strict):
    seq: int = Field(ge=1)
    from_position: int = Field(ge=0)
    to_position: int = Field(ge=1)
    tree_size: int = Field(ge=1)
    merkle_root: Hex64
    checkpoint_hash: Hex64
    prev_checkpoint_hash: Hex64 | None = None
    signer_key_id: str = Field(min_length=8, max_length=64)
    public_key: str = Field(pattern=r"^[0-9a-f]{64}$")
    signature: str = Field(pattern=r"^[0-9a-f]{128}$")
    signed_at: str


command("recordCheckpoint", "CheckpointRecorded", "Checkpoint", "record", CheckpointRecorded, (SYS,))
