"""The core of the projector, without the ledger: read models following one log (``LogReader``) in batches,
each batch one transaction holding the rows and the tracking positions (exactly once per event, even after
a crash). Positions may have gaps: it only ever asks for "greater than last seen".

A batch (``batch_size`` events) is one transaction in which each read model reads the rows it needs once
(``Projection.prefetch``), applies the events in memory and writes each table once (``projections.base``);
while catching up, a thread reads and decodes the next batch meanwhile (``projections.log.Batches``), and
a long catch-up on PostgreSQL hands some read models to a second process (``projections.split``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from projections import split
from projections.base import Projection
from projections.db import ReadDb, Tx
from projections.events import LoggedEvent, decode
from projections.log import Batches, LogReader, gc_paused

TRACKING_DDL = ("CREATE TABLE IF NOT EXISTS projection_tracking (name TEXT PRIMARY KEY, position BIGINT NOT NULL, "
                "recorded_us BIGINT NOT NULL DEFAULT 0, updated_us BIGINT NOT NULL DEFAULT 0, "
                "rate REAL NOT NULL DEFAULT 0)")
BATCH_SIZE = 5000  # events per transaction: every read model reads and writes each of its tables once per batch


class Follower:
    def __init__(self, db: ReadDb, reader: LogReader, projections: Sequence[Projection], *,
                 batch_size: int = BATCH_SIZE) -> None:
        self.db, self.reader = db, reader
        self.projections = list(projections)
        self.batch_size = batch_size

    def tracking_name(self, projection: Projection) -> str:
        return projection.prefix + projection.name

    def create_tables(self) -> None:
        with self.db.transaction() as tx:
            tx.execute(TRACKING_DDL)
            for p in self.projections:
                p.create(tx)

    def positions(self, tx: Tx | None = None, projections: Sequence[Projection] | None = None) -> dict[str, int]:
        names = [self.tracking_name(p) for p in (self.projections if projections is None else projections)]
        marks = ", ".join("?" for _ in names)
        lock = " FOR UPDATE" if self.db.is_postgres and tx is not None else ""
        sql = f"SELECT name, position FROM projection_tracking WHERE name IN ({marks}){lock}"
        rows = tx.execute(sql, names) if tx is not None else self.db.query(sql, names)
        found = {name: int(pos) for name, pos in rows}
        return {name: found.get(name, 0) for name in names}

    def position(self, projections: Sequence[Projection] | None = None) -> int:
        return min(self.positions(projections=projections).values(), default=0)

    def run_once(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Catch up with the log; returns the number of events read. While catching up (full batches)
        the next batch is read and decoded by a thread while the current one is applied; from
        ``projections.split.SPLIT_FROM_EVENTS`` events behind (PostgreSQL), some read models catch up in a
        second process meanwhile (the number returned is then what this process read)."""
        head = self.reader.head()
        if head <= self.position():  # nothing new: no read (a following projector asks every second)
            return 0
        here, there = split.plan(self, head)
        worker = split.start(self, there) if there else None
        try:
            applied = self.catch_up(here, head, progress)
        except BaseException:
            if worker is not None:
                split.finish(worker, abandon=True)
            raise
        if worker is not None:
            split.finish(worker)
        return applied

    def catch_up(self, projections: Sequence[Projection], head: int = 0,
                 progress: Callable[[int, int], None] | None = None) -> int:
        """Apply the log to ``projections`` from the position of the one furthest behind; events read."""
        applied = 0
        prepared = tuple(dict.fromkeys(name for p in projections for name in p.prepared))
        with gc_paused(), Batches(self.reader, self.position(projections) + 1, self.batch_size, prepared) as batches:
            for events in batches:
                self.apply_events(events, projections)
                applied += len(events)
                if progress:
                    progress(events[-1].position, max(head, events[-1].position))
        return applied

    def apply_batch(self, batch: Sequence[Any]) -> None:
        self.apply_events([decode(n) for n in batch])

    def apply_events(self, events: Sequence[LoggedEvent], projections: Sequence[Projection] | None = None) -> None:
        """One transaction: every read model applies the events past its position (each table read and
        written once), then every position is written (one statement) before the commit."""
        started = time.monotonic()
        projections = self.projections if projections is None else projections
        with self.db.transaction() as tx:
            positions = self.positions(tx, projections)  # read (and on PostgreSQL lock) inside the transaction
            marks = []
            for p in projections:
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
