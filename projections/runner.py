"""The projector: follows the notification log in order and applies events to every read model in
batches, writing rows and the tracking position in the same transaction (exactly once per event,
even after a crash). Positions may have gaps: it only ever asks for "greater than last seen".

A batch (``BATCH_SIZE`` events) is one transaction in which each read model reads the rows it needs once
(``Projection.prefetch``), applies the events in memory and writes each table once (``projections.base``);
while catching up, a thread reads and decodes the next batch meanwhile (``_Batches``)."""

from __future__ import annotations

import gc
import logging
import queue
import select
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import psycopg

from projections.base import Projection
from projections.db import ReadDb, Tx
from projections.events import LoggedEvent, decode
from projections.log import LogReader

TRACKING_DDL = ("CREATE TABLE IF NOT EXISTS projection_tracking (name TEXT PRIMARY KEY, position BIGINT NOT NULL, "
                "recorded_us BIGINT NOT NULL DEFAULT 0, updated_us BIGINT NOT NULL DEFAULT 0, "
                "rate REAL NOT NULL DEFAULT 0)")
BATCH_SIZE = 5000  # events per transaction: every read model reads and writes each of its tables once per batch
CHECKPOINT_EVERY_EVENTS = 1000  # domain.md §10: every 1,000 events or 15 minutes
CHECKPOINT_EVERY_SECONDS = 15 * 60.0
CHECKPOINT_RETRY_SECONDS = 60.0
READ_AHEAD_JOIN_SECONDS = 30.0
log = logging.getLogger("svledger.projector")


@dataclass(frozen=True)
class Lag:
    name: str
    position: int
    head: int
    events_behind: int
    seconds_behind: float
    rate: float = 0.0  # events/s of the last batch


def all_projections(prefix: str = "") -> list[Projection]:
    from projections.registry import PROJECTIONS

    return [cls(prefix) for cls in PROJECTIONS]


class Projector:
    """One reader feeding several projections; each projection tracks its own position, so one can
    be rebuilt and swapped in while the others keep going."""

    def __init__(self, ledger: Any, projections: Sequence[Projection] | None = None, *,
                 batch_size: int = BATCH_SIZE) -> None:
        self.ledger = ledger
        self.projections = list(projections) if projections is not None else all_projections()
        self.batch_size = batch_size
        self.db = ReadDb(ledger.settings)
        self.create_tables()

    def tracking_name(self, projection: Projection) -> str:
        return projection.prefix + projection.name

    def create_tables(self) -> None:
        with self.db.transaction() as tx:
            tx.execute(TRACKING_DDL)
            for p in self.projections:
                p.create(tx)

    def positions(self, tx: Tx | None = None) -> dict[str, int]:
        names = [self.tracking_name(p) for p in self.projections]
        marks = ", ".join("?" for _ in names)
        lock = " FOR UPDATE" if self.db.is_postgres and tx is not None else ""
        sql = f"SELECT name, position FROM projection_tracking WHERE name IN ({marks}){lock}"
        rows = tx.execute(sql, names) if tx is not None else self.db.query(sql, names)
        found = {name: int(pos) for name, pos in rows}
        return {name: found.get(name, 0) for name in names}

    def position(self) -> int:
        return min(self.positions().values(), default=0)

    def run_once(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Catch up with the log; returns the number of events read. While catching up (full batches)
        the next batch is read and decoded by a thread while the current one is applied."""
        applied = 0
        head = self.ledger.recorder.max_notification_id() or 0
        prepared = tuple(dict.fromkeys(name for p in self.projections for name in p.prepared))
        with _gc_paused(), _Batches(LogReader(self.ledger), self.position() + 1, self.batch_size,
                                    prepared) as batches:
            for events in batches:
                self.apply_events(events)
                applied += len(events)
                if progress:
                    progress(events[-1].position, max(head, events[-1].position))
        return applied

    def apply_batch(self, batch: Sequence[Any]) -> None:
        self.apply_events([decode(n) for n in batch])

    def apply_events(self, events: Sequence[LoggedEvent]) -> None:
        """One transaction: every read model applies the events past its position (each table read and
        written once), then every position is written (one statement) before the commit."""
        started = time.monotonic()
        with self.db.transaction() as tx:
            positions = self.positions(tx)  # read (and on PostgreSQL lock) inside the batch transaction
            marks = []
            for p in self.projections:
                done = positions[self.tracking_name(p)]
                todo = events if not events or events[0].position > done else [
                    ev for ev in events if ev.position > done]
                if not todo:
                    continue
                p.apply_batch(tx, todo)
                rate = len(todo) / max(time.monotonic() - started, 1e-6)
                marks.append(self._mark(self.tracking_name(p), todo[-1].position, todo[-1].recorded_us, rate))
            self._track(tx, marks)

    @staticmethod
    def _mark(name: str, position: int, recorded_us: int, rate: float = 0.0) -> tuple[Any, ...]:
        """Position, and the rate of the batch (events/s, the whole batch: all read models share it)."""
        return (name, position, recorded_us, int(datetime.now(timezone.utc).timestamp() * 1_000_000), rate)

    def _track(self, tx: Tx, marks: Sequence[tuple[Any, ...]]) -> None:
        tx.executemany("INSERT INTO projection_tracking (name, position, recorded_us, updated_us, rate) VALUES "
                       "(?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position, "
                       "recorded_us = excluded.recorded_us, updated_us = excluded.updated_us, rate = excluded.rate",
                       marks)

    def lag(self) -> list[Lag]:
        """Events and seconds behind the log head, per projection."""
        head = self.ledger.recorder.max_notification_id() or 0
        lags = []
        rates = dict(self.db.query("SELECT name, rate FROM projection_tracking"))
        for name, position in self.positions().items():
            seconds = 0.0
            if head > position:
                nxt = self.ledger.recorder.select_notifications(start=position + 1, limit=1)
                if nxt:
                    seconds = max(0.0, time.time() - decode(nxt[0]).recorded_at.timestamp())
            lags.append(Lag(name, position, head, max(head - position, 0), seconds, float(rates.get(name, 0.0))))
        return lags

    def run_forever(self, poll_seconds: float = 1.0, stop: Callable[[], bool] = lambda: False, *,
                    checkpoint_every_events: int | None = CHECKPOINT_EVERY_EVENTS,
                    checkpoint_every_seconds: float | None = CHECKPOINT_EVERY_SECONDS) -> None:
        """Catch up, then wait for new events (LISTEN/NOTIFY on PostgreSQL, polling otherwise);
        a dropped connection is reopened and the projector resumes from its tracked position.
        After a catch-up, a signed checkpoint is appended once ``checkpoint_every_events`` events were read
        or ``checkpoint_every_seconds`` passed (with new events) since the last one (domain.md §10: every
        1,000 events or 15 minutes); ``None`` turns a threshold off."""
        listener = None
        self._since_checkpoint, self._last_checkpoint, self._retry_at = 0, time.monotonic(), 0.0
        while not stop():
            try:
                self._since_checkpoint += self.run_once()
                self._maybe_checkpoint(checkpoint_every_events, checkpoint_every_seconds)
                listener = listener or self._listen()
                self._wait(listener, poll_seconds)
            except (psycopg.OperationalError, psycopg.InterfaceError):
                listener = _close(listener)
                self.db.close()
                time.sleep(poll_seconds)

    def _maybe_checkpoint(self, every_events: int | None, every_seconds: float | None) -> None:
        since = max(self._since_checkpoint, 0)  # -1 right after one: its own event is not news
        due = ((every_events is not None and since >= every_events)
               or (every_seconds is not None and since > 0
                   and time.monotonic() - self._last_checkpoint >= every_seconds))
        if not due or time.monotonic() < self._retry_at:
            return
        from infra.checkpoints import make_checkpoint

        try:
            made = make_checkpoint(self.ledger)
        except Exception:  # noqa: BLE001 - a failure to sign must not stop projecting
            log.exception("checkpoint failed; projecting goes on, retrying in %.0f s", CHECKPOINT_RETRY_SECONDS)
            self._retry_at = time.monotonic() + CHECKPOINT_RETRY_SECONDS  # not at every poll
            return
        self._since_checkpoint, self._last_checkpoint = (-1 if made else 0), time.monotonic()
        if made:
            log.info("checkpoint %s: tree size %s, root %s", made["seq"], made["tree_size"], made["merkle_root"])

    def _listen(self) -> Any:
        if not self.db.is_postgres:
            return None
        conn = psycopg.connect(self.ledger.settings.database_url, autocommit=True, connect_timeout=5)
        conn.execute(f"LISTEN {self.ledger.recorder.channel_name}")
        return conn

    def _wait(self, listener: Any, timeout: float) -> None:
        if listener is None:
            time.sleep(timeout)
            return
        if select.select([listener.fileno()], [], [], timeout)[0]:
            for _ in listener.notifies(timeout=0, stop_after=100):
                pass


class _Batches:
    """The log from ``start`` on, as decoded batches of at most ``size`` events, in order; iteration ends
    at the first empty read. Batches are read when asked; once one is full (a catch-up), a thread
    reads and decodes the following ones (and computes what the read models declare as ``prepared``),
    one ahead of the batch being applied, so that the projector's database waits and the reading
    overlap. Each read starts after the last event read (what ``position() + 1`` is once the previous
    batch committed); events a read model already has are skipped by ``apply_events``."""

    def __init__(self, reader: LogReader, start: int, size: int, prepared: Sequence[str] = ()) -> None:
        self.reader, self.start, self.size, self.prepared = reader, start, size, prepared
        self.ready: queue.Queue[Any] = queue.Queue(maxsize=1)
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def read(self) -> list[LoggedEvent]:
        events = self.reader.read(self.start, self.size)
        for name in self.prepared:  # what the read models will ask of every event (e.g. its JSON texts)
            for ev in events:
                getattr(ev, name)
        if events:
            self.start = events[-1].position + 1
        return events

    def __iter__(self) -> Iterator[list[LoggedEvent]]:
        events = self.read()
        while 0 < len(events) < self.size:  # following the head: read on until a read finds nothing
            yield events
            events = self.read()
        if not events:
            return
        self.thread = threading.Thread(target=self._read_ahead, name="projector-read-ahead", daemon=True)
        self.thread.start()
        while True:
            yield events
            events = self.ready.get()
            if isinstance(events, BaseException):
                raise events
            if not events:
                return

    def _read_ahead(self) -> None:
        while not self.stop.is_set():
            try:
                events: Any = self.read()
            except BaseException as error:  # noqa: BLE001 - handed to the iterating thread
                events = error
            while not self.stop.is_set():
                try:
                    self.ready.put(events, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if not events or isinstance(events, BaseException):
                return

    def __enter__(self) -> _Batches:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=READ_AHEAD_JOIN_SECONDS)  # a read in flight ends on its own (daemon)
            if self.thread.is_alive():
                return  # its connection is closed when the read ends and the reader is collected
        self.reader.close()


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while the log is read, decoded and applied: a batch allocates ~100
    containers per event, all freed by reference counting, and the collector's passes over them cost a
    third of decoding. Nested and concurrent pauses (several projectors) count; the last one restores it."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


def _close(conn: Any) -> None:
    if conn is not None:
        try:
            conn.close()
        except psycopg.Error:
            pass
    return None

