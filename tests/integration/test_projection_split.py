"""A long catch-up in two processes (``projections.split``): the same rows and positions as one process, on
both databases (SQLite never splits); a failing second process fails the catch-up and leaves its read models
where its last committed batch left them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from infra.ledger import Ledger
from infra.sample import record_sample_clue
from projections import split
from projections.base import Projection
from projections.db import Tx
from projections.registry import PROJECTIONS
from projections.runner import Projector, all_projections
from projections.timeline import AuditTimeline

CST = timezone(timedelta(hours=8))


def load(ledger: Ledger, clues: int) -> int:
    start = datetime.now(CST).replace(microsecond=0) - timedelta(hours=5)
    for i in range(clues):
        record_sample_clue(ledger, start=start + timedelta(seconds=i))
    return ledger.recorder.max_notification_id() or 0


def tables(projector: Projector, prefix: str) -> dict[str, list[tuple]]:
    return {t: sorted(projector.db.query(f"SELECT * FROM {prefix}{t}"), key=repr) for cls in PROJECTIONS
            for t in cls.tables}


def tracked(projector: Projector, prefix: str) -> list[tuple]:
    return sorted(projector.db.query("SELECT name, position, recorded_us FROM projection_tracking WHERE name LIKE ?",
                                     (prefix + "%",)))


@pytest.fixture
def starts(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Split from 10 events; the names of the read models each second process was given."""
    calls: list[list[str]] = []
    original = split.start

    def start(follower: Any, projections: Any) -> Any:
        calls.append([p.name for p in projections])
        return original(follower, projections)

    monkeypatch.setattr(split, "SPLIT_FROM_EVENTS", 10)
    monkeypatch.setattr(split, "start", start)
    return calls


def test_two_processes_write_what_one_writes(ledger: Ledger, starts: list[list[str]],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    head = load(ledger, 3)
    two = Projector(ledger, all_projections("two_"), batch_size=7)
    assert two.run_once() == head
    monkeypatch.setattr(split, "SPLIT_FROM_EVENTS", 10**9)
    one = Projector(ledger, all_projections("one_"), batch_size=7)
    assert one.run_once() == head
    assert starts == ([[p.name for p in PROJECTIONS if p.name in split.OFFLOADED]] if ledger.settings.is_postgres
                      else [])
    assert tables(two, "two_") == tables(one, "one_")
    assert [r[1:] for r in tracked(two, "two_")] == [r[1:] for r in tracked(one, "one_")]
    assert {r[1] for r in tracked(two, "two_")} == {head}

    more = load(ledger, 2)  # the next catch-up goes on from each read model's position
    monkeypatch.setattr(split, "SPLIT_FROM_EVENTS", 10)
    assert two.run_once() == more - head
    assert len(two.db.query("SELECT position FROM two_audit_timeline")) == more
    two.db.close()
    one.db.close()


class FailingTimeline(AuditTimeline):
    """The audit timeline, failing at its second batch (in the second process)."""

    name = "audit_timeline"

    def apply_batch(self, tx: Tx, events: Any) -> None:
        if events[0].position > 7:
            raise RuntimeError("the second process broke")
        super().apply_batch(tx, events)


def test_a_failing_second_process_fails_the_catch_up(ledger: Ledger, starts: list[list[str]]) -> None:
    if not ledger.settings.is_postgres:
        pytest.skip("SQLite catches up in one process")
    head = load(ledger, 2)
    projections: list[Projection] = [cls("fail_") for cls in PROJECTIONS if cls is not AuditTimeline]
    projector = Projector(ledger, [*projections, FailingTimeline("fail_")], batch_size=7)
    with pytest.raises(RuntimeError, match="second process broke"):
        projector.run_once()
    positions = dict(projector.db.query("SELECT name, position FROM projection_tracking WHERE name LIKE 'fail_%'"))
    assert positions.pop("fail_audit_timeline") == 7  # its first batch committed, the second rolled back
    assert positions.pop("fail_facts") == 7  # the other read model there: the same transactions
    assert set(positions.values()) == {head}  # this process's read models caught up
    assert projector.db.query("SELECT COUNT(*) FROM fail_audit_timeline") == [(7,)]
    projector.db.close()
