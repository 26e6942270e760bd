"""``verify``: ``svledger verify`` (``infra.verify.verify``) over a log written through the command layer.

ours:     ``verify(ledger)``: one snapshot; events and their recorded hash rows read in batches (PostgreSQL:
          the hash rows as a second stream in physical order, matched by key), every event hash and chain
          link recomputed (the canonical envelope spliced as ``infra.hashing`` writes it), compared with
          ``event_hashes``, versions checked; events/s. Logs of 50,000 events and more are split over one
          process per core (not this one: 2,600 events, quick 260).
baseline: ``hashlib.sha256`` over the same stored state bytes, already in memory (the hashing ceiling).
target:   ours >= 100,000 events/s (absolute); the ratio is reported for information.

Each round runs ``verify`` several times on small logs (one run of 2,600 events is ~30 ms, within the
machine's noise). The row also gives ``ours_cpu`` (events per CPU second of this process, which leaves out
the PostgreSQL server's share and the waiting) and the load average while measuring: on a loaded machine
events/s follows the CPU share the process gets.

The log is the genuine part of the ``catch_up`` log (measured there, before the copies are added,
since copies carry no recorded hashes); run alone (``--only verify``) it writes its own."""

from __future__ import annotations

import hashlib
import os
import time
from typing import Any

import psycopg

from bench.common import Config, alternate, median, row, scratch_database

NAME = "verify"
UNIT = "events/s"
TARGET = "ours >= 100,000 events/s"
_cache: dict[str, Any] = {}


def measure(cfg: Config, url: str, ledger: Any) -> dict[str, Any]:
    """Verify-vs-hashlib rounds on the log at ``url``; the row is kept for the ``verify`` measure."""
    from infra.verify import verify

    table = ledger.recorder.events_table_name
    with psycopg.connect(url, autocommit=True) as conn:
        states = [bytes(r[0]) for r in conn.execute(f"SELECT state FROM {table} ORDER BY notification_id")]

    repeat = max(1, min(10, 20_000 // max(len(states), 1)))
    cpu: list[float] = []
    loads: list[float] = []

    def ours(r: int) -> float:
        checked = 0
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(repeat):
            report = verify(ledger)
            if not report.ok:
                raise AssertionError(f"verify found problems in a log written by the command layer: "
                                     f"{report.problems[:2]}")
            checked += report.checked
        elapsed, used = time.perf_counter() - t0, time.process_time() - c0
        cpu.append(checked / max(used, 1e-9))
        loads.append(os.getloadavg()[0])
        return checked / elapsed

    def baseline(r: int) -> float:
        t0 = time.perf_counter()
        for _ in range(5):  # the hashing is quick: repeat to time it above the clock's noise
            for s in states:
                hashlib.sha256(s).digest()
        return 5 * len(states) / (time.perf_counter() - t0)

    ours_s, base_s = alternate(cfg.rounds, ours, baseline, cfg.log)
    result = row(NAME, ours_s, base_s, UNIT, target=TARGET, met=lambda x: False, events=len(states),
                 mean_state_bytes=round(sum(map(len, states)) / max(len(states), 1)), verify_runs_per_round=repeat,
                 ours_cpu=round(median(cpu)), load_average=round(median(loads), 2))
    result["met"] = result["ours"] >= 100_000
    _cache["row"] = result
    return result


def run(cfg: Config) -> dict[str, Any]:
    if "row" in _cache:
        return {**_cache["row"], "measured_in": "catch_up (same log, before the copies)"}
    from infra.ledger import Ledger
    from infra.settings import Settings

    from bench.workload import generate

    with scratch_database("vf") as url:
        generate(url, cfg.pick("catch_up_real", 260, 2_600), processes=1)
        ledger = Ledger(Settings(database_url=url))
        try:
            return measure(cfg, url, ledger)
        finally:
            ledger.close()
