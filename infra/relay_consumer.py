"""The reference partner consumer (``svledger partner-consume``): how a partner reads its feed safely.

Delivery is at least once, so the same CloudEvent may arrive more than once (after a relay crash or
a broker outage) — always with the same ``id`` and the same bytes. The consumer therefore:

1. stores each event under its ``id`` as primary key (``INSERT … ON CONFLICT DO NOTHING``): a
   duplicate is counted and skipped, never applied twice;
2. commits the partition offsets only after the rows are committed (crash → re-read → deduped);
   with ``--assign`` the offsets live in the same database transaction as the rows
   (``partner_offsets``), without any consumer-group coordination;
3. checks ``partnerseq`` per clue: contiguous from 1, so a gap means a message is missing
   (``gaps()``), and a repeated ``id`` with different bytes is reported as a conflict.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from infra.settings import Settings
from projections.db import ReadDb

log = logging.getLogger("svledger.partner")
JOIN_TIMEOUT = 60.0  # seconds to wait for the group coordinator to assign partitions
DDL = (
    "CREATE TABLE IF NOT EXISTS partner_inbox (event_id TEXT PRIMARY KEY, partner TEXT NOT NULL, "
    "clue_id TEXT NOT NULL, partnerseq BIGINT, event_type TEXT NOT NULL, occurred_at TEXT, recorded_at TEXT, "
    "event_hash TEXT, body TEXT NOT NULL, topic TEXT NOT NULL, kafka_partition INTEGER NOT NULL, "
    "kafka_offset BIGINT NOT NULL, received_us BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS partner_offsets (grp TEXT NOT NULL, topic TEXT NOT NULL, "
    "kafka_partition INTEGER NOT NULL, next_offset BIGINT NOT NULL, PRIMARY KEY (grp, topic, kafka_partition))",
)


@dataclass
class ConsumeReport:
    stored: int = 0
    duplicates: int = 0
    conflicts: int = 0
    rejected: int = 0


class PartnerInbox:
    """The partner's own table of received events, deduplicated by CloudEvent ``id``."""

    def __init__(self, settings: Settings) -> None:
        self.db = ReadDb(settings)
        with self.db.transaction() as tx:
            for statement in DDL:
                tx.execute(statement)

    def store(self, partner: str, group: str, records: list[Any], report: ConsumeReport,
              track_offsets: bool) -> None:
        now = int(datetime.now(timezone.utc).timestamp() * 1_000_000)
        next_offsets: dict[tuple[str, int], int] = {}
        with self.db.transaction() as tx:
            for r in records:
                next_offsets[(r.topic, r.partition)] = r.offset + 1
                try:
                    ce = json.loads(r.value)
                    event_id = str(ce["id"])
                except (ValueError, KeyError, TypeError):
                    report.rejected += 1
                    log.warning("not a CloudEvent at %s[%d]@%d: skipped", r.topic, r.partition, r.offset)
                    continue
                body = r.value.decode("utf-8")
                found = tx.execute("SELECT body FROM partner_inbox WHERE event_id = ?", (event_id,))
                if found:
                    report.duplicates += 1
                    if found[0][0] != body:
                        report.conflicts += 1
                        log.error("event %s arrived again with different content", event_id)
                    continue
                tx.execute("INSERT INTO partner_inbox (event_id, partner, clue_id, partnerseq, event_type, "
                           "occurred_at, recorded_at, event_hash, body, topic, kafka_partition, kafka_offset, "
                           "received_us) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
                           (event_id, partner, str(ce.get("subject", "")), ce.get("partnerseq"), str(ce.get("type")),
                            ce.get("time"), ce.get("recordedat"), ce.get("eventhash"), body, r.topic, r.partition,
                            r.offset, now))
                report.stored += 1
            if track_offsets:
                for (topic, partition), offset in next_offsets.items():
                    tx.execute("INSERT INTO partner_offsets (grp, topic, kafka_partition, next_offset) "
                               "VALUES (?, ?, ?, ?) ON CONFLICT (grp, topic, kafka_partition) "
                               "DO UPDATE SET next_offset = excluded.next_offset", (group, topic, partition, offset))

    def offsets(self, group: str, topic: str) -> dict[int, int]:
        rows = self.db.query("SELECT kafka_partition, next_offset FROM partner_offsets WHERE grp = ? AND topic = ?",
                             (group, topic))
        return {int(p): int(o) for p, o in rows}

    def events(self, partner: str) -> list[dict[str, Any]]:
        return self.db.dicts("SELECT event_id, clue_id, partnerseq, event_type, body FROM partner_inbox "
                             "WHERE partner = ? ORDER BY clue_id, partnerseq", (partner,))

    def gaps(self, partner: str) -> dict[str, list[int]]:
        """Per clue, the missing ``partnerseq`` numbers below the highest received (empty: complete)."""
        seen: dict[str, set[int]] = {}
        for row in self.events(partner):
            if row["partnerseq"] is not None:
                seen.setdefault(row["clue_id"], set()).add(int(row["partnerseq"]))
        return {clue: missing for clue, seqs in seen.items()
                if (missing := sorted(set(range(1, max(seqs) + 1)) - seqs))}

    def close(self) -> None:
        self.db.close()


def consume(settings: Settings, *, bootstrap_servers: str, topic: str, partner: str, group: str,
            assign: bool = False, once: bool = False, idle_seconds: float = 3.0,
            stop: Any = lambda: False) -> ConsumeReport:
    """Read ``topic`` into the inbox. ``assign``: take every partition directly and keep offsets in the
    inbox database (no group coordination); otherwise join ``group`` and commit offsets to Kafka after
    each stored batch. ``once``: return after ``idle_seconds`` without new messages."""
    inbox = PartnerInbox(settings)
    report = ConsumeReport()
    consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers.split(","), group_id=group,
                             client_id=f"svledger-partner-{partner}", enable_auto_commit=False,
                             auto_offset_reset="earliest", max_poll_interval_ms=30_000, session_timeout_ms=10_000)
    try:
        if assign:
            _assign_all(consumer, inbox, group, topic, stop, deadline=time.monotonic() + max(idle_seconds, 10.0))
        else:
            consumer.subscribe([topic])
        idle_since = time.monotonic()
        join_deadline = idle_since + JOIN_TIMEOUT
        while not stop():
            polled = consumer.poll(timeout_ms=500)
            records = [r for batch in polled.values() for r in batch]
            if not assign and not consumer.assignment() and time.monotonic() < join_deadline:
                idle_since = time.monotonic()  # still joining the group: not idle yet
                continue
            if records:
                inbox.store(partner, group, records, report, track_offsets=assign)
                if not assign:
                    consumer.commit()
                idle_since = time.monotonic()
            elif once and time.monotonic() - idle_since >= idle_seconds:
                break
    finally:
        consumer.close()
        inbox.close()
    return report


def _assign_all(consumer: KafkaConsumer, inbox: PartnerInbox, group: str, topic: str, stop: Any,
                deadline: float) -> None:
    partitions = None
    while not stop() and time.monotonic() < deadline:
        partitions = consumer.partitions_for_topic(topic)
        if partitions:
            break
        time.sleep(0.5)
    if not partitions:
        raise RuntimeError(f"topic {topic} does not exist (yet)")
    tps = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(tps)
    stored = inbox.offsets(group, topic)
    for tp in tps:
        if tp.partition in stored:
            consumer.seek(tp, stored[tp.partition])
        else:
            consumer.seek_to_beginning(tp)
