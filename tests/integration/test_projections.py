"""Read models: incremental == rebuilt (row by row), crash-safe projector, lag, on both databases."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from infra.ledger import Ledger
from infra.sample import record_sample_clue
from projections.db import ReadDb
from projections.rebuild import rebuild
from projections.registry import BY_NAME
from projections.runner import Projector

CST = timezone(timedelta(hours=8))


_SEQ = iter(range(10**6))


def load(ledger: Ledger, clues: int) -> None:
    start = datetime.now(CST).replace(microsecond=0) - timedelta(hours=5)
    for _ in range(clues):
        record_sample_clue(ledger, start=start + timedelta(seconds=next(_SEQ)))


def dump(db: ReadDb) -> dict[str, list[tuple]]:
    tables = [t for cls in BY_NAME.values() for t in cls.tables]
    return {t: sorted(db.query(f"SELECT * FROM {t}"), key=repr) for t in tables}


def test_incremental_equals_rebuild_row_by_row(ledger: Ledger) -> None:
    projector = Projector(ledger, batch_size=7)
    for _ in range(3):  # writes interleaved with small projector batches
        load(ledger, 2)
        projector.run_once()
    incremental = dump(projector.db)
    for name in BY_NAME:
        rebuild(ledger, name)
    rebuilt = dump(projector.db)
    assert incremental == rebuilt
    assert len(incremental["clue_list"]) == 6 and len(incremental["audit_timeline"]) == 6 * 13
    assert all(lag.events_behind == 0 for lag in projector.lag())


def test_a_rebuild_keeps_the_projector_going(ledger: Ledger) -> None:
    load(ledger, 2)
    projector = Projector(ledger)
    projector.run_once()
    rebuild(ledger, "clue_list")
    load(ledger, 1)
    projector.run_once()
    rows = projector.db.query("SELECT COUNT(*) FROM clue_list")[0][0]
    timeline = projector.db.query("SELECT COUNT(*) FROM audit_timeline")[0][0]
    assert (rows, timeline) == (3, 39)


def test_lag_reports_events_and_seconds_behind(ledger: Ledger) -> None:
    projector = Projector(ledger)
    load(ledger, 1)
    lags = projector.lag()
    assert {lag.events_behind for lag in lags} == {13}
    assert all(lag.seconds_behind > 0 for lag in lags)
    projector.run_once()
    assert {lag.events_behind for lag in projector.lag()} == {0}


def test_kill_9_at_random_moments_then_restart_equals_a_clean_rebuild(ledger: Ledger) -> None:
    load(ledger, 12)
    env = {**os.environ, "SVLEDGER_DATABASE_URL": ledger.settings.database_url}
    cmd = [sys.executable, "-m", "infra", "project", "--batch", "5", "--poll", "0.05"]
    rng = random.Random(20240718)
    for _ in range(4):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.8, 2.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    projector = Projector(ledger)
    projector.run_once()
    survived = dump(projector.db)
    for name in BY_NAME:
        rebuild(ledger, name)
    assert survived == dump(projector.db)
    assert len(survived["audit_timeline"]) == 12 * 13


@pytest.mark.parametrize("count", [0])
def test_empty_log_projects_nothing(ledger: Ledger, count: int) -> None:
    projector = Projector(ledger)
    assert projector.run_once() == count
