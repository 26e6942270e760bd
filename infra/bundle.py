"""Evidence bundles (``svledger export-bundle`` / ``verify-bundle``): one clue's events as stored, their
hash chain, RFC 6962 inclusion proofs to a signed checkpoint and the public key, in one JSON file that
verifies with nothing else. The format is documented in docs/bundle.md."""

from __future__ import annotations

import base64
from typing import Any
from uuid import UUID

from domain import errors
from domain.checkpoint import checkpoint_stream_id
from infra import signing
from infra.checkpoints import checkpoint_hash, leaves, signed_body
from infra.hashing import event_hash, genesis_hash, stream_type_of
from infra.merkle import inclusion_proof, verify_inclusion

FORMAT = "svledger-bundle/1"


def export_bundle(ledger: Any, stream_id: UUID) -> dict[str, Any]:
    try:
        checkpoint = ledger.load(checkpoint_stream_id(ledger.settings.bureau)).last
    except errors.NotFound:
        raise errors.NotFound("no signed checkpoint yet: run `svledger checkpoint` first") from None
    stored = ledger.recorder.select_events(stream_id)
    if not stored:
        raise errors.NotFound(f"no stream {stream_id}")
    all_leaves = [(n.id, digest) for n, digest in leaves(ledger, stop=checkpoint["to_position"])]
    index = {pos: i for i, (pos, _) in enumerate(all_leaves)}
    positions = _positions(ledger, stream_id)
    hashes = [bytes.fromhex(d) for _, d in all_leaves[:checkpoint["tree_size"]]]
    events = []
    for s in stored:
        pos = positions[s.originator_version]
        if pos not in index or index[pos] >= checkpoint["tree_size"]:
            break  # recorded after the checkpoint: not provable yet
        events.append({"version": s.originator_version, "topic": s.topic,
                       "state_b64": base64.b64encode(s.state).decode(),
                       "event_hash": ledger.recorder.event_hash_of(str(stream_id), s.originator_version),
                       "leaf_index": index[pos],
                       "inclusion_proof": [p.hex() for p in inclusion_proof(index[pos], hashes)]})
    return {"format": FORMAT, "stream_id": str(stream_id), "stream_type": stream_type_of(stored[0].topic, stored[0].state),
            "events": events, "checkpoint": checkpoint, "public_key": checkpoint["public_key"],
            "unproven_versions": [s.originator_version for s in stored[len(events):]]}


def _positions(ledger: Any, stream_id: UUID) -> dict[int, int]:
    found: dict[int, int] = {}
    position = 0
    while True:
        batch = ledger.recorder.select_notifications(start=position + 1, limit=5000)
        if not batch:
            return found
        for n in batch:
            if n.originator_id == stream_id or str(n.originator_id) == str(stream_id):
                found[n.originator_version] = n.id
        position = batch[-1].id


def verify_bundle(bundle: dict[str, Any], trusted_public_key: str | None = None) -> list[str]:
    """Problems found (empty = the bundle proves its events were in the signed log, unaltered)."""
    problems: list[str] = []
    if bundle.get("format") != FORMAT:
        return [f"unknown format {bundle.get('format')!r}"]
    cp, key = bundle["checkpoint"], trusted_public_key or bundle["public_key"]
    if checkpoint_hash(cp) != cp["checkpoint_hash"]:
        problems.append("checkpoint fields do not match checkpoint_hash")
    if cp.get("public_key", key) != key:  # the checkpoint's copy of the key is not signed: it must agree
        problems.append("checkpoint.public_key differs from the key the bundle is verified with")
    if not signing.valid(key, signed_body(cp), cp["signature"]) or signing.key_id(key) != cp["signer_key_id"]:
        problems.append(f"checkpoint signature invalid for key {signing.key_id(key)}")
    prev, expected_version = genesis_hash(bundle["stream_type"], bundle["stream_id"]), 1
    root = bytes.fromhex(cp["merkle_root"])
    for ev in bundle["events"]:
        if ev["version"] != expected_version:
            problems.append(f"version {ev['version']}: expected {expected_version}")
        state = base64.b64decode(ev["state_b64"])
        digest = event_hash(bundle["stream_id"], ev["version"], ev["topic"], state, prev)
        if digest != ev["event_hash"]:
            problems.append(f"version {ev['version']}: event hash does not recompute (altered or out of chain)")
        proof = [bytes.fromhex(p) for p in ev["inclusion_proof"]]
        if not verify_inclusion(bytes.fromhex(digest), ev["leaf_index"], cp["tree_size"], proof, root):
            problems.append(f"version {ev['version']}: not included in the signed checkpoint {cp['seq']}")
        prev, expected_version = ev["event_hash"], ev["version"] + 1  # report each break once
    return problems
