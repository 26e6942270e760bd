"""Signed Merkle checkpoints (domain.md §10): the RFC 6962 root over every event hash in log order,
signed with Ed25519 and appended as CheckpointRecorded to the bureau's Checkpoint stream."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import rfc8785

from domain.checkpoint import checkpoint_stream_id
from infra import signing
from infra.merkle import Frontier

CHECKPOINT_TOPIC = "domain.checkpoint:Checkpoint.CheckpointRecorded"
SYSTEM = {"user_id": "system_scheduler", "role": "system_scheduler", "org_id": "HQ"}
SIGNED_FIELDS = ("seq", "from_position", "to_position", "tree_size", "merkle_root", "prev_checkpoint_hash",
                 "signer_key_id", "signed_at")


def signed_body(data: dict[str, Any]) -> dict[str, Any]:
    return {k: data.get(k) for k in SIGNED_FIELDS}


def checkpoint_hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(rfc8785.dumps(signed_body(data))).hexdigest()


def recorded_hashes(ledger: Any) -> dict[tuple[str, int], tuple[str, str]]:
    """Every recorded ``(stream_id, version) → (prev_hash, event_hash)``, read in one query."""
    rows = ledger.recorder._rows("SELECT stream_id, version, prev_hash, event_hash FROM event_hashes", ())
    return {(str(sid), int(v)): (p, h) for sid, v, p, h in rows}


def leaves(ledger: Any, stop: int | None = None, batch: int = 5000,
           hashes: dict[tuple[str, int], tuple[str, str]] | None = None) -> Iterator[tuple[Any, str]]:
    """(stored event, recorded event hash) in log order, up to position ``stop``."""
    hashes = recorded_hashes(ledger) if hashes is None else hashes
    position = 0
    while True:
        rows = ledger.recorder.select_notifications(start=position + 1, limit=batch, stop=stop)
        if not rows:
            return
        for n in rows:
            yield n, hashes.get((str(n.originator_id), n.originator_version), ("", ""))[1]
        position = rows[-1].id


def make_checkpoint(ledger: Any) -> dict[str, Any] | None:
    """Append a checkpoint over the whole log if it grew since the last one; returns its data."""
    key = signing.load_or_create(ledger.settings.signing_key)
    stream = checkpoint_stream_id(ledger.settings.bureau)
    try:
        current = ledger.load(stream)
        last, version = current.last, current.version
    except Exception:  # noqa: BLE001 - no checkpoint yet
        last, version = None, 0
    tree, to_position = _tree(ledger, last)
    if tree.size == 0 or (last and tree.size <= last["tree_size"]):
        return None
    public = signing.public_hex(key)
    data = {"seq": (last["seq"] + 1) if last else 1, "from_position": last["to_position"] if last else 0,
            "to_position": to_position, "tree_size": tree.size, "merkle_root": tree.root().hex(),
            "prev_checkpoint_hash": last["checkpoint_hash"] if last else None,
            "signer_key_id": signing.key_id(public), "signed_at": datetime.now(timezone.utc).isoformat()}
    data.update(checkpoint_hash=checkpoint_hash(data), public_key=public, signature=signing.sign(key, signed_body(data)))
    now = datetime.now(timezone.utc)
    meta = {"stream_id": str(stream), "expected_version": version, "occurred_at": now.isoformat(),
            "idempotency_key": f"checkpoint:{ledger.settings.bureau}:{data['seq']}"}
    ledger.execute("recordCheckpoint", data, meta, {**SYSTEM, "org_id": ledger.settings.bureau}, now=now)
    _TREES[_tree_key(ledger)] = (to_position, tree)
    return data


# the tree of the last checkpoint this process made, per database: the next one reads only the events after it
_TREES: dict[tuple[str, str], tuple[int, Frontier]] = {}


def _tree_key(ledger: Any) -> tuple[str, str]:
    return ledger.settings.database_url, ledger.settings.bureau


def _tree(ledger: Any, last: dict[str, Any] | None) -> tuple[Frontier, int]:
    """The Merkle tree over the whole log (recorded event hashes in log order, the empty leaf for an event
    without one) and the last position in it; from the tree of the last checkpoint when this process made it
    and it still gives that checkpoint's signed root, else from the first event."""
    from infra.verify_fast import snapshot

    cached = _TREES.get(_tree_key(ledger))
    tree, after = Frontier(), 0
    if last and cached and cached[0] == last.get("to_position") and cached[1].size == last.get("tree_size") \
            and cached[1].root().hex() == last.get("merkle_root"):
        tree, after = cached[1].copy(), cached[0]
    with snapshot(ledger) as (source, _):
        scan = source.leaf_range(after, None)
    blob, odd = scan.leaves(), scan.odd_leaves
    for start in range(0, scan.count, 1 << 16):
        chunk = [odd.get(i, blob[i * 32:i * 32 + 32]) for i in range(start, min(scan.count, start + (1 << 16)))]
        tree.extend(chunk)
    return tree, (scan.position if scan.count else after)
