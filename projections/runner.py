"""The projector: follows the notification log in order and applies events to every read model in
batches, writing rows and the tracking position in the same transaction (exactly once per event,
even after a crash): ``projections.follower.Follower`` over the ledger's log, plus what a running projector
needs (lag, waiting for new events, signed checkpoints)."""

from __future__ import annotations

import logging
import select
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from projections.base import Projection
from projections.db import ReadDb
from projections.events import decode
from projections.follower import BATCH_SIZE, TRACKING_DDL, Follower
from projections.log import LogReader

__all__ = ["BATCH_SIZE", "TRACKING_DDL", "Lag", "Projector", "all_projections"]
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


class Projector(Follower):
    """One reader feeding several projections; each projection tracks its own position, so one can
    be rebuilt and swapped in while the others keep going."""

    def __init__(self, ledger: Any, projections: Sequence[Projection] | None = None, *,
                 batch_size: int = BATCH_SIZE) -> None:
        self.ledger = ledger
        super().__init__(ReadDb(ledger.settings), LogReader.for_ledger(ledger),
                         list(projections) if projections is not None else all_projections(), batch_size=batch_size)
        self.create_tables()

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

