"""Tampering with the stored log is detected with its position: a changed byte, a deleted row,
a row overwritten by its neighbour, a truncated log (triggers dropped first, as an attacker with database access would)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.ledger import Ledger
from infra.sample import record_sample_clue
from infra.settings import Settings
from infra.verify import verify

CST = timezone(timedelta(hours=8))


@pytest.fixture
def sqlite_ledger(tmp_path) -> Ledger:
    ledger = Ledger(Settings(database_url=f"sqlite:///{tmp_path / 'v.db'}"))
    start = datetime.now(CST).replace(microsecond=0) - timedelta(hours=5)
    for i in range(3):
        record_sample_clue(ledger, start=start + timedelta(seconds=i))
    return ledger


def tamper(ledger: Ledger, *statements: str) -> None:
    with sqlite3.connect(ledger.settings.sqlite_path) as conn:
        conn.execute("DROP TRIGGER stored_events_no_update")
        conn.execute("DROP TRIGGER stored_events_no_delete")
        for s in statements:
            conn.execute(s)


def test_an_untouched_log_verifies(ledger: Ledger) -> None:
    record_sample_clue(ledger)
    report = verify(ledger)
    assert report.ok and report.checked == 13


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=st.integers(min_value=1, max_value=39), offset=st.integers(min_value=0, max_value=10_000),
       bit=st.integers(min_value=0, max_value=7))
def test_any_flipped_byte_is_found_at_its_position(sqlite_ledger: Ledger, row: int, offset: int, bit: int) -> None:
    conn = sqlite3.connect(sqlite_ledger.settings.sqlite_path)
    state = bytearray(conn.execute("SELECT state FROM stored_events WHERE rowid = ?", (row,)).fetchone()[0])
    original = bytes(state)
    state[offset % len(state)] ^= 1 << bit
    conn.execute("DROP TRIGGER IF EXISTS stored_events_no_update")
    conn.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (bytes(state), row))
    conn.commit()
    try:
        report = verify(sqlite_ledger)
        assert not report.ok and report.problems[0]["position"] == row
    finally:
        conn.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (original, row))
        conn.commit()
        conn.close()
    assert verify(sqlite_ledger).ok


def test_a_deleted_row_is_found(sqlite_ledger: Ledger) -> None:
    tamper(sqlite_ledger, "DELETE FROM stored_events WHERE rowid = 5")
    report = verify(sqlite_ledger)
    assert not report.ok and report.problems[0]["position"] == 6


def test_a_row_overwritten_with_its_neighbour_is_found(sqlite_ledger: Ledger) -> None:
    tamper(sqlite_ledger,
           "UPDATE stored_events SET state = (SELECT state FROM stored_events WHERE rowid = 8) WHERE rowid = 7")
    report = verify(sqlite_ledger)
    assert not report.ok and report.problems[0]["position"] == 7


def test_a_truncated_log_is_found(sqlite_ledger: Ledger) -> None:
    tamper(sqlite_ledger, "DELETE FROM stored_events WHERE rowid > 30")
    report = verify(sqlite_ledger)
    assert not report.ok and "truncated" in report.problems[0]["why"]


def test_rewriting_an_event_and_its_whole_chain_is_caught_by_the_signed_checkpoint(sqlite_ledger: Ledger,
                                                                                   tmp_path) -> None:
    from infra.checkpoints import make_checkpoint
    from infra.hashing import event_hash

    sqlite_ledger.settings.__dict__["signing_key"] = str(tmp_path / "signing.key")
    assert make_checkpoint(sqlite_ledger)["tree_size"] == 39
    assert verify(sqlite_ledger).ok
    conn = sqlite3.connect(sqlite_ledger.settings.sqlite_path)
    for trigger in ("stored_events_no_update", "event_hashes_no_update"):
        conn.execute(f"DROP TRIGGER {trigger}")
    sid, version, topic, state = conn.execute(
        "SELECT originator_id, originator_version, topic, state FROM stored_events WHERE rowid = 4").fetchone()
    forged = state.replace("平台".encode(), "现场".encode()) if "平台".encode() in state else state + b" "
    conn.execute("UPDATE stored_events SET state = ? WHERE rowid = 4", (forged,))
    rows = conn.execute("SELECT s.originator_version, s.topic, s.state FROM stored_events s WHERE originator_id = ? "
                        "ORDER BY originator_version", (sid,)).fetchall()
    prev = conn.execute("SELECT prev_hash FROM event_hashes WHERE stream_id = ? AND version = 1",
                        (str(__import__("uuid").UUID(sid)),)).fetchone()[0]
    for v, t, st in rows:  # the attacker recomputes the whole chain of that stream
        digest = event_hash(str(__import__("uuid").UUID(sid)), v, t, st, prev)
        conn.execute("UPDATE event_hashes SET prev_hash = ?, event_hash = ? WHERE stream_id = ? AND version = ?",
                     (prev, digest, str(__import__("uuid").UUID(sid)), v))
        prev = digest
    conn.commit()
    report = verify(sqlite_ledger)
    assert not report.ok
    assert all("checkpoint" in p["why"] for p in report.problems)
    assert report.problems[0]["position"] == 40  # the checkpoint event's position
