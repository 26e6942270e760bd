"""``svledger relay``: follows the notification log in order and publishes the partner feed (domain.md §11).

Per partner (the share's ``partner_org_id``) one topic, ``sl.<env>.partner.<partner>.events.v1``
(``SVLEDGER_TOPIC_TEMPLATE``), key = clue id so that each clue's events stay in order on one partition;
CheckpointRecorded events go to ``sl.<env>.checkpoints.v1``. Values are structured CloudEvents built by
``infra.partner_feed`` (the allowlist) and ``infra.relay_plan`` (routing, ``partnerseq``).

Delivery is at least once and never leaves a gap: the broker must confirm every message of a batch
(``acks=all``, idempotent producer when the library and broker allow it) before its position and relay
state are committed (``infra.relay_store``), and batches are sent, confirmed and committed in log order.
To keep the producer busy, batch N+1 is handed to the producer before N's confirmation is awaited, and
confirmed batches are committed together every ``commit_interval_s`` (and whenever the relay catches up),
on PostgreSQL in a commit thread. A crash at any point re-sends the uncommitted tail (the batches in
flight and at most ``commit_interval_s`` of confirmed ones) with identical bytes; consumers dedupe on the
CloudEvent ``id``. Batches are planned two ahead in a second process (``infra.relay_ahead``).

The producer is created lazily and re-created after any failure, so a relay started while the broker is
down waits and retries with backoff, and catches up when the broker returns. One relay is active at a
time (``infra.relay_lock``); others wait as hot standbys.
"""

from __future__ import annotations

import logging
import os
import select
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import psycopg
from kafka import KafkaProducer
from kafka.errors import KafkaConfigurationError, KafkaError, UnsupportedVersionError

from infra import partner_feed as pf
from infra.relay_ahead import PlannerLost, ProcessPlans, make_plans
from infra.relay_lock import RelayLock
from infra.relay_plan import Outgoing, Plan
from infra.relay_store import RelayStore, relay_lag

log = logging.getLogger("svledger.relay")

DEFAULT_BOOTSTRAP = "localhost:9092"
DEFAULT_TOPIC_TEMPLATE = "sl.{env}.partner.{partner}.events.v1"
DEFAULT_CHECKPOINT_TOPIC = "sl.{env}.checkpoints.v1"
DEV_ENVS = ("dev", "test", "demo", "ci")

__all__ = ["Relay", "RelayConfig", "relay_lag", "BrokerUnavailable", "LockLost"]


class BrokerUnavailable(Exception):
    """The broker did not confirm a batch (down, timed out, refused): nothing was committed."""


class LockLost(Exception):
    """This relay lost its single-active lock before committing: it steps back to standby."""


@dataclass(frozen=True)
class RelayConfig:
    bootstrap_servers: str = DEFAULT_BOOTSTRAP
    env: str = "dev"
    bureau: str = "HQ"
    topic_template: str = DEFAULT_TOPIC_TEMPLATE
    checkpoint_template: str = DEFAULT_CHECKPOINT_TOPIC
    pseudonym_key: bytes = pf.DEV_PSEUDONYM_KEY.encode()
    schema_base: str = pf.DEFAULT_SCHEMA_BASE
    batch_size: int = 500
    commit_interval_s: float = 0.25  # confirmed batches are committed together at most this often (and when caught up)
    delivery_timeout_ms: int = 30_000
    poll_seconds: float = 0.2
    max_backoff_seconds: float = 5.0
    dev_pseudonym_key: bool = True

    @classmethod
    def from_env(cls, settings: Any, environ: Mapping[str, str] | None = None, **overrides: Any) -> RelayConfig:
        """Settings first (if the lead adds these fields to ``Settings``), then ``SVLEDGER_*`` variables."""
        env = os.environ if environ is None else environ

        def pick(attr: str, var: str, default: Any) -> Any:
            return getattr(settings, attr, None) or env.get(var) or default

        key = pick("pseudonym_key", "SVLEDGER_PSEUDONYM_KEY", "")
        values: dict[str, Any] = {
            "bootstrap_servers": pick("kafka_bootstrap", "SVLEDGER_KAFKA_BOOTSTRAP", DEFAULT_BOOTSTRAP),
            "env": settings.env, "bureau": settings.bureau,
            "topic_template": pick("topic_template", "SVLEDGER_TOPIC_TEMPLATE", DEFAULT_TOPIC_TEMPLATE),
            "checkpoint_template": pick("checkpoint_topic", "SVLEDGER_CHECKPOINT_TOPIC", DEFAULT_CHECKPOINT_TOPIC),
            "pseudonym_key": (key or pf.DEV_PSEUDONYM_KEY).encode(), "dev_pseudonym_key": not key,
            "schema_base": pick("schema_base_url", "SVLEDGER_SCHEMA_BASE_URL", pf.DEFAULT_SCHEMA_BASE),
            "batch_size": int(env.get("SVLEDGER_RELAY_BATCH_SIZE") or 500),
            "delivery_timeout_ms": int(env.get("SVLEDGER_KAFKA_DELIVERY_TIMEOUT_MS") or 30_000),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        config = cls(**values)
        if config.dev_pseudonym_key and config.env not in DEV_ENVS:
            raise ValueError(f"SVLEDGER_PSEUDONYM_KEY is required when SVLEDGER_ENV={config.env} "
                             "(the built-in key is for development only)")
        return config

    def partner_topic(self, partner: str) -> str:
        return self.topic_template.format(env=self.env, partner=pf.topic_safe(partner), bureau=self.bureau)

    @property
    def checkpoint_topic(self) -> str:
        return self.checkpoint_template.format(env=self.env, bureau=self.bureau)


def make_producer(config: RelayConfig, client_id: str = "svledger-relay") -> tuple[KafkaProducer, bool]:
    """A producer with ``acks=all``, unbounded retries with backoff and, if the library and the broker
    support it, idempotence; else ordering is kept with one request in flight. Raises KafkaError
    (e.g. NoBrokersAvailable) if no broker answers: the caller retries. (The relay benchmark's raw
    producer is made here too, with another ``client_id``: the same settings.)"""
    request_timeout = max(1_000, min(10_000, config.delivery_timeout_ms - 100))
    wanted = {"bootstrap_servers": config.bootstrap_servers.split(","), "client_id": client_id,
              "acks": "all", "retry_backoff_ms": 200, "reconnect_backoff_ms": 200, "reconnect_backoff_max_ms": 5_000,
              "linger_ms": 5, "request_timeout_ms": request_timeout,
              "delivery_timeout_ms": max(config.delivery_timeout_ms, request_timeout + 5),
              "max_block_ms": min(10_000, config.delivery_timeout_ms),
              "bootstrap_timeout_ms": min(5_000, config.delivery_timeout_ms)}
    known = KafkaProducer.DEFAULT_CONFIG
    common = {k: v for k, v in wanted.items() if k in known}
    if "enable_idempotence" in known:
        try:
            return KafkaProducer(**common, enable_idempotence=True, max_in_flight_requests_per_connection=5), True
        except (KafkaConfigurationError, UnsupportedVersionError) as exc:
            log.warning("idempotent producer refused (%s): falling back to acks=all with one request in flight", exc)
        return KafkaProducer(**common, enable_idempotence=False, max_in_flight_requests_per_connection=1), False
    log.warning("kafka-python %s has no idempotent producer: acks=all with one request in flight",
                getattr(__import__("kafka"), "__version__", "?"))
    return KafkaProducer(**common, max_in_flight_requests_per_connection=1), False


def merge(plans: Sequence[Plan]) -> Plan:
    """Consecutive plans as one (each one's state follows the previous one's): committed together."""
    if len(plans) == 1:
        return plans[0]
    merged = Plan(position=plans[-1].position)
    for plan in plans:
        merged.messages += plan.messages
        merged.shares.update(plan.shares)
        merged.sent += plan.sent
        merged.names |= plan.names
        merged.events += plan.events
    return merged


class Relay:
    def __init__(self, ledger: Any, config: RelayConfig | None = None, *,
                 producer_factory: Callable[[RelayConfig], tuple[Any, bool]] = make_producer) -> None:
        self.ledger = ledger
        self.config = config or RelayConfig.from_env(ledger.settings)
        if self.config.dev_pseudonym_key:
            log.warning("SVLEDGER_PSEUDONYM_KEY not set: staff pseudonyms use the built-in development key")
        self.store = RelayStore(ledger.settings)
        self.plans = make_plans(ledger, self.config, self.store)
        self.committed = 0  # the position of the last batch this relay committed
        self._inflight: tuple[Plan, list[Any]] | None = None  # sent, not yet confirmed and committed
        self._confirmed: list[Plan] = []  # confirmed by the broker, not committed yet
        self._committed_at = time.monotonic()
        # PostgreSQL with the planning process: the relay's own connections are only used to commit, so a
        # commit can run in a thread while the next batches are sent (one at a time, in order)
        background = ledger.settings.is_postgres and isinstance(self.plans, ProcessPlans)
        self._committer = ThreadPoolExecutor(1, "svledger-relay-commit") if background else None
        self._committing: Future[None] | None = None
        self.lock = RelayLock(ledger.settings)
        self.producer_factory = producer_factory
        self.producer: Any = None
        self.idempotent: bool | None = None
        self.published = 0
        self._listener: Any = None
        self._fresh = False  # the planner's state matches the committed state (reloaded under the lock)

    # -- one batch --------------------------------------------------------------------------------------------
    def step(self) -> int:
        """Plan and send the next batch, then confirm and commit the previous one (its messages were all sent
        before this batch's: per-key order is kept, and the producer never runs dry between batches); returns
        the number of log events planned (0: caught up, every batch sent is confirmed and committed)."""
        # after taking the lock or any failure: another relay may have moved on, plans made ahead are void
        plan = self.plans.next(reload=not self._fresh, committed=self.committed)
        self._fresh = True
        if plan is None:
            self.settle(flush=True)
            return 0
        self.plans.prefetch(self.committed)  # planned while this batch is sent and committed
        futures = self.send(plan.messages) if plan.messages else []
        self.settle(flush=False)
        self._inflight = (plan, futures)
        return plan.events

    def settle(self, *, flush: bool) -> None:
        """Wait until the broker confirmed the batch in flight; commit the confirmed batches when caught up
        (``flush``: send what the producer holds at once, not after ``linger_ms``) or every
        ``commit_interval_s`` (a crash re-sends at most that much more; each commit costs a few ms)."""
        if self._inflight is not None:
            plan, futures = self._inflight
            if futures:
                self.confirm(futures, flush=flush)
            self._inflight = None
            self._confirmed.append(plan)
        if self._confirmed and (flush or time.monotonic() - self._committed_at >= self.config.commit_interval_s):
            plan = merge(self._confirmed)
            self._confirmed, self._committed_at = [], time.monotonic()
            self._wait_commit()  # the previous commit first: its error (LockLost …) is raised here
            if flush or self._committer is None:
                self.commit(plan)
            else:
                self._committing = self._committer.submit(self.commit, plan)
        if flush:
            self._wait_commit()

    def _wait_commit(self, *, quiet: bool = False) -> None:
        committing, self._committing = self._committing, None
        if committing is not None:
            try:
                committing.result()
            except Exception:
                if not quiet:
                    raise

    def send(self, messages: Sequence[Outgoing]) -> list[Any]:
        """Hand the messages to the producer (it sends them in the background); BrokerUnavailable if it cannot."""
        try:
            if self.producer is None:
                self.producer, self.idempotent = self.producer_factory(self.config)
                log.info("producer connected to %s (idempotent: %s)", self.config.bootstrap_servers, self.idempotent)
            return [self.producer.send(m.topic, key=m.key, value=m.value, headers=pf.headers()) for m in messages]
        except (KafkaError, OSError) as exc:
            self._drop_producer()
            raise BrokerUnavailable(f"{type(exc).__name__}: {exc}") from exc

    def confirm(self, futures: Sequence[Any], *, flush: bool = True) -> None:
        """Wait until the broker confirmed every message of ``futures``; else BrokerUnavailable."""
        timeout = self.config.delivery_timeout_ms / 1000 + 5
        try:
            if flush:
                self.producer.flush(timeout=timeout)
            deadline = time.monotonic() + timeout
            for future in futures:
                if not future.is_done:
                    if flush:
                        raise BrokerUnavailable("flush returned before every message was acknowledged")
                    future.get(timeout=max(0.0, deadline - time.monotonic()))  # raises on failure or timeout
                if future.failed():
                    raise BrokerUnavailable(f"the broker refused a message: {future.exception!r}")
        except (KafkaError, BrokerUnavailable, OSError) as exc:
            self._drop_producer()
            if isinstance(exc, BrokerUnavailable):
                raise
            raise BrokerUnavailable(f"{type(exc).__name__}: {exc}") from exc

    def commit(self, plan: Plan) -> None:
        if not self.lock.held():
            raise LockLost("the relay lock was lost before committing; not recording the batch")
        self.store.commit(plan.position, plan.names, plan.shares, plan.sent)
        self.committed = plan.position
        self.published += len(plan.messages)
        if plan.messages:
            log.info("published %d message(s) up to position %d", len(plan.messages), plan.position)

    def run_once(self) -> int:
        """Catch up with the log head once (raises BrokerUnavailable if the broker fails, LockLost if
        another relay is active)."""
        if not self.lock.held():
            if not self.lock.try_acquire():
                raise LockLost("another relay is active (it holds the relay lock)")
            self._fresh = False
        self.plans.expire()
        total = 0
        while True:
            try:
                read = self.step()
            except BaseException:
                self._fresh = False  # a failed batch (or unknown commit outcome): reload before the next
                self._inflight, self._confirmed = None, []  # not committed: sent again after the reload
                self._wait_commit(quiet=True)  # the reload reads the committed state: let a commit under way end
                raise
            if not read:
                return total
            total += read

    # -- the loop ---------------------------------------------------------------------------------------------
    def run(self, *, once: bool = False, stop: Callable[[], bool] = lambda: False,
            deadline: float | None = None) -> bool:
        """Hold the lock and keep publishing; with ``once`` return True when caught up (False if
        stopped or past ``deadline``). Broker and database failures are retried with backoff."""
        backoff, failing = 0.5, False

        def halt() -> bool:
            return stop() or (deadline is not None and time.monotonic() > deadline)

        while not halt():
            if not self.lock.held():
                if not self.lock.acquire(stop=halt):
                    return False
                self._fresh = False
            try:
                self.run_once()
                if failing:
                    log.warning("relay recovered: caught up with the log")
                backoff, failing = 0.5, False
                if once:
                    return True
                self._wait()
            except BrokerUnavailable as exc:
                self._fresh = False
                (log.warning if not failing else log.debug)("broker unavailable (%s); retrying in %.1fs", exc, backoff)
                failing = True
                backoff = self._sleep(backoff, halt)
            except LockLost as exc:
                log.warning("%s", exc)
                self._fresh = False
                self.lock.release()
            except (psycopg.OperationalError, psycopg.InterfaceError, sqlite3.OperationalError, PlannerLost) as exc:
                log.warning("database unavailable (%s); retrying in %.1fs", exc, backoff)
                self._fresh = False
                self._close_listener()
                self.store.db.close()
                backoff = self._sleep(backoff, halt)
        return False

    def _sleep(self, backoff: float, stop: Callable[[], bool]) -> float:
        until = time.monotonic() + backoff
        while time.monotonic() < until and not stop():
            time.sleep(min(0.1, backoff))
        return min(backoff * 2, self.config.max_backoff_seconds)

    def _wait(self) -> None:
        """Idle until new events: LISTEN/NOTIFY on PostgreSQL (with a 1 s safety poll), else a short poll."""
        if not self.ledger.settings.is_postgres:
            time.sleep(self.config.poll_seconds)
            return
        if self._listener is None:
            self._listener = psycopg.connect(self.ledger.settings.database_url, autocommit=True, connect_timeout=5)
            self._listener.execute(f"LISTEN {self.ledger.recorder.channel_name}")
        if select.select([self._listener.fileno()], [], [], 1.0)[0]:
            for _ in self._listener.notifies(timeout=0, stop_after=1000):
                pass

    def _close_listener(self) -> None:
        if self._listener is not None:
            try:
                self._listener.close()
            except psycopg.Error:
                pass
            self._listener = None

    def _drop_producer(self) -> None:
        if self.producer is not None:
            try:
                self.producer.close(timeout=0)
            except Exception:  # noqa: BLE001 - a broken producer is discarded whatever it says
                pass
            self.producer = None

    def reset(self, partner: str | None = None) -> None:
        self._wait_commit(quiet=True)
        self.store.reset(partner)
        self._fresh = False

    def close(self) -> None:
        self._wait_commit(quiet=True)
        if self._committer is not None:
            self._committer.shutdown()
        self.plans.close()
        self._drop_producer()
        self._close_listener()
        self.lock.release()
        self.store.close()
