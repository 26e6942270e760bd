"""``catch_up``: the projector building every read model from the whole log, from scratch.

log:      sample clue lifecycles (13 events each: receipt to closure with a notice) written through
          ``Ledger.execute`` (``catch_up_real`` events; generation time and rate are reported), topped up
          to ``catch_up_events`` with copies whose UUIDs are all renewed (see ``bench.workload``).
ours:     ``Projector(ledger, all_projections(prefix)).run_once()`` into fresh tables (a new prefix per
          round, as a rebuild does), every registered projection, its own batches and tracking; each
          round checks one audit_timeline row per event. ``ours_cpu_us_per_event`` is the projector's CPU
          per event (both threads of this process, and the second process a long catch-up starts, see
          ``projections.split``) and ``ours_cpu_share`` the number of cores it kept busy: under 1 per process
          when the figure waits on the database or on neighbours for CPU.
baseline: one ``SELECT`` of the same events in log order, streamed through a server-side cursor."""

from __future__ import annotations

import resource
import time
from typing import Any

import psycopg

from bench import verify_rate
from bench.common import Config, alternate, median, row, scratch_database
from bench.workload import clone_rewritten, generate

NAME = "catch_up"
UNIT = "events/s"
TARGET = "ratio >= 0.5"


def run(cfg: Config) -> dict[str, Any]:
    from infra.ledger import Ledger
    from infra.settings import Settings
    from projections.registry import PROJECTIONS
    from projections.runner import BATCH_SIZE, Projector, all_projections

    n_events = cfg.pick("catch_up_events", 2_000, 100_000)
    n_real = min(cfg.pick("catch_up_real", 260, 2_600), n_events)
    with scratch_database("cu") as url:
        cfg.log(f"{NAME}: writing {n_real} events through the command layer")
        gen = generate(url, n_real, processes=1)
        ledger = Ledger(Settings(database_url=url))
        table = ledger.recorder.events_table_name
        try:
            verify_rate.measure(cfg, url, ledger)  # on the genuine log only (copies have no recorded hashes)
            cfg.log(f"{NAME}: generated {gen}; copying up to {n_events}")
            clone_s = clone_rewritten(url, table, n_events - gen["events"])
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f"VACUUM (ANALYZE) {table}")
                total = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            applied: list[int] = []
            cpu: list[float] = []  # the projector's CPU seconds per event (threads and second process)

            def ours(r: int) -> float:
                projector = Projector(ledger, all_projections(f"r{r}_"))  # fresh tables
                try:
                    t0, c0, k0 = time.perf_counter(), time.process_time(), _children_cpu()
                    n = projector.run_once()
                    elapsed = time.perf_counter() - t0
                    used = time.process_time() - c0 + _children_cpu() - k0
                    timeline = projector.db.query(f"SELECT COUNT(*) FROM r{r}_audit_timeline")[0][0]
                finally:
                    projector.db.close()
                if timeline != n:
                    raise AssertionError(f"round {r}: {n} events read, {timeline} audit_timeline rows")
                applied.append(n)
                cpu.append(used / max(n, 1))
                return n / elapsed

            def baseline(r: int) -> float:
                t0 = time.perf_counter()
                n = 0
                with psycopg.connect(url) as conn, conn.cursor(name=f"raw{r}") as cur:
                    cur.itersize = 2000
                    cur.execute(f"SELECT notification_id, originator_id, originator_version, topic, state "
                                f"FROM {table} ORDER BY notification_id")
                    for _ in cur:
                        n += 1
                return n / (time.perf_counter() - t0)

            ours_s, base_s = alternate(cfg.rounds, ours, baseline, cfg.log)
            if any(n != total for n in applied):
                raise AssertionError(f"the projector applied {applied} events, the log holds {total}")
            return row(NAME, ours_s, base_s, UNIT, target=TARGET, met=lambda x: x >= 0.5,
                       events=total, events_command_layer=gen["events"], events_copied=total - gen["events"],
                       generation_s=gen["seconds"], generation_events_per_s=gen["events_per_s"],
                       copy_s=round(clone_s, 2), projections=[p.name for p in PROJECTIONS],
                       seconds_per_round_ours=round(total / max(min(ours_s), 1e-9), 1),
                       batch_size=BATCH_SIZE, ours_cpu_us_per_event=round(median(cpu) * 1e6, 1),
                       ours_cpu_share=round(median(cpu) * median(ours_s), 2))
        finally:
            ledger.close()


def _children_cpu() -> float:
    """CPU seconds of this process's finished (waited for) children: the projector's second process."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
