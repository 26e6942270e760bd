"""What the API builds once per process (in the lifespan) and closes at shutdown: the command layer,
the projector following the log, a read pool, the access-log recorder and the metrics."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import anyio
from starlette.concurrency import run_in_threadpool

from api.access_log import AccessRecorder
from api.auth import TokenKeys
from api.config import ApiSettings
from api.metrics import Metrics
from api.readpool import ReadPool
from infra.bootstrap import build_ledger
from infra.ledger import Ledger
from projections.runner import Projector

log = logging.getLogger("svledger.api")


@dataclass
class Services:
    settings: ApiSettings
    ledger: Ledger
    projector: Projector
    reads: ReadPool
    access: AccessRecorder
    metrics: Metrics
    keys: TokenKeys
    _project_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(cls, settings: ApiSettings, metrics: Metrics | None = None) -> Services:
        ledger = build_ledger(settings=settings.ledger)
        projector = Projector(ledger)  # creates the read-model tables when missing
        return cls(settings=settings, ledger=ledger, projector=projector,
                   reads=ReadPool(settings.ledger, settings.read_pool_size),
                   access=AccessRecorder(ledger, settings.ledger.bureau), metrics=metrics or Metrics(),
                   keys=TokenKeys(settings.jwt_secret, settings.jwt_issuer, settings.jwt_audience))

    # -- writing --------------------------------------------------------------------------------------
    def execute(self, command: str, input: Any, meta: dict[str, Any], actor: dict[str, str]) -> dict[str, Any]:
        result = self.ledger.execute(command, input, meta, actor)
        if not result.get("repeated"):
            stream_type = self.ledger.commands[command].aggregate
            self.metrics.events_appended.labels(stream_type).inc(len(result.get("events") or [result]))
        return result

    # -- read models ----------------------------------------------------------------------------------
    def catch_up(self) -> int:
        """Bring every read model up to the log head (one caller at a time); updates the lag gauges."""
        with self._project_lock:
            applied = self.projector.run_once()
            for lag in self.projector.lag():
                self.metrics.projection_lag.labels(lag.name).set(lag.events_behind)
                self.metrics.projection_lag_seconds.labels(lag.name).set(lag.seconds_behind)
            return applied

    def lag(self) -> list[Any]:
        with self._project_lock:
            return self.projector.lag()

    async def follow_log(self) -> None:
        """Background task: catch up every ``project_interval`` seconds; errors are logged, never fatal."""
        while True:
            try:
                await run_in_threadpool(self.catch_up)
            except Exception:  # noqa: BLE001 - the next round retries (database restarts, locks)
                log.exception("projector round failed")
                await run_in_threadpool(self._reset_projector)
            await anyio.sleep(self.settings.project_interval)

    def _reset_projector(self) -> None:
        with self._project_lock:
            self.projector.db.close()  # reopened by the next round

    async def flush_access_log(self) -> None:
        """Background task: record the queued access notes every ``access_flush_interval`` seconds."""
        while True:
            await anyio.sleep(self.settings.access_flush_interval)
            try:
                appended = await run_in_threadpool(self.access.flush)
                self.metrics.access_events.inc(appended)
            except Exception:  # noqa: BLE001
                log.exception("access-log flush failed")

    def close(self) -> None:
        try:
            self.metrics.access_events.inc(self.access.flush())
        finally:
            self.reads.close()
            with self._project_lock:  # a round still running in its worker thread finishes first
                self.projector.db.close()
                self.ledger.close()
