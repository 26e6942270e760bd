"""``bulk_import``: ``svledger demo --profile scale`` — a large import through the domain rules — on PostgreSQL.

ours:     ``infra.demo.synthetic.load_scale(ledger, events=bulk_events)`` (quick 1,000, full 20,000): what
          ``svledger demo --profile scale --events N`` runs before it projects. The profile's plan (20
          bureaus, 2023–2025, the §12.2 mix), every command through ``infra.bulk.BulkSession`` (validation,
          roles, PII, timing, versions, every domain guard, gapless numbers and claims), saved every 2,000
          events in one transaction with their hash-chain and claim rows. Each round starts on an empty
          schema (dropped and re-created, the ledger's tables created before the clock starts; the aggregate
          modules are imported beforehand). Figure: events recorded per second.
baseline: PostgreSQL ``COPY … FROM STDIN (FORMAT BINARY)`` of the same rows — the events table's rows as
          ours stored them (every column, the same bytes, fetched beforehand) — into a fresh table created
          ``LIKE`` the events table ``INCLUDING ALL EXCLUDING DEFAULTS`` (same columns, primary key and
          indexes; no triggers: those of the events table refuse updates and deletes only), in one
          transaction, committed. It writes no hash-chain or claim rows: those are part of what ours costs.
Both commit durably (synchronous_commit on; checked and reported)."""

from __future__ import annotations

import time
from typing import Any

import psycopg

from bench.common import Config, alternate, durable, row, scratch_database

NAME = "bulk_import"
UNIT = "events/s"
TARGET = "ratio >= 0.5"
COPY_SCHEMA = "bench_copy"
CHUNK = 1 << 20


def _reset_schema(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


def run(cfg: Config) -> dict[str, Any]:
    from infra.demo.synthetic import load_scale
    from infra.ledger import Ledger
    from infra.settings import Settings

    from domain.streams import AGGREGATES, aggregate_class

    for stream_type in AGGREGATES:  # import the aggregates once, before any clock starts (not the path's cost)
        aggregate_class(stream_type)
    n_events = cfg.pick("bulk_events", 1_000, 20_000)
    with scratch_database("bi") as url:
        data: dict[str, Any] = {}
        summaries: list[dict[str, Any]] = []

        def ours(r: int) -> float:
            _reset_schema(url)
            ledger = Ledger(Settings(database_url=url))  # creates the tables, the function, the triggers
            try:
                table = ledger.recorder.events_table_name
                t0 = time.perf_counter()
                summary = load_scale(ledger, events=n_events)
                elapsed = time.perf_counter() - t0
            finally:
                ledger.close()
            summaries.append(summary)
            with psycopg.connect(url, autocommit=True) as conn:
                stored = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                if stored != n_events or summary["events"] != n_events:
                    raise AssertionError(f"the scale profile recorded {summary['events']} events ({stored} stored), "
                                         f"not {n_events}")
                if not data:  # the baseline's input: the stored rows, every column, as bytes
                    columns = [r[0] for r in conn.execute(
                        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
                        "AND NOT attisdropped ORDER BY attnum", (table,))]
                    with conn.cursor() as cur, cur.copy(
                            f"COPY (SELECT {', '.join(columns)} FROM {table} ORDER BY notification_id) "
                            "TO STDOUT (FORMAT BINARY)") as copy:
                        blob = b"".join(bytes(chunk) for chunk in copy)
                    data.update(table=table, columns=columns, blob=blob, rows=stored,
                                indexes=conn.execute("SELECT count(*) FROM pg_index WHERE indrelid = %s::regclass",
                                                     (table,)).fetchone()[0],
                                bytes=conn.execute(f"SELECT sum(octet_length(state)) FROM {table}").fetchone()[0])
            return n_events / elapsed

        def baseline(r: int) -> float:
            if not data:
                raise RuntimeError("the baseline copies ours' rows: ours must run first")
            target = f"{COPY_SCHEMA}.events"
            with psycopg.connect(url) as conn:
                conn.execute(f"CREATE SCHEMA IF NOT EXISTS {COPY_SCHEMA}")
                conn.execute(f"DROP TABLE IF EXISTS {target}")
                conn.execute(f"CREATE TABLE {target} (LIKE public.{data['table']} INCLUDING ALL EXCLUDING DEFAULTS)")
                conn.commit()
                blob = data["blob"]
                t0 = time.perf_counter()
                with conn.cursor() as cur, cur.copy(f"COPY {target} ({', '.join(data['columns'])}) "
                                                    "FROM STDIN (FORMAT BINARY)") as copy:
                    for i in range(0, len(blob), CHUNK):
                        copy.write(blob[i:i + CHUNK])
                conn.commit()
                elapsed = time.perf_counter() - t0
                copied = conn.execute(f"SELECT count(*) FROM {target}").fetchone()[0]
                conn.execute(f"DROP TABLE {target}")
                conn.commit()
            if copied != data["rows"]:
                raise AssertionError(f"COPY stored {copied} rows, not {data['rows']}")
            return copied / elapsed

        ours_s, base_s = alternate(cfg.rounds, ours, baseline, cfg.log)
        first = summaries[0]
        return row(NAME, ours_s, base_s, UNIT, target=TARGET, met=lambda x: x >= 0.5,
                   events=n_events, commands=first["commands"], state_bytes=int(data["bytes"]),
                   state_bytes_mean=round(data["bytes"] / max(data["rows"], 1), 1), copy_indexes=data["indexes"],
                   mix=first["mix"], flush_every=2000, durable=durable(url),
                   profile_s=[s["seconds"] for s in summaries])
