"""Per-stream verification (domain.md §10 "Auditor verifies", ``verifyStream(streamId)``): a report with one
entry per check, each ``{check, name, ok, detail, first_bad_version}``:

1. every event hash recomputes from the stored bytes;
2. the chain is unbroken (genesis, then each ``prev_event_hash`` = the previous recorded hash) and versions
   are contiguous from 1, with no recorded hash left without its event;
3. each event is included in the latest signed checkpoint (an RFC 6962 inclusion proof over the recorded
   log, checked with the hash recomputed from the stored bytes); events recorded after it are listed as
   "not yet checkpointed", which is not a failure;
4. every checkpoint's hash and Ed25519 signature hold and the checkpoints form one chain;
5. partner-held checkpoint copies match: not applicable offline (``ok: None``);
6. corrections and voids target earlier events of the same stream and carry approvals;
7. every approval is by a supervisor other than the actor (conflicts of interest need the registry's
   affiliations, which are not part of the log: not checked here);
8. sampled API reads have access events: not applicable offline (``ok: None``).

``ok`` of the report is true when no check failed (checks reporting ``None`` do not count). Works on any
copy of the database, like ``svledger verify``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from domain.checkpoint import checkpoint_stream_id
from infra import signing
from infra.checkpoints import checkpoint_hash, leaves, signed_body
from infra.hashing import event_hash, genesis_hash, stream_type_of
from infra.merkle import EMPTY_ROOT, leaf_hash, node_hash, verify_inclusion

CORRECTIONS = ("EventCorrected", "EventVoided")
NAMES = {1: "hashes recompute", 2: "chain unbroken, versions contiguous", 3: "covered by the signed checkpoint",
         4: "checkpoint signatures and chain", 5: "partner-held checkpoint copies match",
         6: "corrections and voids target earlier events and carry approvals",
         7: "approvals by a supervisor other than the actor", 8: "sampled API reads have access events"}


def result(check: int, ok: bool | None, detail: str, first_bad_version: int | None = None) -> dict[str, Any]:
    return {"check": check, "name": NAMES[check], "ok": ok, "detail": detail, "first_bad_version": first_bad_version}


def verify_stream(ledger: Any, stream_id: UUID | str, public_key: str | None = None) -> dict[str, Any]:
    """The per-check report for one stream; raises ``domain.errors.NotFound`` for an unknown stream."""
    from domain import errors

    sid = str(UUID(str(stream_id)))
    stored = list(ledger.recorder.select_events(UUID(sid)))
    recorded = _recorded(ledger, sid)
    if not stored and not recorded:
        raise errors.NotFound(f"no stream {sid}")
    checkpoints = _checkpoints(ledger)
    latest = checkpoints[-1] if checkpoints else None
    digests = _recomputed(sid, stored, recorded)
    events = [_decoded(s) for s in stored]
    checks = [_check_hashes(stored, recorded, digests), _check_chain(sid, stored, recorded)]
    covered, pending, check3 = _check_inclusion(ledger, sid, stored, digests, latest)
    checks += [check3, _check_checkpoints(checkpoints, public_key),
               result(5, None, "not applicable offline: partner-held copies of the checkpoints (Kafka checkpoints "
                               "topic) are compared by the partners, not from this database"),
               corrections_check(events), approvals_check(events),
               result(8, None, "not applicable offline: access events are checked against sampled API reads, "
                               "which are not part of the ledger")]
    return {"stream_id": sid, "stream_type": stream_type_of(stored[0].topic, stored[0].state) if stored else None,
            "ok": all(c["ok"] is not False for c in checks), "events": len(stored),
            "checkpoint": ({k: latest[k] for k in ("seq", "tree_size", "to_position", "merkle_root", "signer_key_id",
                                                    "signed_at")} if latest else None),
            "checkpointed_versions": covered, "not_yet_checkpointed": pending, "checks": checks}


# --- reads -------------------------------------------------------------------------------------------------

def _recorded(ledger: Any, sid: str) -> dict[int, tuple[str, str]]:
    p = ledger.recorder.placeholder
    rows = ledger.recorder._rows(f"SELECT version, prev_hash, event_hash FROM event_hashes WHERE stream_id = {p}",
                                 (sid,))
    return {int(v): (prev, digest) for v, prev, digest in rows}


def _checkpoints(ledger: Any) -> list[dict[str, Any]]:
    found = []
    for s in ledger.recorder.select_events(checkpoint_stream_id(ledger.settings.bureau)):
        try:
            found.append(json.loads(s.state)["data"])
        except (ValueError, KeyError, TypeError):
            found.append({"seq": None, "unreadable_version": s.originator_version})
    return found


def _decoded(s: Any) -> dict[str, Any]:
    try:
        state = json.loads(s.state)
        return {"version": s.originator_version, "event_type": s.topic.rsplit(".", 1)[-1],
                "meta": state.get("meta") or {}, "data": state.get("data") or {}}
    except (ValueError, AttributeError):
        return {"version": s.originator_version, "event_type": s.topic.rsplit(".", 1)[-1], "meta": {}, "data": {},
                "unreadable": True}


def _recomputed(sid: str, stored: list[Any], recorded: dict[int, tuple[str, str]]) -> dict[int, str]:
    """Each event's hash from its stored bytes, chained from the recorded previous hash (so one altered
    event is reported once, not with every later one)."""
    out = {}
    for s in stored:
        v = s.originator_version
        prev = recorded[v][0] if v in recorded else (
            genesis_hash(stream_type_of(s.topic, s.state), sid) if v == 1 else recorded.get(v - 1, ("", ""))[1])
        out[v] = event_hash(sid, v, s.topic, s.state, prev)
    return out


# --- checks 1-4 ----------------------------------------------------------------------------------------------

def _check_hashes(stored: list[Any], recorded: dict[int, tuple[str, str]], digests: dict[int, str]) -> dict:
    for s in stored:
        v = s.originator_version
        if v not in recorded:
            return result(1, False, f"version {v} has no recorded hash", v)
        if recorded[v][1] != digests[v]:
            return result(1, False, f"version {v}: event_hash does not recompute from the stored bytes "
                                    "(the stored event was altered)", v)
    return result(1, True, f"{len(stored)} event hashes recompute from the stored bytes")


def _check_chain(sid: str, stored: list[Any], recorded: dict[int, tuple[str, str]]) -> dict:
    expected = 1
    for s in stored:
        v = s.originator_version
        if v != expected:
            return result(2, False, f"version {v} follows {expected - 1}: not contiguous "
                                    "(deleted, reordered or inserted rows)", v)
        want = genesis_hash(stream_type_of(s.topic, s.state), sid) if v == 1 else recorded.get(v - 1, ("", ""))[1]
        if v in recorded and recorded[v][0] != want:
            return result(2, False, f"version {v}: prev_event_hash is not "
                                    + ("the genesis hash" if v == 1 else f"the hash of version {v - 1}"), v)
        expected = v + 1
    missing = sorted(v for v in recorded if v >= expected)
    if missing:
        return result(2, False, f"recorded hashes of versions {missing[0]}…{missing[-1]} have no stored event "
                                "(rows deleted or the log truncated)", missing[0])
    return result(2, True, f"chain unbroken from the genesis hash, versions 1…{expected - 1} contiguous")


def _check_inclusion(ledger: Any, sid: str, stored: list[Any], digests: dict[int, str],
                     cp: dict[str, Any] | None) -> tuple[list[int], list[int], dict]:
    versions = [s.originator_version for s in stored]
    if cp is None or not isinstance(cp.get("tree_size"), int):
        return [], versions, result(3, None, f"no signed checkpoint yet: all {len(versions)} events are not yet "
                                             "checkpointed (run `svledger checkpoint`)")
    size = cp["tree_size"]
    leaves, mine = _leaves(ledger, cp["to_position"], sid)
    covered = [v for v in versions if v in mine and mine[v] < size]
    pending = [v for v in versions if v not in covered]
    tree = _Tree(leaves[:size])
    root = bytes.fromhex(cp["merkle_root"])
    note = "" if tree.root() == root else (
        f"; the recorded log's first {size} hashes do not give the signed root (an event before the checkpoint "
        "was altered, removed or reordered)")
    for v in covered:
        if not verify_inclusion(bytes.fromhex(digests[v]), mine[v], size, tree.proof(mine[v]), root):
            return covered, pending, result(3, False, f"version {v} (leaf {mine[v]}) is not included in signed "
                                                      f"checkpoint {cp['seq']} as stored{note}", v)
    late = [v for v in pending if v > max(covered, default=0)]
    if pending != late:  # a version missing below the checkpoint: was in the log, is not any more
        return covered, pending, result(3, False, f"version {pending[0]} is not at its place in the log covered "
                                                  f"by checkpoint {cp['seq']}", pending[0])
    detail = f"{len(covered)} events included in signed checkpoint {cp['seq']} (tree size {size})"
    if pending:
        detail += f"; versions {pending[0]}…{pending[-1]} not yet checkpointed"
    return covered, pending, result(3, True, detail)


def _leaves(ledger: Any, stop: int, sid: str) -> tuple[list[bytes], dict[int, int]]:
    """Recorded event hashes in log order up to ``stop`` and the leaf index of each version of ``sid``."""
    found: list[bytes] = []
    mine: dict[int, int] = {}
    for n, digest in leaves(ledger, stop=stop):
        if str(n.originator_id) == sid:
            mine[n.originator_version] = len(found)
        found.append(bytes.fromhex(digest) if digest else b"")
    return found, mine


class _Tree:
    """RFC 6962 subtree roots, memoised, so k inclusion proofs cost O(n + k log n) hashes."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.leaves, self.memo = leaves, {}

    def root(self, lo: int = 0, hi: int | None = None) -> bytes:
        hi = len(self.leaves) if hi is None else hi
        if hi - lo == 0:
            return EMPTY_ROOT
        if hi - lo == 1:
            return leaf_hash(self.leaves[lo])
        if (lo, hi) not in self.memo:
            k = _split(hi - lo)
            self.memo[(lo, hi)] = node_hash(self.root(lo, lo + k), self.root(lo + k, hi))
        return self.memo[(lo, hi)]

    def proof(self, index: int, lo: int = 0, hi: int | None = None) -> list[bytes]:
        hi = len(self.leaves) if hi is None else hi
        if hi - lo <= 1:
            return []
        k = _split(hi - lo)
        if index < k:
            return [*self.proof(index, lo, lo + k), self.root(lo + k, hi)]
        return [*self.proof(index - k, lo + k, hi), self.root(lo, lo + k)]


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _check_checkpoints(checkpoints: list[dict[str, Any]], public_key: str | None) -> dict:
    if not checkpoints:
        return result(4, None, "no signed checkpoint yet")
    previous: dict[str, Any] | None = None
    keys = set()
    for cp in checkpoints:
        seq = cp.get("seq")
        try:
            if "unreadable_version" in cp:
                return result(4, False, f"checkpoint event {cp['unreadable_version']} is unreadable")
            if checkpoint_hash(cp) != cp["checkpoint_hash"]:
                return result(4, False, f"checkpoint {seq}: checkpoint_hash does not match its fields")
            key = public_key or cp["public_key"]
            if signing.key_id(key) != cp["signer_key_id"] or not signing.valid(key, signed_body(cp), cp["signature"]):
                return result(4, False, f"checkpoint {seq}: signature invalid for key {signing.key_id(key)}")
            keys.add(cp["signer_key_id"])
            if previous is None and (seq != 1 or cp.get("prev_checkpoint_hash")):
                return result(4, False, f"checkpoint {seq}: the first checkpoint must have seq 1 and no predecessor")
            if previous is not None and (seq != previous["seq"] + 1
                                         or cp.get("prev_checkpoint_hash") != previous["checkpoint_hash"]
                                         or cp["tree_size"] <= previous["tree_size"]):
                return result(4, False, f"checkpoint {seq}: does not extend checkpoint {previous['seq']}")
        except (KeyError, TypeError, ValueError) as exc:
            return result(4, False, f"checkpoint {seq}: malformed ({exc})")
        previous = cp
    trust = "the trusted key" if public_key else f"key{'s' if len(keys) > 1 else ''} {', '.join(sorted(keys))}"
    return result(4, True, f"{len(checkpoints)} checkpoints: hashes and signatures valid ({trust}), one chain "
                           f"of growing tree sizes up to {previous['tree_size']}")


# --- checks 6 and 7: over decoded events {version, event_type, meta, data} -----------------------------------

def corrections_check(events: Iterable[dict[str, Any]]) -> dict:
    """Check 6: each EventCorrected/EventVoided targets an earlier event of this stream and carries approvals."""
    seen: dict[str, int] = {}
    count = 0
    for ev in events:
        if ev["event_type"] in CORRECTIONS:
            count += 1
            target = str(ev["data"].get("target_event_id"))
            if target not in seen:
                return result(6, False, f"version {ev['version']} ({ev['event_type']}) targets {target}, which is "
                                        "not an earlier event of this stream", ev["version"])
            if not ev["meta"].get("approvals"):
                return result(6, False, f"version {ev['version']} ({ev['event_type']}) carries no approval",
                              ev["version"])
        if ev["meta"].get("event_id"):
            seen[str(ev["meta"]["event_id"])] = ev["version"]
    return result(6, True, f"{count} corrections/voids, each of an earlier event of this stream, approved"
                  if count else "no corrections or voids in this stream")


def approvals_check(events: Iterable[dict[str, Any]]) -> dict:
    """Check 7: every approval is by a supervisor who is not the event's actor."""
    count = 0
    for ev in events:
        actor = (ev["meta"].get("actor") or {}).get("user_id")
        for a in ev["meta"].get("approvals") or []:
            count += 1
            if a.get("approver_user_id") == actor:
                return result(7, False, f"version {ev['version']} ({ev['event_type']}) is approved by its own actor "
                                        f"{actor}", ev["version"])
            if a.get("approver_role") != "supervisor":
                return result(7, False, f"version {ev['version']} ({ev['event_type']}) is approved by "
                                        f"{a.get('approver_user_id')} as {a.get('approver_role')}, not a supervisor",
                              ev["version"])
    return result(7, True, (f"{count} approvals, each by a supervisor other than the actor" if count
                            else "no approvals in this stream") + " (conflicts of interest are checked against the "
                           "registry at recording time, not offline)")
