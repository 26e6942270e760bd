"""``append_1``: one writer appending one event per command, durable, on PostgreSQL.

ours:     ``Ledger.execute("acknowledgeReceipt", …)`` on clues created beforehand (received and
          registered): the full command path (validation, decide on the aggregate the last save kept or
          loaded, save in one ``svl_append`` call: Config check, idempotency row, hash chain, table lock,
          NOTIFY, insert) appending one ReceiptAcknowledged.
baseline: a single-row ``INSERT`` with autocommit (prepared) into a table with the same columns as the
          events table (uuid, int version, text topic, ~300-byte bytea state, bigserial position).
Both commit and flush every write (synchronous_commit is checked to be on)."""

from __future__ import annotations

import itertools
import time
import uuid
from typing import Any

import psycopg

from bench.common import (RAW_INSERT, RAW_TOPIC, Config, acknowledge, alternate, create_raw_table, durable, median,
                          percentile, raw_state, registered_clues, row, scratch_database)

NAME = "append_1"
UNIT = "events/s"
TARGET = "ratio >= 0.9"


def run(cfg: Config) -> dict[str, Any]:
    from infra.ledger import Ledger
    from infra.settings import Settings

    seconds = cfg.pick("append_seconds", 0.8, 3)
    n_clues = cfg.pick("append_clues", 80, 400)
    with scratch_database("a1") as url:
        ledger = Ledger(Settings(database_url=url))
        conn = psycopg.connect(url, autocommit=True)
        try:
            cfg.log(f"{NAME}: creating {n_clues} registered clues")
            versions = registered_clues(ledger, n_clues)
            create_raw_table(url)
            clues = itertools.cycle(list(versions))
            state = raw_state()
            insert = RAW_INSERT.format(t="raw_events")
            lat: dict[str, list[float]] = {"ours": [], "baseline": []}

            def loop(step: Any, sink: list[float]) -> float:
                n, t0 = 0, time.perf_counter()
                deadline = t0 + seconds
                t = t0
                while t < deadline:
                    step()
                    t1 = time.perf_counter()
                    sink.append(t1 - t)
                    n, t = n + 1, t1
                return n / (t - t0)

            def ours_step() -> None:
                acknowledge(ledger, versions, next(clues))

            def base_step() -> None:
                conn.execute(insert, (uuid.uuid4(), 1, RAW_TOPIC, state), prepare=True)

            for _ in range(20):  # warm up both paths (connections, prepared statements, caches)
                ours_step()
                base_step()
            ours, base = alternate(cfg.rounds, lambda r: loop(ours_step, lat["ours"]),
                                   lambda r: loop(base_step, lat["baseline"]), cfg.log)
            sid = next(clues)
            event_bytes = len(ledger.recorder.select_events(uuid.UUID(sid), desc=True, limit=1)[0].state)
            return row(NAME, ours, base, UNIT, target=TARGET, met=lambda x: x >= 0.9,
                       command="acknowledgeReceipt on an existing clue (1 event)", writers=1,
                       durable=durable(url), seconds_per_round=seconds, clues=n_clues,
                       ours_event_bytes=event_bytes, stream_length_max=max(versions.values()), baseline_state_bytes=len(state),
                       ours_p50_ms=round(1000 * median(lat["ours"]), 3),
                       ours_p99_ms=round(1000 * percentile(lat["ours"], 0.99), 3),
                       baseline_p50_ms=round(1000 * median(lat["baseline"]), 3),
                       baseline_p99_ms=round(1000 * percentile(lat["baseline"], 0.99), 3))
        finally:
            conn.close()
            ledger.close()
