"""``svledger verify``: recompute every event hash and per-stream chain from the stored events and compare
them with the hashes recorded beside them; versions must be contiguous from 1. Reports the first bad
position and why. Works offline on any copy of the database."""

from __future__ import annotations

import json

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from infra import signing
from infra.checkpoints import CHECKPOINT_TOPIC, checkpoint_hash, recorded_hashes, signed_body
from infra.hashing import event_hash, genesis_hash, stream_type_of
from infra.merkle import Frontier

BATCH = 2000


@dataclass
class Report:
    checked: int = 0
    streams: int = 0
    checkpoints: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, position: int | None, stream_id: str, version: int | None, why: str) -> None:
        self.problems.append({"position": position, "stream_id": stream_id, "version": version, "why": why})


def verify(ledger: Any, *, start: int = 0, stop: int | None = None,
           progress: Callable[[int, int], None] | None = None, max_problems: int = 20,
           public_key: str | None = None) -> Report:
    report = Report()
    recorded = recorded_hashes(ledger)
    checkpoints = _checkpoints(ledger) if start == 0 else []
    sizes, roots, tree = {c[1]["tree_size"] for c in checkpoints}, {}, Frontier()
    last: dict[str, tuple[int, str]] = {}
    head = ledger.recorder.max_notification_id() or 0
    position = start
    while len(report.problems) < max_problems:
        batch = ledger.recorder.select_notifications(start=position + 1, limit=BATCH, stop=stop)
        if not batch:
            break
        for n in batch:
            tree.append(bytes.fromhex(_check(n, last, recorded, report)))
            if tree.size in sizes:
                roots[tree.size] = (tree.root().hex(), n.id)
        position = batch[-1].id
        report.checked += len(batch)
        if progress:
            progress(position, head)
    for (sid, version) in recorded:
        if sid not in last or version > last[sid][0]:
            if start == 0 and stop is None:
                report.fail(None, sid, version, "a recorded hash has no stored event (row deleted or log truncated)")
                break
    report.streams = len(last)
    _check_checkpoints(checkpoints, roots, report, public_key)
    report.checkpoints = len(checkpoints)
    return report


def _checkpoints(ledger: Any) -> list[tuple[int, dict[str, Any]]]:
    found = ledger.recorder.select_notifications(start=1, limit=10_000_000, topics=[CHECKPOINT_TOPIC])
    return [(n.id, json.loads(n.state)["data"]) for n in found]


def _check_checkpoints(checkpoints: list[tuple[int, dict[str, Any]]], roots: dict[int, tuple[str, int]],
                       report: Report, public_key: str | None) -> None:
    """Checks 3 and 4 of §10: every root recomputes from the log prefix, signatures and chain hold."""
    previous: dict[str, Any] | None = None
    for position, cp in checkpoints:
        where = f"checkpoint {cp['seq']}"
        root = roots.get(cp["tree_size"])
        if root is None or root[0] != cp["merkle_root"]:
            report.fail(position, "checkpoint", cp["seq"], f"{where}: Merkle root over the first {cp['tree_size']} "
                        "events does not match the log (an event before it was altered, removed or reordered)")
        if checkpoint_hash(cp) != cp["checkpoint_hash"]:
            report.fail(position, "checkpoint", cp["seq"], f"{where}: checkpoint_hash does not match its fields")
        key = public_key or cp["public_key"]
        if (public_key and signing.key_id(public_key) != cp["signer_key_id"]) or not signing.valid(
                key, signed_body(cp), cp["signature"]):
            report.fail(position, "checkpoint", cp["seq"], f"{where}: signature invalid for key {signing.key_id(key)}")
        if previous and (cp.get("prev_checkpoint_hash") != previous["checkpoint_hash"]
                         or cp["tree_size"] <= previous["tree_size"]):
            report.fail(position, "checkpoint", cp["seq"], f"{where}: does not extend checkpoint {previous['seq']}")
        previous = cp


def _check(n: Any, last: dict[str, tuple[int, str]], recorded: dict[tuple[str, int], tuple[str, str]],
           report: Report) -> str:
    sid, version = str(n.originator_id), n.originator_version
    previous_version, previous_hash = last.get(sid, (0, ""))
    if version != previous_version + 1:
        report.fail(n.id, sid, version, f"version {version} follows {previous_version}: not contiguous "
                                        "(reordered, deleted or inserted rows)")
    prev = genesis_hash(stream_type_of(n.topic, n.state), sid) if version == 1 else previous_hash
    digest = event_hash(sid, version, n.topic, n.state, prev)
    stored = recorded.get((sid, version))
    if stored is None:
        report.fail(n.id, sid, version, "no recorded hash for this event")
    elif stored[0] != prev:
        report.fail(n.id, sid, version, "chain broken: prev_event_hash differs from the previous event's hash")
    elif stored[1] != digest:
        report.fail(n.id, sid, version, "event_hash mismatch: the stored event was altered")
    last[sid] = (version, stored[1] if stored else digest)  # go on from the recorded chain: report each break once
    return stored[1] if stored else digest
