"""The projector: follows the notification log in order and applies events to every read model in
batches, writing rows and the tracking position in the same transaction (exactly once per event,
even after a crash). Positions may have gaps: it only ever asks for "greater than last seen"."""

from __future__ import annotations

import logging
import select
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import psycopg

from projections.base import Projection
from projections.db import ReadDb, Tx
from projections.events import decode

TRACKING_DDL = ("CREATE TABLE IF NOT EXISTS projection_tracking (name TEXT PRIMARY KEY, position BIGINT NOT NULL, "
                "recorded_us BIGINT NOT NULL DEFAULT 0, updated_us BIGINT NOT NULL DEFAULT 0, "
                "rate REAL NOT NULL DEFAULT 0)")
BATCH_SIZE = 500
CHECKPOINT_EVERY_EVENTS = 1000  # domain.md §10: every 1,000 events or 15 minutes
CHECKPOINT_EVERY_SECONDS = 15 * 60.0
CHECKPOINT_RETRY_SECONDS = 60.0
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
        """Catch up with the log; returns the number of events read."""
        applied = 0
        head = self.ledger.recorder.max_notification_id() or 0
        while True:
            batch = self.ledger.recorder.select_notifications(start=self.position() + 1, limit=self.batch_size)
            if not batch:
                return applied
            self.apply_batch(batch)
            applied += len(batch)
            if progress:
                progress(batch[-1].id, max(head, batch[-1].id))

    def apply_batch(self, batch: Sequence[Any]) -> None:
        started = time.monotonic()
        events = [decode(n) for n in batch]
        with self.db.transaction() as tx:
            positions = self.positions(tx)  # read (and on PostgreSQL lock) inside the batch transaction
            for p in self.projections:
                done = positions[self.tracking_name(p)]
                todo = [ev for ev in events if ev.position > done]
                if not todo:
                    continue
                p.begin_batch(tx)
                for ev in todo:
                    p.apply(tx, ev)
                p.end_batch(tx)
                rate = len(todo) / max(time.monotonic() - started, 1e-6)
                self._track(tx, self.tracking_name(p), todo[-1].position, todo[-1].recorded_us, rate)

    def _track(self, tx: Tx, name: str, position: int, recorded_us: int, rate: float = 0.0) -> None:
        """Position, and the rate of the batch (events/s, the whole batch: all read models share it)."""
        now = int(datetime.now(timezone.utc).timestamp() * 1_000_000)
        tx.execute("INSERT INTO projection_tracking (name, position, recorded_us, updated_us, rate) VALUES "
                   "(?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position, "
                   "recorded_us = excluded.recorded_us, updated_us = excluded.updated_us, rate = excluded.rate",
                   (name, position, recorded_us, now, rate))

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


def _close(conn: Any) -> None:
    if conn is not None:
        try:
            conn.close()
        except psycopg.Error:
            pass
    return None

