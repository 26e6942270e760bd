"""The scanning half of ``svledger verify`` (``infra.verify``): ``scan_range`` checks a range of the log read
from one ``snapshot`` of the database; ``worker``/``main`` do the same for one part of a large log in a
separate process. The checks are ``infra.verify_scan.Scan``; the batched reads ``infra.verify_read``.

This module imports neither the ledger nor ``eventsourcing``, so a worker process starts quickly."""

from __future__ import annotations

import gc
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from infra.merkle import Pyramid
from infra.verify_read import BEGIN, MMAP_SIZE, PostgresSource, SQLiteSource
from infra.verify_scan import Scan


def scan_range(source: Any, after: int, upto: int | None, *, prior: dict[str, tuple[Any, str]] | None = None,
               defer: bool = False, max_problems: int = 20, progress: Callable[[int], None] | None = None) -> Scan:
    """Check the events at positions ``after < p <= upto`` in log order, from the state ``prior`` (or, with
    ``defer``, leaving the state before the range to ``Scan.continues``); stops after the batch in which
    ``max_problems`` problems were found."""
    started = time.perf_counter()
    scan = Scan(lookup=source.lookup, defer=defer).prime(prior or {})
    collecting = gc.isenabled()
    gc.disable()  # the scan makes no cycles, and a collection pass per 700 new tuples costs ~15 % of it
    try:
        for rows, hashes in source.rows(after, upto):
            scan.feed(rows, hashes)
            if progress:
                progress(scan.position or after)
            if len(scan.problems) >= max_problems:
                break
    finally:
        if collecting:
            gc.enable()
    scan.seconds["scan"] = time.perf_counter() - started
    return scan


@contextmanager
def snapshot(ledger: Any) -> Iterator[tuple[Any, dict[str, Any]]]:
    """A source over one consistent snapshot of the ledger's database (SQLite: a read transaction on the
    ledger's connection; PostgreSQL: a REPEATABLE READ, READ ONLY transaction on a pooled connection) and
    what a worker process needs to read the same rows."""
    recorder, settings = ledger.recorder, ledger.settings
    table = recorder.events_table_name
    if settings.is_postgres:
        with recorder.datastore.get_connection() as conn:
            conn.execute(BEGIN)
            try:
                yield PostgresSource(conn, table), {"backend": "postgres", "url": settings.database_url,
                                                    "table": table}
            finally:
                if not conn.closed:
                    conn.execute("ROLLBACK")
        return
    with recorder.datastore.transaction(commit=False) as cursor:
        path = settings.sqlite_path
        shareable = path not in (":memory:", "") and not path.startswith("file:") and os.path.exists(path)
        conn = getattr(cursor, "sqlite_cursor", cursor).connection
        mapped = conn.execute("PRAGMA mmap_size").fetchone()[0] if shareable else None
        if shareable:  # before the first read of the transaction; the connection gets its setting back after
            conn.execute(f"PRAGMA mmap_size = {MMAP_SIZE}")
        try:
            yield SQLiteSource(conn, table), {"backend": "sqlite", "path": os.path.abspath(path) if shareable
                                              else None, "table": table}
        finally:
            if mapped is not None:
                conn.execute(f"PRAGMA mmap_size = {int(mapped)}")


def worker(spec: dict[str, Any]) -> Scan | str:
    """Scan ``spec['after'] < p <= spec['upto']`` in the snapshot the parent holds (PostgreSQL: the exported
    snapshot; SQLite: read-only, bounded by the parent's head), leaving the state before it to the parent
    (``Scan.continues``); the ``Scan`` (or the error text)."""
    try:
        if spec["backend"] == "sqlite":
            from urllib.parse import quote

            db = sqlite3.connect(f"file:{quote(spec['path'])}?mode=ro", uri=True, isolation_level=None)
            try:
                db.execute(f"PRAGMA mmap_size = {MMAP_SIZE}")
                db.execute("BEGIN")
                source: Any = SQLiteSource(db, spec["table"])
                scan = scan_range(source, spec["after"], spec["upto"], defer=True, max_problems=1)
            finally:
                db.close()
        else:
            import psycopg

            with psycopg.connect(spec["url"], autocommit=True) as pg:
                pg.execute(f"{BEGIN}; SET TRANSACTION SNAPSHOT '{spec['snapshot']}'")
                source = PostgresSource(pg, spec["table"])
                scan = scan_range(source, spec["after"], spec["upto"], defer=True, max_problems=1)
                pg.execute("ROLLBACK")
        # the Merkle roots of the checkpoints in this part or, but for the last part, in a later one need it
        if (scan.checkpoints or not spec.get("last", True)) and not scan.problems:
            started = time.perf_counter()
            scan.pyramids = [Pyramid(spec["leaf_start"], scan.leaves(), scan.odd_leaves)]
            scan.seconds["pyramid"] = time.perf_counter() - started
        scan.packed, scan.hexes, scan.odd_leaves = [], [], {}
        scan.lookup = None
        scan.touched = set(scan.ids.values())
        scan.ids, scan.seen_topics, scan.plain_topics = {}, set(), set()
        return scan
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which then verifies alone
        return f"{type(exc).__name__}: {exc}"


def main() -> None:
    """The worker process (``python -c "from infra.verify_fast import main; main()"``): a job as JSON on
    stdin, the pickled result on stdout."""
    import json
    import pickle
    import sys

    result = worker(json.loads(sys.stdin.read()))
    sys.stdout.buffer.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()

