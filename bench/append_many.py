"""``append_16``: 16 concurrent writers, each on its own clues, plus a follower reading the log.

ours:     16 threads sharing one ``Ledger`` (as an API worker would), each running
          ``acknowledgeReceipt`` on its own pre-created clues (one event per command).
baseline: 16 threads, each with its own autocommit connection, single-row INSERTs into the raw table.
follower: while the writers run, a reader follows the log "greater than the last position seen"
          (ours: a second ``Ledger``'s ``notifications(after=…)``; baseline: the same query on the raw
          table). After the writers stop it drains to the head; ``missed`` counts committed events it
          never saw, ``duplicates`` and ``out_of_order`` what it saw twice or in a changing order.
          The baseline's follower is expected to miss events (nothing orders commits there): it shows
          the check is sensitive, and is not part of the target."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg

from bench.common import (RAW_INSERT, RAW_TOPIC, Config, acknowledge, alternate, create_raw_table, durable,
                          raw_state, registered_clues, row, scratch_database)

NAME = "append_16"
UNIT = "events/s"
TARGET = "ratio >= 0.8 and missed == 0"
WRITERS = 16
POLL_S = 0.005


class Follower(threading.Thread):
    """Follows a log by position; ``read(after)`` returns the next positions after ``after``."""

    def __init__(self, read: Callable[[int], list[int]], start: int) -> None:
        super().__init__(daemon=True)
        self.read, self.last, self.seen = read, start, []
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def poll(self) -> int:
        ids = self.read(self.last)
        if ids:
            self.seen.extend(ids)
            self.last = ids[-1]
        return len(ids)

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                if not self.poll():
                    time.sleep(POLL_S)
            while self.poll():  # drain to the head once the writers have stopped
                pass
        except BaseException as exc:  # reported, never swallowed
            self.error = exc

    def check(self, committed: list[int]) -> dict[str, int]:
        seen = set(self.seen)
        return {"missed": len(set(committed) - seen), "duplicates": len(self.seen) - len(seen),
                "out_of_order": sum(1 for a, b in zip(self.seen, self.seen[1:]) if b <= a), "followed": len(self.seen)}


def _writers(step: Callable[[int], None], seconds: float) -> float:
    """Run ``step(writer)`` in WRITERS threads for ``seconds``; returns completed steps per second."""
    counts = [0] * WRITERS
    errors: list[BaseException] = []
    barrier = threading.Barrier(WRITERS + 1)
    deadline = [0.0]

    def work(w: int) -> None:
        barrier.wait()
        try:
            while time.perf_counter() < deadline[0]:
                step(w)
                counts[w] += 1
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,), daemon=True) for w in range(WRITERS)]
    for t in threads:
        t.start()
    t0 = time.perf_counter()
    deadline[0] = t0 + seconds
    barrier.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return sum(counts) / elapsed


def run(cfg: Config) -> dict[str, Any]:
    from infra.ledger import Ledger
    from infra.settings import Settings

    seconds = cfg.pick("append_seconds", 0.8, 3)
    per_writer = cfg.pick("append16_clues", 3, 12)
    with scratch_database("a16") as url:
        ledger = Ledger(Settings(database_url=url))
        reader = Ledger(Settings(database_url=url))
        conns = [psycopg.connect(url, autocommit=True) for _ in range(WRITERS + 1)]
        try:
            cfg.log(f"{NAME}: creating {WRITERS * per_writer} registered clues")
            versions = registered_clues(ledger, WRITERS * per_writer)
            sids = list(versions)
            mine = [itertools.cycle(sids[w::WRITERS]) for w in range(WRITERS)]
            create_raw_table(url)
            state = raw_state()
            insert = RAW_INSERT.format(t="raw_events")
            table = ledger.recorder.events_table_name
            checks: dict[str, list[dict[str, int]]] = {"ours": [], "baseline": []}

            def ours_read(after: int) -> list[int]:
                return [n.id for n in reader.notifications(after=after, limit=500)]

            def base_read(after: int) -> list[int]:
                return [r[0] for r in conns[-1].execute(
                    "SELECT notification_id FROM raw_events WHERE notification_id > %s "
                    "ORDER BY notification_id LIMIT 500", (after,), prepare=True)]

            def committed(tbl: str, after: int) -> list[int]:
                return [r[0] for r in conns[-1].execute(
                    f"SELECT notification_id FROM {tbl} WHERE notification_id > %s ORDER BY 1", (after,))]

            def head(tbl: str) -> int:
                return conns[-1].execute(f"SELECT coalesce(max(notification_id), 0) FROM {tbl}").fetchone()[0]

            def measured(step: Callable[[int], None], read: Callable[[int], list[int]], tbl: str,
                         sink: list[dict[str, int]]) -> float:
                start = head(tbl)
                follower = Follower(read, start)
                follower.start()
                rate = _writers(step, seconds)
                follower.stop.set()
                follower.join()
                if follower.error:
                    raise follower.error
                sink.append(follower.check(committed(tbl, start)))
                return rate

            def ours_step(w: int) -> None:
                acknowledge(ledger, versions, next(mine[w]))

            def base_step(w: int) -> None:
                conns[w].execute(insert, (uuid.uuid4(), 1, RAW_TOPIC, state), prepare=True)

            for w in range(WRITERS):  # warm up
                ours_step(w)
                base_step(w)
            ours, base = alternate(cfg.rounds, lambda r: measured(ours_step, ours_read, table, checks["ours"]),
                                   lambda r: measured(base_step, base_read, "raw_events", checks["baseline"]), cfg.log)
            total = {k: sum(c[k] for c in checks["ours"]) for k in ("missed", "duplicates", "out_of_order", "followed")}
            base_total = {k: sum(c[k] for c in checks["baseline"]) for k in ("missed", "duplicates", "out_of_order")}
            result = row(NAME, ours, base, UNIT, target=TARGET,
                         met=lambda x: x >= 0.8 and not (total["missed"] or total["duplicates"] or total["out_of_order"]),
                         command="acknowledgeReceipt on an existing clue (1 event)", writers=WRITERS,
                         durable=durable(url), seconds_per_round=seconds, clues=len(sids), stream_length_max=max(versions.values()),
                         missed=total["missed"], duplicates=total["duplicates"], out_of_order=total["out_of_order"],
                         followed=total["followed"], baseline_missed=base_total["missed"],
                         baseline_out_of_order=base_total["out_of_order"],
                         pool_max=int(ledger.env.get("POSTGRES_POOL_SIZE", 0) or 0)
                         + int(ledger.env.get("POSTGRES_MAX_OVERFLOW", 0) or 0))
            return result
        finally:
            for c in conns:
                c.close()
            reader.close()
            ledger.close()
