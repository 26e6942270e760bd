"""What every measure shares: a throwaway PostgreSQL database per run, alternating rounds with a
median, the result row, and the commands used to write through the command layer."""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import psycopg

PG_ADMIN_URL = os.environ.get("SVLEDGER_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_PREFIX = "svl_bench_"
CST = timezone(timedelta(hours=8))
STAFF = {"user_id": "u-staff-1", "role": "supervision_staff", "org_id": "HQ"}
RAW_STATE_BYTES = 300


@dataclass
class Config:
    quick: bool
    rounds: int
    verbose: bool = False
    overrides: dict[str, float] = field(default_factory=dict)

    def pick(self, name: str, quick: float, full: float) -> Any:
        value = self.overrides.get(name, quick if self.quick else full)
        return value if isinstance(value, float) and not value.is_integer() else int(value)

    def log(self, message: str) -> None:
        if self.verbose:
            print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- databases -------------------------------------------------------------------------------------------
@contextmanager
def scratch_database(tag: str) -> Iterator[str]:
    """A fresh database for one measure; dropped at the end whatever happens (only this one)."""
    name = f"{DB_PREFIX}{tag}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_facts() -> dict[str, str]:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        facts = {k: conn.execute(f"SHOW {k}").fetchone()[0]
                 for k in ("server_version", "synchronous_commit", "fsync", "wal_sync_method", "shared_buffers")}
    return facts


def durable(url: str) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        return (conn.execute("SHOW synchronous_commit").fetchone()[0] != "off"
                and conn.execute("SHOW fsync").fetchone()[0] == "on")


RAW_DDL = ("CREATE TABLE IF NOT EXISTS {t} (originator_id uuid NOT NULL, originator_version integer NOT NULL, "
           "topic text, state bytea, notification_id bigserial, PRIMARY KEY (originator_id, originator_version))",
           "CREATE UNIQUE INDEX IF NOT EXISTS {t}_nid ON {t} (notification_id)")
RAW_INSERT = "INSERT INTO {t} (originator_id, originator_version, topic, state) VALUES (%s, %s, %s, %s)"
RAW_TOPIC = "domain.clue:Clue.ReceiptAcknowledged"


def create_raw_table(url: str, table: str = "raw_events") -> None:
    """The baseline's table: the same columns as the events table (uuid, int version, text, bytea, bigserial)."""
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in RAW_DDL:
            conn.execute(statement.format(t=table))


def raw_state() -> bytes:
    return os.urandom(RAW_STATE_BYTES // 2).hex().encode()


# -- rounds ----------------------------------------------------------------------------------------------
def alternate(rounds: int, ours: Callable[[int], float], baseline: Callable[[int], float],
              log: Callable[[str], None] = lambda m: None) -> tuple[list[float], list[float]]:
    """Run ours/baseline alternately (ABBA order so neither always goes first); returns both samples."""
    ours_s: list[float] = []
    base_s: list[float] = []
    for r in range(rounds):
        order = ((ours, ours_s, "ours"), (baseline, base_s, "baseline"))
        for fn, sink, label in (order if r % 2 == 0 else order[::-1]):
            value = fn(r)
            sink.append(value)
            log(f"round {r + 1}/{rounds} {label}: {value:,.3f}")
    return ours_s, base_s


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def row(name: str, ours: list[float], baseline: list[float], unit: str, *, target: str,
        met: Callable[[float], bool], higher_is_better: bool = True, **extra: Any) -> dict[str, Any]:
    o, b = median(ours), median(baseline)
    ratio = o / b if b else float("nan")
    return {"name": name, "status": "measured", "ours": round(o, 3), "baseline": round(b, 3),
            "ratio": round(ratio, 3), "unit": unit, "rounds": len(ours), "target": target, "met": bool(met(ratio)),
            "higher_is_better": higher_is_better,
            "ours_rounds": [round(x, 3) for x in ours], "baseline_rounds": [round(x, 3) for x in baseline], **extra}


def not_built(name: str, needs: str, target: str, unit: str) -> dict[str, Any]:
    return {"name": name, "status": "not_built", "ours": None, "baseline": None, "ratio": None, "unit": unit,
            "rounds": 0, "target": target, "met": None, "needs": needs}


def failed(name: str, error: BaseException, unit: str = "") -> dict[str, Any]:
    return {"name": name, "status": "error", "ours": None, "baseline": None, "ratio": None, "unit": unit,
            "rounds": 0, "met": False, "error": f"{type(error).__name__}: {error}"}


# -- writing through the command layer ----------------------------------------------------------------
def receive_input(i: int) -> dict[str, Any]:
    return {"channel": "online_platform", "summary": f"基准测试线索 {i}:执法人员态度粗暴", "subject_agency_ids": ["A02"],
            "reporter": {"kind": "anonymous", "contactable": False}}


ACK_INPUT = {"method": "platform", "recipient": "hotline_platform"}


def envelope(stream_id: Any | None, expected_version: int, at: datetime | None = None) -> dict[str, Any]:
    meta = {"expected_version": expected_version, "idempotency_key": uuid.uuid4().hex,
            "occurred_at": (at or datetime.now(CST) - timedelta(minutes=10)).isoformat()}
    if stream_id is not None:
        meta["stream_id"] = str(stream_id)
    return meta


def registered_clues(ledger: Any, n: int) -> dict[str, int]:
    """``n`` clues received and registered (2 events each): {stream_id: version}."""
    versions: dict[str, int] = {}
    for i in range(n):
        sid = ledger.execute("receiveClue", receive_input(i), envelope(None, 0), STAFF)["stream_id"]
        versions[sid] = ledger.execute("registerClue", {}, envelope(sid, 1), STAFF)["version"]
    return versions


def acknowledge(ledger: Any, versions: dict[str, int], sid: str) -> dict[str, Any]:
    """One ``acknowledgeReceipt`` command: appends one ReceiptAcknowledged event to an existing clue."""
    result = ledger.execute("acknowledgeReceipt", ACK_INPUT, envelope(sid, versions[sid]), STAFF)
    versions[sid] = result["version"]
    return result


def timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0
