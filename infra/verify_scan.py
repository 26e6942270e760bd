"""The checking half of ``svledger verify``: ``Scan`` recomputes every event hash and chain link of rows read in
log order and collects what the Merkle checks need (the recorded hashes in log order, packed, and the
checkpoint events). The rows come from ``infra.verify_read``; ``infra.verify_fast`` runs a scan over a range.

One row per event, ``(position, originator id, version, topic, state, recorded stream id, recorded version,
recorded prev_hash, recorded event_hash)`` (the recorded columns are those of the event's own key).

Each row takes the fast path when it is the regular case (the stream's previous event was seen, versions
follow, ``prev_hash`` is the previous recorded hash, the recorded key matches and the hash recomputes), or
``Scan._first`` for the regular first event of a stream; everything else goes through ``Scan._slow``, which
applies the checks exactly as they were specified (versions contiguous, genesis or previous hash, recorded
hash present and equal). All paths leave the same state, so a log is judged the same whichever path a row
takes (``tests/unit/test_verify_fast.py`` compares them with the original per-event check)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from infra.hashing import _PLAIN, event_hash, genesis_hash, stream_type_of

CHECKPOINT_TOPIC = "domain.checkpoint:Checkpoint.CheckpointRecorded"
NO_HASH: tuple[Any, ...] = (None, None, None, None)
_sha256 = hashlib.sha256
_HEX = frozenset("0123456789abcdef")

Problem = tuple[Any, str, Any, str]  # (position, stream_id, version, why)


def fast_event_hash(stream_id: Any, version: Any, topic: Any, state: Any, prev_hash: Any) -> str:
    """``infra.hashing.event_hash``, byte for byte: the same canonical envelope spliced into one f-string for
    plain inputs (the same ``_PLAIN`` test), the reference function for anything else."""
    if (type(state) is bytes and type(version) is int and type(stream_id) is str and type(topic) is str
            and type(prev_hash) is str and _PLAIN.match(stream_id) and _PLAIN.match(topic)
            and _PLAIN.match(prev_hash)):
        return _sha256(f'{{"prev_event_hash":"{prev_hash}","stored_sha256":"{_sha256(state).hexdigest()}",'
                       f'"stream_id":"{stream_id}","topic":"{topic}","version":{version}}}'.encode()).hexdigest()
    return event_hash(stream_id, version, topic, state, prev_hash)


def stream_type(topic: Any, state: Any) -> str:
    """``infra.hashing.stream_type_of``, without parsing the body when it cannot name another type than the
    topic's: UTF-8 (no NUL byte: not UTF-16/32), no ``\\u`` escape (a key could spell ``stream_type`` with
    them), ``stream_type`` exactly once and as ``"stream_type":"<the topic's type>"`` (an identifier: no quote
    or backslash in it). Then the parsed body either has that value in ``meta`` or no ``stream_type`` there,
    and both give the topic's type; a body that does not parse gives it too."""
    if type(state) is bytes and b"\\u" not in state and b"\x00" not in state and state.count(b"stream_type") == 1:
        try:
            default = topic.split(":")[1].split(".")[0]
        except (AttributeError, IndexError):
            return stream_type_of(topic, state)
        if default.isidentifier() and b'"stream_type":"%s"' % default.encode() in state:
            return default
    return stream_type_of(topic, state)


def is_digest(value: Any) -> bool:
    """A SHA-256 hex digest as ``hexdigest()`` writes it (64 lowercase hex characters)."""
    return type(value) is str and len(value) == 64 and _HEX.issuperset(value)


@dataclass
class Scan:
    """The state of a scan over one range of the log, in log order.

    ``last`` maps a stream id to ``(version, recorded hash)`` of its latest event when that hash is a hex
    digest, ``odd`` when it is not (those rows always take the slow path); a range that does not start at the
    beginning of the log is primed with the state the events before it leave. ``problems`` are found in log
    order; ``hexes`` holds the Merkle leaves (recorded event hashes, the recomputed one where none is
    recorded) of the current batch until ``pack`` turns them into 32-byte runs in ``packed``; a leaf that is
    not 32 bytes of hex is kept in ``odd_leaves`` (leaf index → bytes)."""

    last: dict[str, tuple[Any, str]] = field(default_factory=dict)
    odd: dict[str, tuple[Any, str]] = field(default_factory=dict)
    lookup: Callable[[str, Any], tuple[str, str] | None] | None = None
    problems: list[Problem] = field(default_factory=list)
    checkpoints: list[tuple[int, Any]] = field(default_factory=list)
    packed: list[bytes] = field(default_factory=list)
    odd_leaves: dict[int, bytes] = field(default_factory=dict)
    count: int = 0
    position: int | None = None
    hexes: list[str] = field(default_factory=list)
    ids: dict[Any, str] = field(default_factory=dict)
    plain_topics: set[str] = field(default_factory=set)
    seen_topics: set[Any] = field(default_factory=set)
    leaves_before: int = 0  # leaves in the packed runs (of a merged scan: the leaves before its pyramids)
    defer: bool = False  # a range after another one checked at the same time: see ``deferred``
    # the first event of each stream in a deferring range, (stream id, version, recorded prev_hash; None for
    # version 1): checked as if the stream's state before the range were (version - 1, that prev_hash), which
    # ``continues`` then compares with the state the range before it left
    deferred: list[tuple[str, Any, str | None]] = field(default_factory=list)
    unrecorded: int = 0  # events without a recorded hash
    pyramids: list[Any] = field(default_factory=list)  # infra.merkle.Pyramid of the leaves, once built
    seconds: dict[str, float] = field(default_factory=dict)  # where the time went (wall clock)
    touched: set[str] = field(default_factory=set)  # streams with events here, once ``ids`` is dropped

    def streams(self) -> set[str]:
        """The streams with events in the scanned range."""
        return self.touched | set(self.ids.values())

    def prime(self, state: dict[str, tuple[Any, str]]) -> Scan:
        for sid, head in state.items():
            self._set(sid, head)
        return self

    def heads(self) -> dict[str, tuple[Any, str]]:
        """Every stream's latest ``(version, hash)``."""
        return {**self.last, **self.odd}

    def continues(self, before: dict[str, tuple[Any, str]]) -> bool:
        """True when this (deferring) range continues the state ``before`` it exactly as a scan over both
        would have found: each stream's first event here follows the stream's last one there."""
        for sid, version, prev in self.deferred:
            head = before.get(sid)
            if prev is None:  # version 1: the stream must start here
                if head is not None:
                    return False
            elif head is None or head[0] + 1 != version or head[1] != prev:
                return False
        return True

    def feed(self, rows: list[tuple[Any, ...]], hashes: list[tuple[Any, ...]] | None = None) -> None:
        """Check one batch: ``rows`` as the module docstring says, or, with ``hashes``, the first five columns
        in ``rows`` and the hash row of each in ``hashes`` (no nine-column tuple made per event)."""
        if not rows:
            return
        last, ids, plain, sha, slow, first = self.last, self.ids, self.plain_topics, _sha256, self._slow, self._first
        append = self.hexes.append
        # the regular case; lv[1] (hence prev) is a hex digest, sid comes from str(UUID), topic was tested with
        # _PLAIN: the f-string is the canonical envelope of infra.hashing.event_hash
        if hashes is None:
            for row in rows:
                pos, oid, version, topic, state, hsid, hver, prev, digest = row
                sid = ids.get(oid)
                lv = last.get(sid)  # type: ignore[arg-type]
                try:
                    if (lv is not None and hsid == sid and hver == version and type(version) is int
                            and lv[0] + 1 == version and prev == lv[1] and topic in plain
                            and sha(f'{{"prev_event_hash":"{prev}","stored_sha256":"{sha(state).hexdigest()}",'
                                    f'"stream_id":"{sid}","topic":"{topic}","version":{version}}}'.encode()
                                    ).hexdigest() == digest):
                        last[sid] = (version, digest)  # type: ignore[index]
                        append(digest)
                        continue
                except TypeError:  # a tampered row holding text or NULL where bytes belong
                    pass
                if lv is None and version == 1 and first(row):
                    continue
                slow(row)
        else:
            for (pos, oid, version, topic, state), (hsid, hver, prev, digest) in zip(rows, hashes):
                sid = ids.get(oid)
                lv = last.get(sid)  # type: ignore[arg-type]
                try:
                    if (lv is not None and hsid == sid and hver == version and type(version) is int
                            and lv[0] + 1 == version and prev == lv[1] and topic in plain
                            and sha(f'{{"prev_event_hash":"{prev}","stored_sha256":"{sha(state).hexdigest()}",'
                                    f'"stream_id":"{sid}","topic":"{topic}","version":{version}}}'.encode()
                                    ).hexdigest() == digest):
                        last[sid] = (version, digest)  # type: ignore[index]
                        append(digest)
                        continue
                except TypeError:
                    pass
                row = (pos, oid, version, topic, state, hsid, hver, prev, digest)
                if lv is None and version == 1 and first(row):
                    continue
                slow(row)
        self.count += len(rows)
        self.position = rows[-1][0]
        self.pack()

    def pack(self) -> None:
        hexes = self.hexes
        if hexes:
            blob = bytes.fromhex("".join(hexes))
            if len(blob) != 32 * len(hexes):  # cannot happen: every leaf in hexes is 64 hex characters
                raise AssertionError("a Merkle leaf is not a SHA-256 hex digest")
            self.packed.append(blob)
            self.leaves_before += len(hexes)
            hexes.clear()

    def leaves(self) -> bytes:
        self.pack()
        return b"".join(self.packed)

    def _fail(self, position: Any, sid: str, version: Any, why: str) -> None:
        self.problems.append((position, sid, version, why))

    def _set(self, sid: str, head: tuple[Any, str]) -> None:
        if is_digest(head[1]):
            self.last[sid] = head
            self.odd.pop(sid, None)
        else:
            self.odd[sid] = head
            self.last.pop(sid, None)

    def _leaf(self, value: Any) -> None:
        try:
            leaf = bytes.fromhex(value)
        except (TypeError, ValueError):
            leaf = b""
        if len(leaf) == 32 and len(value) == 64:
            self.hexes.append(leaf.hex())
        else:  # not a hex digest: into the tree as its bytes (it never gives a signed root)
            self.odd_leaves[self.leaves_before + len(self.hexes)] = str(value or "").encode()
            self.hexes.append("0" * 64)

    def _first(self, row: tuple[Any, ...]) -> bool:
        """The regular first event of a stream (version 1, its hash row, the genesis hash of the stream type
        its body names, the hash recomputes): what ``_slow`` would find and leave, without its general
        checks. False (nothing changed) for anything else."""
        pos, oid, version, topic, state, hsid, hver, prev, digest = row
        if type(version) is not int or hver != 1 or topic not in self.plain_topics:
            return False
        sid = self.ids.get(oid)
        if sid is None:
            try:
                sid = self.ids[oid] = str(UUID(str(oid)))
            except ValueError:
                return False
        if hsid != sid or sid in self.last or sid in self.odd:
            return False
        try:
            stored = _sha256(state).hexdigest()
            if prev != genesis_hash(stream_type(topic, state), sid):
                return False
        except Exception:  # noqa: BLE001 - whatever it is, _slow reports it
            return False
        if _sha256(f'{{"prev_event_hash":"{prev}","stored_sha256":"{stored}","stream_id":"{sid}",'
                   f'"topic":"{topic}","version":1}}'.encode()).hexdigest() != digest:
            return False
        self.last[sid] = (1, digest)
        self.hexes.append(digest)
        if self.defer:
            self.deferred.append((sid, 1, None))
        return True

    def _slow(self, row: tuple[Any, ...]) -> None:
        """The checks as specified, for any row: versions contiguous from 1, the chain from the genesis hash
        through each recorded ``prev_hash``, the recorded hash present and recomputed from the stored bytes.
        The state goes on from the recorded chain, so each break is reported once."""
        pos, oid, version, topic, state, hsid, hver, prev, digest = row
        if topic == CHECKPOINT_TOPIC:
            self.checkpoints.append((pos, state))
        elif topic not in self.seen_topics:
            self.seen_topics.add(topic)
            if type(topic) is str and _PLAIN.match(topic) and "\n" not in topic:
                self.plain_topics.add(topic)
        sid = self.ids.get(oid)
        if sid is None:
            try:
                sid = self.ids[oid] = str(UUID(str(oid)))
            except ValueError:
                self._fail(pos, str(oid), version, "the stored event's stream id is not a UUID")
                self._leaf(digest if hsid is not None else "")
                return
        if hsid == sid and hver == version:
            recorded: tuple[str, str] | None = (prev, digest)
        else:
            recorded = self.lookup(sid, version) if self.lookup else None
        head = self.odd.get(sid) or self.last.get(sid)
        if head is None and self.defer:  # the stream's state before the range is checked by the caller
            head = (version - 1, recorded[0]) if recorded and type(version) is int and version > 1 else (0, "")
            self.deferred.append((sid, version, head[1] if version != 1 else None))
        previous_version, previous_hash = head or (0, "")
        try:
            contiguous = version == previous_version + 1
        except TypeError:
            contiguous = False
        if not contiguous:
            self._fail(pos, sid, version, f"version {version} follows {previous_version}: not contiguous "
                                          "(reordered, deleted or inserted rows)")
        try:
            expected = genesis_hash(stream_type(topic, state), sid) if version == 1 else previous_hash
            computed = fast_event_hash(sid, version, topic, state, expected) if recorded is None or (
                recorded[0] == expected) else ""
        except (TypeError, ValueError, AttributeError, IndexError) as exc:  # NULL state or topic, odd types
            self._fail(pos, sid, version, f"the stored event cannot be read ({type(exc).__name__}: {exc})")
            self._set(sid, (version, recorded[1] if recorded else ""))
            self._leaf(recorded[1] if recorded else "")
            return
        if recorded is None:
            self.unrecorded += 1
            self._fail(pos, sid, version, "no recorded hash for this event")
        elif recorded[0] != expected:
            self._fail(pos, sid, version, "chain broken: prev_event_hash differs from the previous event's hash")
        elif recorded[1] != computed:
            self._fail(pos, sid, version, "event_hash mismatch: the stored event was altered")
        leaf = recorded[1] if recorded else computed  # go on from the recorded chain: report each break once
        self._set(sid, (version, leaf))
        self._leaf(leaf)

