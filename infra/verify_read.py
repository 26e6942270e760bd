"""The reading half of ``svledger verify``: one consistent snapshot of the database (``snapshot``) and the
log read from it in large batches together with the recorded hashes (``SQLiteSource``, ``PostgresSource``).

SQLite joins ``event_hashes`` on the rowid (its rows are written in the same transaction and order as the
events; the scan checks the key row by row and looks it up by key when they are not aligned); PostgreSQL
reads the hash rows as a second stream in their physical order and matches them by key (``HashStream``),
the next batch read by a thread (``prefetched``)."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from typing import Any
from uuid import UUID

from infra.verify_scan import CHECKPOINT_TOPIC, NO_HASH, Scan

BATCH = 10_000
_CURSOR_NUMBERS = itertools.count(1)
FIRST_BATCH = 1_000  # read ahead by a thread: a small first batch, so checking starts early
PREFETCH_MIN = 50_000
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
            # a name of its own: a stream whose object was freed leaves its cursor open until the transaction
            # ends, and the next object may get the same id()
            self.cursor = source.conn.cursor(name=f"svl_verify_hashes_{next(_CURSOR_NUMBERS)}",
                                             row_factory=source._tuple_row,
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
