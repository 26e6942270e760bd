"""``python -m bench.ladder``: where the time of one append goes (diagnostic, not a target measure).

One writer, durable, the same machine and run; each rung adds what the ledger's write path does, so
the ratio to the raw autocommit INSERT shows what each part costs:

  raw           INSERT, autocommit                                          1 round trip + flush
  txn           BEGIN; INSERT; COMMIT                                       3 round trips
  pipe_bare     BEGIN, INSERT … RETURNING, COMMIT in a pipeline (sync after the INSERT, as the recorder)
  pipe_lock     pipe_bare + SET LOCAL lock_timeout + LOCK TABLE … IN EXCLUSIVE MODE
  pipe_notify   pipe_bare + NOTIFY
  pipeline      eventsourcing's recorder: BEGIN, SET LOCAL, LOCK TABLE, NOTIFY, INSERT … RETURNING,
                COMMIT in one pipeline                                      ~2 round trips
  pipeline+     + the ledger's side rows: idempotency INSERT, prev-hash SELECT (its fetch forces a
                sync mid-pipeline), hash INSERT                             ~3 round trips
  sql_only      pipeline+ preceded by the 4 reads a command makes (idempotency lookup, Config stream
                twice, the clue's events), no Python domain work            ~7 round trips
  function      one call of a plpgsql function doing lock + idempotency + hash + insert + notify
                                                                            1 round trip (a fix)
  function_xid  the same without LOCK TABLE and NOTIFY: each row records pg_current_xact_id(), readers
                stop below pg_snapshot_xmin(pg_current_snapshot()) (the design of issue 8) 1 round trip
  command       ``Ledger.execute("acknowledgeReceipt")``, the real thing

    python -m bench.ladder [--seconds 1.5] [--rounds 3] [--writers 16]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable

import psycopg

from bench.common import RAW_TOPIC, acknowledge, raw_state, registered_clues, scratch_database

DDL = [
    "CREATE TABLE ev (originator_id uuid NOT NULL, originator_version integer NOT NULL, topic text, state bytea, "
    "notification_id bigserial, PRIMARY KEY (originator_id, originator_version))",
    "CREATE UNIQUE INDEX ev_nid ON ev (notification_id)",
    "CREATE TABLE idem (stream_type text, key text, payload_hash text, result text, PRIMARY KEY (stream_type, key))",
    "CREATE TABLE hashes (stream_id text, version bigint, prev_hash text, event_hash text, "
    "PRIMARY KEY (stream_id, version))",
    """CREATE FUNCTION append_one(p_id uuid, p_version int, p_topic text, p_state bytea, p_key text, p_hash text,
                                  p_result text) RETURNS bigint LANGUAGE plpgsql AS $$
       DECLARE prev text; nid bigint;
       BEGIN
         SET LOCAL lock_timeout = '5s';
         LOCK TABLE ev IN EXCLUSIVE MODE;
         INSERT INTO idem VALUES ('Clue', p_key, p_hash, p_result);
         SELECT event_hash INTO prev FROM hashes WHERE stream_id = p_id::text AND version = p_version - 1;
         INSERT INTO hashes VALUES (p_id::text, p_version, coalesce(prev, ''), md5(coalesce(prev, '') || p_hash));
         INSERT INTO ev (originator_id, originator_version, topic, state) VALUES (p_id, p_version, p_topic, p_state)
           RETURNING notification_id INTO nid;
         NOTIFY ev;
         RETURN nid;
       END $$""",
    "CREATE TABLE ev2 (originator_id uuid NOT NULL, originator_version integer NOT NULL, topic text, state bytea, "
    "notification_id bigserial, tx xid8 NOT NULL DEFAULT pg_current_xact_id(), "
    "PRIMARY KEY (originator_id, originator_version))",
    "CREATE UNIQUE INDEX ev2_nid ON ev2 (tx, notification_id)",
    """CREATE FUNCTION append_xid(p_id uuid, p_version int, p_topic text, p_state bytea, p_key text, p_hash text,
                                  p_result text) RETURNS bigint LANGUAGE plpgsql AS $$
       DECLARE prev text; nid bigint;
       BEGIN
         INSERT INTO idem VALUES ('Clue', p_key, p_hash, p_result);
         SELECT event_hash INTO prev FROM hashes WHERE stream_id = p_id::text AND version = p_version - 1;
         INSERT INTO hashes VALUES (p_id::text, p_version, coalesce(prev, ''), md5(coalesce(prev, '') || p_hash));
         INSERT INTO ev2 (originator_id, originator_version, topic, state) VALUES (p_id, p_version, p_topic, p_state)
           RETURNING notification_id INTO nid;
         RETURN nid;
       END $$""",
]


def rungs(conn: psycopg.Connection, ledger, versions) -> dict[str, Callable[[], None]]:  # type: ignore[no-untyped-def]
    state = raw_state()
    sids = list(versions)
    counter = [0]

    def ids() -> tuple[uuid.UUID, str]:
        counter[0] += 1
        return uuid.uuid4(), uuid.uuid4().hex

    def raw() -> None:
        conn.execute("INSERT INTO ev (originator_id, originator_version, topic, state) VALUES (%s, 1, %s, %s)",
                     (uuid.uuid4(), RAW_TOPIC, state), prepare=True)

    def txn() -> None:
        with conn.transaction():
            raw()

    def pipeline(extra: bool = False, lock: bool = True, notify: bool = True) -> None:
        oid, key = ids()
        with conn.pipeline() as p, conn.transaction():
            if extra:
                conn.execute("INSERT INTO idem VALUES ('Clue', %s, %s, '{}')", (key, key), prepare=True)
                conn.execute("SELECT event_hash FROM hashes WHERE stream_id = %s AND version = %s",
                             (str(oid), 0), prepare=True).fetchone()
                conn.execute("INSERT INTO hashes VALUES (%s, 1, '', %s)", (str(oid), key), prepare=True)
            if lock:
                conn.execute("SET LOCAL lock_timeout = '5s'", prepare=True)
                conn.execute("LOCK TABLE ev IN EXCLUSIVE MODE", prepare=True)
            if notify:
                conn.execute("NOTIFY ev")
            cur = conn.execute("INSERT INTO ev (originator_id, originator_version, topic, state) "
                               "VALUES (%s, 1, %s, %s) RETURNING notification_id", (oid, RAW_TOPIC, state), prepare=True)
            p.sync()
            cur.fetchone()

    def sql_only() -> None:
        oid, key = ids()
        conn.execute("SELECT payload_hash, result FROM idem WHERE stream_type = 'Clue' AND key = %s", (key,),
                     prepare=True).fetchall()
        for _ in range(2):  # the Config stream, read twice
            conn.execute("SELECT * FROM ev WHERE originator_id = %s ORDER BY originator_version", (oid,),
                         prepare=True).fetchall()
        conn.execute("SELECT * FROM supervisionledger_events WHERE originator_id = %s ORDER BY originator_version",
                     (uuid.UUID(sids[counter[0] % len(sids)]),), prepare=True).fetchall()  # the clue's events
        pipeline(extra=True)

    def function() -> None:
        oid, key = ids()
        conn.execute("SELECT append_one(%s, 1, %s, %s, %s, %s, '{}')",
                     (oid, RAW_TOPIC, state, key, hashlib.sha256(key.encode()).hexdigest()), prepare=True).fetchone()

    def function_xid() -> None:
        oid, key = ids()
        conn.execute("SELECT append_xid(%s, 1, %s, %s, %s, %s, '{}')",
                     (oid, RAW_TOPIC, state, key, hashlib.sha256(key.encode()).hexdigest()), prepare=True).fetchone()

    clue_cycle = [0]

    def command() -> None:
        clue_cycle[0] += 1
        acknowledge(ledger, versions, sids[clue_cycle[0] % len(sids)])

    return {"raw": raw, "txn": txn, "pipe_bare": lambda: pipeline(lock=False, notify=False),
            "pipe_lock": lambda: pipeline(notify=False), "pipe_notify": lambda: pipeline(lock=False),
            "pipeline": pipeline, "pipeline+": lambda: pipeline(extra=True),
            "sql_only": sql_only, "function": function, "function_xid": function_xid, "command": command}


def _timed(steps: list[Callable[[], None]], seconds: float) -> float:
    """Run each step in its own thread (one per writer) for ``seconds``; completed steps per second."""
    counts = [0] * len(steps)
    t0 = time.perf_counter()

    def work(i: int) -> None:
        while time.perf_counter() - t0 < seconds:
            steps[i]()
            counts[i] += 1

    if len(steps) == 1:
        work(0)
    else:
        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(steps))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return sum(counts) / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.ladder")
    p.add_argument("--seconds", type=float, default=1.5)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--writers", type=int, default=1, help="concurrent writers, one connection each "
                                                          "(the command rung only runs with 1)")
    args = p.parse_args(argv)
    from infra.ledger import Ledger
    from infra.settings import Settings

    with scratch_database("ladder") as url:
        ledger = Ledger(Settings(database_url=url))
        conns = [psycopg.connect(url, autocommit=True) for _ in range(args.writers)]
        try:
            for statement in DDL:
                conns[0].execute(statement)
            versions = registered_clues(ledger, 100)
            per_writer = [rungs(c, ledger, versions) for c in conns]
            names = [n for n in per_writer[0] if args.writers == 1 or n not in ("command", "sql_only")]
            rates: dict[str, list[float]] = {k: [] for k in names}
            for steps in per_writer:
                for name in names:
                    for _ in range(5):
                        steps[name]()
            for r in range(args.rounds):
                for name in (names if r % 2 == 0 else names[::-1]):
                    rates[name].append(_timed([steps[name] for steps in per_writer], args.seconds))
            base = statistics.median(rates["raw"])
            print(f"{args.writers} writer(s)\n{'rung':11} {'per s':>8} {'ms':>7} {'ratio':>6}  rounds")
            for name, values in rates.items():
                med = statistics.median(values)
                print(f"{name:11} {med:8.0f} {1000 / med:7.3f} {med / base:6.2f}  "
                      + " ".join(f"{v:.0f}" for v in values))
        finally:
            for c in conns:
                c.close()
            ledger.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
