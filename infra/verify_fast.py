"""The scanning half of ``svledger verify`` (``infra.verify``): read a range of the log together with the
recorded hashes in large batches, recompute every event hash and chain link, and collect what the
Merkle checks need (the recorded hashes in log order, packed, and the checkpoint events).

One row per event, ``(position, originator id, version, topic, state, recorded stream id, recorded version,
recorded prev_hash, recorded event_hash)``. The recorded columns are those of the event's own key: SQLite joins
``event_hashes`` on the rowid (its rows are written in the same transaction and order as the events), and
the scan checks the key row by row, looking it up by key when they are not aligned; PostgreSQL reads the
hash rows as a second stream in their physical order and matches them by key (``HashStream``).

Each row takes the fast path when it is the regular case (the stream's previous event was seen, versions
follow, ``prev_hash`` is the previous recorded hash, the recorded key matches and the hash recomputes), or
``Scan._first`` for the regular first event of a stream; everything else goes through ``Scan._slow``, which
applies the checks exactly as they were specified (versions contiguous, genesis or previous hash, recorded
hash present and equal). All paths leave the same state, so a log is judged the same whichever path a row
takes (``tests/unit/test_verify_fast.py`` compares them with the original per-event check).

This module imports neither the ledger nor ``eventsourcing``, so a worker process starts quickly."""

from __future__ import annotations

import gc
import hashlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from infra.hashing import _PLAIN, event_hash, genesis_hash, stream_type_of
from infra.merkle import Pyramid

CHECKPOINT_TOPIC = "domain.checkpoint:Checkpoint.CheckpointRecorded"
BATCH = 10_000
FIRST_BATCH = 1_000  # read ahead by a thread: a small first batch, so checking starts early
PREFETCH_MIN = 50_000
NO_HASH: tuple[Any, ...] = (None, None, None, None)
END = 2**62  # "no upper bound" for positions
# one snapshot for the whole run, however long the checks between two reads take (the pool's connections
# end a transaction left idle for a few seconds); hash rows in their physical order (no scan joining another
# one half-way); events in log order from the index, never sorted (a sort is the planner's choice on a table
# without statistics yet, and 5-10 times slower)
BEGIN = ("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL idle_in_transaction_session_timeout = 0; "
         "SET LOCAL synchronize_seqscans = off; SET LOCAL enable_sort = off")
# SQLite reads the database file through a memory map (up to its build's limit, often 2 GB): ~15 % less CPU
# than a read() per page. Only while verifying, on a file that a read transaction keeps from shrinking.
MMAP_SIZE = 1 << 40
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


# --- sources: one snapshot of the database -----------------------------------------------------------------

class SQLiteSource:
    """Reads of the events and ``event_hashes`` tables of a SQLite database, inside one read transaction
    opened by the caller."""

    def __init__(self, conn: sqlite3.Connection, table: str = "stored_events") -> None:
        self.conn, self.table = conn, table
        self._recorded: dict[tuple[str, Any], tuple[str, str]] | None = None

    def _cursor(self) -> sqlite3.Cursor:
        cur = self.conn.cursor()
        cur.row_factory = None
        return cur

    def head(self, stop: int | None, count: bool = False) -> int:
        sql = f"SELECT MAX(rowid) FROM {self.table}" + (" WHERE rowid <= ?" if stop is not None else "")
        return int(self._cursor().execute(sql, () if stop is None else (stop,)).fetchone()[0] or 0)

    def rows(self, after: int, upto: int | None, batch: int = BATCH) -> Iterator[tuple[list[Any], None]]:
        """Batches of nine-column rows (the hash row joined on the rowid), in log order."""
        cur = self._cursor()
        cur.execute(f"SELECT e.rowid, e.originator_id, e.originator_version, e.topic, e.state, h.stream_id, "
                    f"h.version, h.prev_hash, h.event_hash FROM {self.table} e LEFT JOIN event_hashes h "
                    "ON h.rowid = e.rowid WHERE e.rowid > ? AND e.rowid <= ? ORDER BY e.rowid",
                    (after, END if upto is None else upto))
        while True:
            rows = cur.fetchmany(batch)
            if not rows:
                return
            yield rows, None

    def count(self, after: int, upto: int) -> int:
        return int(self._cursor().execute(f"SELECT COUNT(*) FROM {self.table} WHERE rowid > ? AND rowid <= ?",
                                          (after, upto)).fetchone()[0])

    def recorded_count(self) -> int:
        return int(self._cursor().execute("SELECT COUNT(*) FROM event_hashes").fetchone()[0])

    def lookup(self, sid: str, version: Any) -> tuple[str, str] | None:
        """A recorded ``(prev_hash, event_hash)`` by key, for rows whose hash row is not at the same rowid."""
        if self._recorded is None:
            rows = self._cursor().execute("SELECT stream_id, version, prev_hash, event_hash FROM event_hashes")
            self._recorded = {(sid_, v): (p, h) for sid_, v, p, h in rows}
        return self._recorded.get((sid, version))

    def prior(self, upto: int) -> dict[str, tuple[Any, str]]:
        """The scan state the events at positions <= ``upto`` leave when they verify: each stream's highest
        version there with its recorded hash."""
        out: dict[str, tuple[Any, str]] = {}
        rows = self._cursor().execute(f"SELECT originator_id, MAX(originator_version) FROM {self.table} "
                                      "WHERE rowid <= ? GROUP BY originator_id", (upto,)).fetchall()
        keys = []
        for oid, version in rows:
            try:
                keys.append((str(UUID(str(oid))), version))
            except ValueError:
                continue
        cur = self._cursor()
        for i in range(0, len(keys), 400):
            chunk = keys[i:i + 400]
            values = ",".join("(?,?)" for _ in chunk)
            cur.execute(f"WITH k(s, v) AS (VALUES {values}) SELECT k.s, k.v, h.event_hash FROM k "
                        "LEFT JOIN event_hashes h ON h.stream_id = k.s AND h.version = k.v",
                        [x for key in chunk for x in key])
            out.update((s, (v, h or "")) for s, v, h in cur.fetchall())
        return out

    def recorded_heads(self) -> list[tuple[str, Any]]:
        """``(stream_id, highest recorded version)`` of every stream in ``event_hashes``."""
        return self._cursor().execute("SELECT stream_id, MAX(version) FROM event_hashes GROUP BY stream_id "
                                      "ORDER BY stream_id").fetchall()

    def checkpoints(self, upto: int) -> list[tuple[int, Any]]:
        return self._cursor().execute(f"SELECT rowid, state FROM {self.table} WHERE topic = ? AND rowid <= ? "
                                      "ORDER BY rowid", (CHECKPOINT_TOPIC, upto)).fetchall()

    def leaf_range(self, after: int, upto: int | None) -> Scan:
        """The recorded hashes of the events at positions ``after < p <= upto``, in log order, as Merkle
        leaves (``Scan.leaves``; a missing one is the empty leaf), without reading the events' bodies."""
        scan = Scan(lookup=self.lookup)
        cur = self._cursor()
        cur.execute(f"SELECT e.rowid, e.originator_id, e.originator_version, h.stream_id, h.version, "
                    f"h.event_hash FROM {self.table} e LEFT JOIN event_hashes h ON h.rowid = e.rowid "
                    "WHERE e.rowid > ? AND e.rowid <= ? ORDER BY e.rowid", (after, END if upto is None else upto))
        _leaves_only(scan, iter(lambda: cur.fetchmany(BATCH), []))
        return scan


class PostgresSource:
    """The same reads on PostgreSQL, inside one REPEATABLE READ transaction opened by the caller (which
    worker processes join with ``SET TRANSACTION SNAPSHOT``)."""

    def __init__(self, conn: Any, table: str = "stored_events") -> None:
        from psycopg.rows import tuple_row

        self.conn, self.table, self._tuple_row = conn, table, tuple_row
        self._recorded_count: int | None = None

    def _cursor(self, binary: bool = False) -> Any:
        return self.conn.cursor(row_factory=self._tuple_row, binary=binary)

    def head(self, stop: int | None, count: bool = False) -> int:
        """The last position up to ``stop``; with ``count``, the number of hash rows too (``recorded_count``),
        in the same round trip."""
        sql = f"SELECT (SELECT MAX(notification_id) FROM {self.table}" + (
            " WHERE notification_id <= %s)" if stop is not None else ")") + (
            ", (SELECT COUNT(*) FROM event_hashes)" if count else "")
        row = self._cursor().execute(sql, () if stop is None else (stop,)).fetchone()
        if count:
            self._recorded_count = int(row[1])
        return int(row[0] or 0)

    def rows(self, after: int, upto: int | None,
             batch: int | None = None) -> Iterator[tuple[list[Any], list[Any]]]:
        """Batches of events in log order with the hash row of each from a second stream (``HashStream``): a
        join in the query would cost the server an index lookup per event at a random place of a text key, 3-4
        times what reading the event does. A long range is read one batch ahead by a thread, so the server reads
        while this process checks."""
        upto, batch = END if upto is None else upto, batch or BATCH
        cur = self._cursor(binary=True)
        sql = (f"SELECT e.notification_id, e.originator_id::text, e.originator_version, e.topic, e.state "
               f"FROM {self.table} e WHERE e.notification_id > %s AND e.notification_id <= %s "
               "ORDER BY e.notification_id LIMIT %s")

        def batches(after: int, size: int) -> Iterator[tuple[list[Any], list[Any]]]:
            join = HashStream(self, after, upto).join
            while True:
                rows = cur.execute(sql, (after, upto, size)).fetchall()
                if rows:
                    yield rows, join(rows)
                if len(rows) < size:
                    return
                after, size = rows[-1][0], batch

        if upto - after <= PREFETCH_MIN:  # a few batches: handing them between threads costs more
            return batches(after, batch)
        return prefetched(batches(after, min(batch, FIRST_BATCH)))

    def count(self, after: int, upto: int) -> int:
        return int(self._cursor().execute(f"SELECT COUNT(*) FROM {self.table} WHERE notification_id > %s AND "
                                          "notification_id <= %s", (after, upto)).fetchone()[0])

    def recorded_count(self) -> int:
        if self._recorded_count is None:
            self._recorded_count = int(self._cursor().execute("SELECT COUNT(*) FROM event_hashes").fetchone()[0])
        return self._recorded_count

    def first_hash_block(self, after: int) -> int:
        """The heap block of the hash row of the first event after ``after`` (where a stream of hash rows for
        the events after it starts; 0 when unknown)."""
        row = self._cursor().execute(
            f"SELECT (h.ctid::text::point)[0]::bigint FROM {self.table} e JOIN event_hashes h "
            "ON h.stream_id = e.originator_id::text AND h.version = e.originator_version "
            "WHERE e.notification_id > %s ORDER BY e.notification_id LIMIT 1", (after,)).fetchone()
        return int(row[0]) if row else 0

    def recorded(self, sid: str, version: Any) -> tuple[Any, ...]:
        row = self._cursor(binary=True).execute(
            "SELECT stream_id, version, prev_hash, event_hash FROM event_hashes WHERE stream_id = %s AND version = %s",
            (sid, version)).fetchone() if type(version) is int else None
        return tuple(row) if row else NO_HASH

    def lookup(self, sid: str, version: Any) -> tuple[str, str] | None:
        return None  # HashStream hands each event its own key's row: an event without one has none

    def prior(self, upto: int) -> dict[str, tuple[Any, str]]:
        rows = self._cursor().execute(
            f"SELECT m.sid, m.v, h.event_hash FROM (SELECT originator_id::text AS sid, MAX(originator_version) "
            f"AS v FROM {self.table} WHERE notification_id <= %s GROUP BY originator_id) m "
            "LEFT JOIN event_hashes h ON h.stream_id = m.sid AND h.version = m.v", (upto,)).fetchall()
        return {s: (v, h or "") for s, v, h in rows}

    def recorded_heads(self) -> list[tuple[str, Any]]:
        return self._cursor().execute("SELECT stream_id, MAX(version) FROM event_hashes GROUP BY stream_id "
                                      "ORDER BY stream_id").fetchall()

    def checkpoints(self, upto: int) -> list[tuple[int, Any]]:
        rows = self._cursor(binary=True).execute(
            f"SELECT notification_id, state FROM {self.table} WHERE topic = %s AND notification_id <= %s "
            "ORDER BY notification_id", (CHECKPOINT_TOPIC, upto)).fetchall()
        return [(p, bytes(s) if s is not None else None) for p, s in rows]

    def leaf_range(self, after: int, upto: int | None) -> Scan:
        scan = Scan(lookup=self.lookup)
        cur = self._cursor(binary=True)
        stream = HashStream(self, after)
        sql = (f"SELECT e.notification_id, e.originator_id::text, e.originator_version FROM {self.table} e "
               "WHERE e.notification_id > %s AND e.notification_id <= %s ORDER BY e.notification_id LIMIT %s")

        def batches(after: int, upto: int) -> Iterator[list[tuple[Any, ...]]]:
            while True:
                rows = cur.execute(sql, (after, upto, BATCH * 5)).fetchall()
                if rows:
                    yield [(p, o, v, h[0], h[1], h[3]) for (p, o, v), h in zip(rows, stream.join(rows))]
                if len(rows) < BATCH * 5:
                    return
                after = rows[-1][0]

        _leaves_only(scan, batches(after, END if upto is None else upto))
        return scan


class HashStream:
    """The ``event_hashes`` rows of PostgreSQL in their physical order, matched to a stream of events by
    key. The rows are written in the transaction of their events, so the two orders agree but where writers
    overlapped or a row went into space freed by a rolled-back one: the next row is tried first, then the rows
    read ahead so far, then up to ``WINDOW`` more rows (kept for later events), and only then one query by
    key. Whatever the order, each event gets the hash row of its key, or none."""

    WINDOW = 20_000
    FETCH = 10_000

    def __init__(self, source: PostgresSource, after: int, upto: int = END) -> None:
        block = max(0, source.first_hash_block(after) - 64) if after > 0 else 0
        sql = "SELECT stream_id, version, prev_hash, event_hash FROM event_hashes" + (
            f" WHERE ctid >= '({block},0)'::tid" if block else "")
        self.source, self.pending = source, {}
        self.buffer: list[tuple[Any, ...]] = []
        self.index, self.done = 0, False
        self.table: dict[tuple[Any, Any], tuple[Any, ...]] | None = None
        if upto - after <= self.FETCH and source.recorded_count() <= self.FETCH:  # a small log: by key, at once
            self.cursor, self.done = None, True
            self.table = {(row[0], row[1]): row for row in source._cursor(binary=True).execute(sql).fetchall()}
        else:
            self.cursor = source.conn.cursor(name=f"svl_verify_hashes_{id(self)}", row_factory=source._tuple_row,
                                             binary=True)
            self.cursor.execute(sql)

    def _more(self) -> bool:
        if not self.done:
            self.buffer, self.index = self.cursor.fetchmany(self.FETCH), 0  # type: ignore[union-attr]
            self.done = not self.buffer
        return not self.done

    def join(self, events: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """The hash row (stream id, version, prev, hash) of each event row, in order."""
        if self.table is not None:
            get = self.table.get
            return [get((event[1], event[2]), NO_HASH) for event in events]
        out: list[tuple[Any, ...]] = []
        append = out.append
        buffer, i, n = self.buffer, self.index, len(self.buffer)
        for event in events:
            if i < n:
                row = buffer[i]
                if row[0] == event[1] and row[1] == event[2]:
                    append(row)
                    i += 1
                    continue
            self.index = i
            append(self._find(event[1], event[2]))
            buffer, i, n = self.buffer, self.index, len(self.buffer)
        self.index = i
        return out

    def _find(self, sid: Any, version: Any) -> tuple[Any, ...]:
        row = self.pending.pop((sid, version), None)
        if row is not None:
            return row
        for _ in range(self.WINDOW):
            if self.index >= len(self.buffer) and not self._more():
                break
            row = self.buffer[self.index]
            self.index += 1
            if row[0] == sid and row[1] == version:
                return row
            self.pending[(row[0], row[1])] = row
        return self.source.recorded(sid, version)


def prefetched(batches: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """``batches`` produced by a thread, ``depth`` ahead of the consumer. The thread waits for the database
    without the GIL; it is stopped and joined before this generator ends (also when the consumer stops
    early), so the connection is free again afterwards."""
    import queue
    import threading

    done, stop = object(), threading.Event()
    items: queue.Queue[Any] = queue.Queue(maxsize=depth)

    def produce() -> None:
        try:
            for item in batches:
                while not stop.is_set():
                    try:
                        items.put(item, timeout=0.05)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            items.put(done)
        except BaseException as exc:  # noqa: BLE001 - raised again in the consumer
            items.put(exc)

    thread = threading.Thread(target=produce, name="svledger-verify-read", daemon=True)
    thread.start()
    try:
        while True:
            item = items.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            try:
                items.get(timeout=0.05)
            except queue.Empty:
                pass
        thread.join()


def _leaves_only(scan: Scan, batches: Any) -> None:
    """Leaves only: the recorded hash of each event (by key), nothing recomputed."""
    for rows in batches:
        for pos, oid, version, hsid, hver, digest in rows:
            sid = scan.ids.get(oid)
            if sid is None:
                try:
                    sid = scan.ids[oid] = str(UUID(str(oid)))
                except ValueError:
                    sid = str(oid)
            if hsid != sid or hver != version:
                recorded = scan.lookup(sid, version) if scan.lookup else None
                digest = recorded[1] if recorded else ""
            scan._leaf(digest)
        scan.count += len(rows)
        scan.position = rows[-1][0]
        scan.pack()


def scan_range(source: Any, after: int, upto: int | None, *, prior: dict[str, tuple[Any, str]] | None = None,
               defer: bool = False, max_problems: int = 20, progress: Callable[[int], None] | None = None) -> Scan:
    """Check the events at positions ``after < p <= upto`` in log order, from the state ``prior`` (or, with
    ``defer``, leaving the state before the range to ``Scan.continues``); stops after the batch in which
    ``max_problems`` problems were found."""
    started = time.perf_counter()
    scan = Scan(lookup=source.lookup, defer=defer).prime(prior or {})
    collecting = gc.isenabled()
    gc.disable()  # the scan makes no cycles, and a collection pass per 700 new tuples costs ~15 % of it
    try:
        for rows, hashes in source.rows(after, upto):
            scan.feed(rows, hashes)
            if progress:
                progress(scan.position or after)
            if len(scan.problems) >= max_problems:
                break
    finally:
        if collecting:
            gc.enable()
    scan.seconds["scan"] = time.perf_counter() - started
    return scan


@contextmanager
def snapshot(ledger: Any) -> Iterator[tuple[Any, dict[str, Any]]]:
    """A source over one consistent snapshot of the ledger's database (SQLite: a read transaction on the
    ledger's connection; PostgreSQL: a REPEATABLE READ, READ ONLY transaction on a pooled connection) and
    what a worker process needs to read the same rows."""
    recorder, settings = ledger.recorder, ledger.settings
    table = recorder.events_table_name
    if settings.is_postgres:
        with recorder.datastore.get_connection() as conn:
            conn.execute(BEGIN)
            try:
                yield PostgresSource(conn, table), {"backend": "postgres", "url": settings.database_url,
                                                    "table": table}
            finally:
                if not conn.closed:
                    conn.execute("ROLLBACK")
        return
    with recorder.datastore.transaction(commit=False) as cursor:
        path = settings.sqlite_path
        shareable = path not in (":memory:", "") and not path.startswith("file:") and os.path.exists(path)
        conn = getattr(cursor, "sqlite_cursor", cursor).connection
        mapped = conn.execute("PRAGMA mmap_size").fetchone()[0] if shareable else None
        if shareable:  # before the first read of the transaction; the connection gets its setting back after
            conn.execute(f"PRAGMA mmap_size = {MMAP_SIZE}")
        try:
            yield SQLiteSource(conn, table), {"backend": "sqlite", "path": os.path.abspath(path) if shareable
                                              else None, "table": table}
        finally:
            if mapped is not None:
                conn.execute(f"PRAGMA mmap_size = {int(mapped)}")


# --- worker process ------------------------------------------------------------------------------------------

def worker(spec: dict[str, Any]) -> Scan | str:
    """Scan ``spec['after'] < p <= spec['upto']`` in the snapshot the parent holds (PostgreSQL: the exported
    snapshot; SQLite: read-only, bounded by the parent's head), leaving the state before it to the parent
    (``Scan.continues``); the ``Scan`` (or the error text)."""
    try:
        if spec["backend"] == "sqlite":
            from urllib.parse import quote

            db = sqlite3.connect(f"file:{quote(spec['path'])}?mode=ro", uri=True, isolation_level=None)
            try:
                db.execute(f"PRAGMA mmap_size = {MMAP_SIZE}")
                db.execute("BEGIN")
                source: Any = SQLiteSource(db, spec["table"])
                scan = scan_range(source, spec["after"], spec["upto"], defer=True, max_problems=1)
            finally:
                db.close()
        else:
            import psycopg

            with psycopg.connect(spec["url"], autocommit=True) as pg:
                pg.execute(f"{BEGIN}; SET TRANSACTION SNAPSHOT '{spec['snapshot']}'")
                source = PostgresSource(pg, spec["table"])
                scan = scan_range(source, spec["after"], spec["upto"], defer=True, max_problems=1)
                pg.execute("ROLLBACK")
        # the Merkle roots of the checkpoints in this part or, but for the last part, in a later one need it
        if (scan.checkpoints or not spec.get("last", True)) and not scan.problems:
            started = time.perf_counter()
            scan.pyramids = [Pyramid(spec["leaf_start"], scan.leaves(), scan.odd_leaves)]
            scan.seconds["pyramid"] = time.perf_counter() - started
        scan.packed, scan.hexes, scan.odd_leaves = [], [], {}
        scan.lookup = None
        scan.touched = set(scan.ids.values())
        scan.ids, scan.seen_topics, scan.plain_topics = {}, set(), set()
        return scan
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which then verifies alone
        return f"{type(exc).__name__}: {exc}"


def main() -> None:
    """The worker process (``python -c "from infra.verify_fast import main; main()"``): a job as JSON on
    stdin, the pickled result on stdout."""
    import json
    import pickle
    import sys

    result = worker(json.loads(sys.stdin.read()))
    sys.stdout.buffer.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()

