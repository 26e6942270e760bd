"""``scale``: a clue's history read (``ledger.stream_events(clue_id)``) at a large log vs a small log.

Two databases built the same way, one with ``scale_small`` events, one with ``scale_large``:
a few genuine seed clues, then ``scale_clues`` measured clues written through the command layer one
lifecycle step at a time with filler appended between the steps, so each measured clue's 13 events
are spread across the whole log as they would be over months. The filler copies the seed clues' rows
under new stream ids inside PostgreSQL (``bench.workload.clone_filler``).

ours = p50 at the large log, baseline = p50 at the small log (alternating rounds, each reading every
measured clue several times), ratio = large / small (lower is better, target <= 2). A raw psycopg
``SELECT`` of the same rows is timed alongside at both sizes to show what the library adds."""

from __future__ import annotations

import itertools
import time
import uuid
from typing import Any

import psycopg

from bench.common import Config, alternate, median, percentile, row, scratch_database
from bench.workload import EVENTS_PER_CLUE, Lifecycles, clone_filler

NAME = "scale"
UNIT = "ms p50"
TARGET = "ratio (large / small) <= 2"
SEED_CLUES = 4


def _build(url: str, size: int, n_clues: int, cfg: Config) -> tuple[Any, list[uuid.UUID], float, int]:
    from infra.ledger import Ledger
    from infra.settings import Settings

    t0 = time.perf_counter()
    ledger = Ledger(Settings(database_url=url))
    table = ledger.recorder.events_table_name
    seed = Lifecycles(ledger, SEED_CLUES, f"seed-{uuid.uuid4().hex[:8]}")
    seed.run_all()
    seed_ids = [str(c) for c in seed.clues]
    filler = max(0, size - (SEED_CLUES + n_clues) * EVENTS_PER_CLUE)
    chunk = filler // (EVENTS_PER_CLUE + 1)
    targets = Lifecycles(ledger, n_clues, f"target-{uuid.uuid4().hex[:8]}")
    clone_filler(url, table, seed_ids, chunk)
    targets.run_all(between=lambda k: clone_filler(url, table, seed_ids, chunk) if chunk else None)
    with psycopg.connect(url, autocommit=True) as conn:
        left = size - conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        if left > 0:
            clone_filler(url, table, seed_ids, left)
        conn.execute(f"VACUUM (ANALYZE) {table}")
        total = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    cfg.log(f"{NAME}: built {total:,} events in {time.perf_counter() - t0:.1f} s")
    return ledger, targets.clues, time.perf_counter() - t0, total


def run(cfg: Config) -> dict[str, Any]:
    small = cfg.pick("scale_small", 10_000, 10_000)
    large = cfg.pick("scale_large", 60_000, 1_000_000)
    n_clues = cfg.pick("scale_clues", 8, 30)
    reads = cfg.pick("scale_reads", 120, 600)
    with scratch_database("ss") as small_url, scratch_database("sl") as large_url:
        built = {}
        try:
            for label, url, size in (("small", small_url, small), ("large", large_url, large)):
                cfg.log(f"{NAME}: building the {label} log ({size:,} events)")
                built[label] = _build(url, size, n_clues, cfg)
            lat: dict[str, list[float]] = {"small": [], "large": [], "raw_small": [], "raw_large": []}
            raw = {label: psycopg.connect(url, autocommit=True)
                   for label, url in (("small", small_url), ("large", large_url))}
            table = built["small"][0].recorder.events_table_name

            def sample(label: str) -> float:
                ledger, clues = built[label][0], itertools.cycle(built[label][1])
                this: list[float] = []
                for _ in range(reads):
                    clue = next(clues)
                    t0 = time.perf_counter()
                    events = ledger.stream_events(clue)
                    this.append(time.perf_counter() - t0)
                    assert len(events) == EVENTS_PER_CLUE, len(events)
                    t0 = time.perf_counter()
                    raw[label].execute(f"SELECT * FROM {table} WHERE originator_id = %s ORDER BY originator_version",
                                       (clue,), prepare=True).fetchall()
                    lat[f"raw_{label}"].append(time.perf_counter() - t0)
                lat[label].extend(this)
                return 1000 * median(this)

            for label in ("small", "large"):  # warm both the same way
                for clue in built[label][1]:
                    built[label][0].stream_events(clue)
            large_s, small_s = alternate(cfg.rounds, lambda r: sample("large"), lambda r: sample("small"), cfg.log)
            for c in raw.values():
                c.close()
            ms = {k: round(1000 * median(v), 3) for k, v in lat.items()}
            return row(NAME, large_s, small_s, UNIT, target=TARGET, met=lambda x: x <= 2.0, higher_is_better=False,
                       read="ledger.stream_events(clue_id), 13 events", large_events=built["large"][3],
                       small_events=built["small"][3], measured_clues=n_clues, reads_per_round=reads,
                       full_target="1,000,000 vs 10,000 events",
                       build_large_s=round(built["large"][2], 1), build_small_s=round(built["small"][2], 1),
                       ours_p99_ms=round(1000 * percentile(lat["large"], 0.99), 3),
                       baseline_p99_ms=round(1000 * percentile(lat["small"], 0.99), 3),
                       raw_select_p50_ms_large=ms["raw_large"], raw_select_p50_ms_small=ms["raw_small"])
        finally:
            for b in built.values():
                b[0].close()
