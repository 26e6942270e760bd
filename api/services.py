"""What the API builds once per process (in the lifespan) and closes at shutdown: the command layer,
the projector following the log, the reads (``source``: an async pool on PostgreSQL; ``reads``: the
synchronous pool, for statistics and SQLite), the access-log recorder and the metrics."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import anyio
import psycopg
from psycopg import sql
from starlette.concurrency import run_in_threadpool

from api.access_log import AccessRecorder
from api.auth import TokenKeys, VerifiedTokens
from api.config import ApiSettings
from api.documents import QueryTexts
from api.metrics import Metrics
from api.readpool import ReadPool
from api.reads.audit import ShreddedTokens
from api.reads.source import ReadSource, read_source
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
    source: ReadSource
    access: AccessRecorder
    metrics: Metrics
    keys: TokenKeys
    shredded: ShreddedTokens = field(default_factory=ShreddedTokens)
    verified: VerifiedTokens = field(default_factory=VerifiedTokens)
    texts: QueryTexts = field(default_factory=QueryTexts)  # printed operations, for access notes
    _project_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(cls, settings: ApiSettings, metrics: Metrics | None = None) -> Services:
        """Everything but the async pool, which ``open`` connects on the event loop."""
        ledger = build_ledger(settings=settings.ledger)
        projector = Projector(ledger)  # creates the read-model tables when missing
        reads = ReadPool(settings.ledger, settings.read_pool_size)
        return cls(settings=settings, ledger=ledger, projector=projector, reads=reads,
                   source=read_source(settings.ledger, reads, ledger, settings.read_pool_size),
                   access=AccessRecorder(ledger, settings.ledger.bureau), metrics=metrics or Metrics(),
                   keys=TokenKeys(settings.jwt_secret, settings.jwt_issuer, settings.jwt_audience))

    async def open(self) -> None:
        await self.source.open()

    # -- writing --------------------------------------------------------------------------------------
    def execute(self, command: str, input: Any, meta: dict[str, Any], actor: dict[str, str]) -> dict[str, Any]:
        result = self.ledger.execute(command, input, meta, actor)
        if not result.get("repeated"):
            stream_type = self.ledger.commands[command].aggregate
            self.metrics.events_appended.labels(stream_type).inc(len(result.get("events") or [result]))
        return result

    # -- read models ----------------------------------------------------------------------------------
    def catch_up(self) -> int:
        """Bring every read model up to the log head (one caller at a time); updates the lag gauges and
        the shredded identities the reads mask as ``[shredded]``."""
        with self._project_lock:
            applied = self.projector.run_once()
            self.shredded.absorb(self.reads.dicts(*self.shredded.statement()))
            for lag in self.projector.lag():
                self.metrics.projection_lag.labels(lag.name).set(lag.events_behind)
                self.metrics.projection_lag_seconds.labels(lag.name).set(lag.seconds_behind)
            return applied

    def lag(self) -> list[Any]:
        with self._project_lock:
            return self.projector.lag()

    async def follow_log(self) -> None:
        """Background task: catch up, then wait for the log to grow: on PostgreSQL until the event store
        notifies an append (LISTEN), at most ``project_max_wait`` seconds (the lag gauges are refreshed
        then); elsewhere ``project_interval`` seconds. Errors are logged, never fatal."""
        listener = LogListener(self.ledger, self.settings) if self.settings.ledger.is_postgres else None
        try:
            while True:
                if listener is not None:
                    await listener.listen()  # before catching up: no append between the two is missed
                try:
                    await run_in_threadpool(self.catch_up)
                except Exception:  # noqa: BLE001 - the next round retries (database restarts, locks)
                    log.exception("projector round failed")
                    await run_in_threadpool(self._reset_projector)
                if listener is None or not await listener.wait():
                    await anyio.sleep(self.settings.project_interval)
        finally:
            if listener is not None:
                with anyio.CancelScope(shield=True):  # the task is being cancelled: close all the same
                    await listener.close()

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


class LogListener:
    """``LISTEN`` on the event store's channel (PostgreSQL): ``wait`` returns when an append was notified
    (every notification already queued is taken at once) or after ``project_max_wait`` seconds."""

    def __init__(self, ledger: Ledger, settings: ApiSettings) -> None:
        self.url, self.channel = settings.ledger.database_url, ledger.recorder.channel_name
        self.max_wait = settings.project_max_wait
        self.conn: Any = None

    async def listen(self) -> None:
        if self.conn is None or self.conn.closed:
            try:
                self.conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True, connect_timeout=5)
                await self.conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
            except psycopg.Error:
                log.warning("cannot listen for appends; polling until the database answers")
                await self.close()

    async def wait(self) -> bool:
        """False if not listening (the caller polls instead)."""
        if self.conn is None:
            return False
        try:
            got = [n async for n in self.conn.notifies(timeout=self.max_wait, stop_after=1)]
            if got:
                async for _ in self.conn.notifies(timeout=0.005):  # the rest of a burst: one catch-up
                    pass
        except psycopg.Error:
            await self.close()
            return False
        return True

    async def close(self) -> None:
        if self.conn is not None:
            try:
                await self.conn.close()
            except psycopg.Error:
                pass
        self.conn = None
