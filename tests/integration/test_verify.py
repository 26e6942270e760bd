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


# --- ranges, the second process, PostgreSQL ------------------------------------------------------------------

def problems(report) -> list[tuple]:
    return [(p["position"], p["stream_id"], p["version"], p["why"]) for p in report.problems]


@pytest.fixture
def two_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Split even the small test logs over this process and a worker process."""
    import infra.verify

    monkeypatch.setattr(infra.verify, "PARALLEL_MIN_EVENTS", 0)


def test_two_processes_give_the_one_pass_report(sqlite_ledger: Ledger, two_processes: None, tmp_path) -> None:
    from infra.checkpoints import make_checkpoint

    sqlite_ledger.settings.__dict__["signing_key"] = str(tmp_path / "signing.key")
    make_checkpoint(sqlite_ledger)
    record_sample_clue(sqlite_ledger, start=datetime.now(CST).replace(microsecond=0) - timedelta(hours=2))
    report = verify(sqlite_ledger, workers=2)
    assert report.ok and report.processes == 2 and report.checked == 53 and report.checkpoints == 1
    assert report.streams == verify(sqlite_ledger, workers=1).streams
    for statements in (["UPDATE stored_events SET state = state || x'20' WHERE rowid = 31"],  # in the worker's half
                       ["DELETE FROM stored_events WHERE rowid = 12"],                       # in this process's half
                       ["DELETE FROM stored_events WHERE rowid > 45"]):
        conn = sqlite3.connect(sqlite_ledger.settings.sqlite_path)
        backup = conn.execute("SELECT rowid, * FROM stored_events").fetchall()
        conn.close()
        tamper(sqlite_ledger, *statements)
        split, alone = verify(sqlite_ledger, workers=2), verify(sqlite_ledger, workers=1)
        assert not split.ok and problems(split) == problems(alone)
        with sqlite3.connect(sqlite_ledger.settings.sqlite_path) as conn:  # put the rows back, triggers too
            conn.execute("DELETE FROM stored_events")
            conn.executemany("INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
                             "VALUES (?, ?, ?, ?, ?)", backup)
        Ledger(sqlite_ledger.settings).close()  # recreates the triggers
        assert verify(sqlite_ledger, workers=2).ok


def test_a_range_is_checked_from_the_recorded_chain_before_it(sqlite_ledger: Ledger) -> None:
    assert verify(sqlite_ledger, start=10, stop=30).ok and verify(sqlite_ledger, start=10, stop=30).checked == 20
    assert verify(sqlite_ledger, start=38).checked == 1 and verify(sqlite_ledger, start=39).checked == 0
    tamper(sqlite_ledger, "UPDATE stored_events SET state = state || x'20' WHERE rowid = 5",
           "UPDATE stored_events SET state = state || x'20' WHERE rowid = 25")
    assert problems(verify(sqlite_ledger, start=10, stop=30))[0][0] == 25
    assert verify(sqlite_ledger, start=0, stop=4).ok and verify(sqlite_ledger, start=25).ok
    assert [p[0] for p in problems(verify(sqlite_ledger))] == [5, 25]


def test_a_range_checks_the_checkpoints_recorded_in_it(sqlite_ledger: Ledger, tmp_path) -> None:
    from infra.checkpoints import make_checkpoint

    sqlite_ledger.settings.__dict__["signing_key"] = str(tmp_path / "signing.key")
    make_checkpoint(sqlite_ledger)  # position 40, over the first 39 events
    record_sample_clue(sqlite_ledger, start=datetime.now(CST).replace(microsecond=0) - timedelta(hours=2))
    make_checkpoint(sqlite_ledger)  # position 54, over 53 events
    assert verify(sqlite_ledger, stop=20).ok and verify(sqlite_ledger, stop=20).checkpoints == 0
    for start, stop, count in ((0, 45, 1), (30, 45, 1), (45, None, 1), (39, None, 2), (0, None, 2)):
        report = verify(sqlite_ledger, start=start, stop=stop)
        assert report.ok and report.checkpoints == count, (start, stop, report.problems)
    tamper(sqlite_ledger, "DROP TRIGGER event_hashes_no_update",
           "UPDATE event_hashes SET event_hash = upper(event_hash) WHERE rowid = 3")
    report = verify(sqlite_ledger, start=45)  # upper-case hex is the same leaf: the roots still hold
    assert report.ok
    tamper_recorded = "UPDATE event_hashes SET event_hash = '" + "0" * 64 + "' WHERE rowid = 3"
    with sqlite3.connect(sqlite_ledger.settings.sqlite_path) as conn:
        conn.execute(tamper_recorded)
    report = verify(sqlite_ledger, start=45)  # before the range: only the checkpoint's root shows it
    assert [p["position"] for p in report.problems] == [54] and "Merkle root" in report.problems[0]["why"]


def test_tampering_is_found_on_postgres(tmp_path, database_url: str) -> None:
    if not database_url.startswith("postgres"):
        pytest.skip("the SQLite cases are above")
    import psycopg

    import infra.verify

    ledger = Ledger(Settings(database_url=database_url))
    try:
        start = datetime.now(CST).replace(microsecond=0) - timedelta(hours=5)
        for i in range(3):
            record_sample_clue(ledger, start=start + timedelta(seconds=i))
        ledger.settings.__dict__["signing_key"] = str(tmp_path / "signing.key")
        from infra.checkpoints import make_checkpoint

        make_checkpoint(ledger)
        old = infra.verify.PARALLEL_MIN_EVENTS
        infra.verify.PARALLEL_MIN_EVENTS = 0
        try:
            report = verify(ledger, workers=2)
            assert report.ok and report.processes == 2 and report.checked == 40 and report.checkpoints == 1
            table = ledger.recorder.events_table_name
            with psycopg.connect(database_url, autocommit=True) as conn:
                conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
                conn.execute(f"UPDATE {table} SET state = state || '\\x20'::bytea WHERE notification_id = 30")
            split, alone = verify(ledger, workers=2), verify(ledger, workers=1)
            assert problems(split) == problems(alone) and split.problems[0]["position"] == 30
            assert "altered" in split.problems[0]["why"]
            assert verify(ledger, start=0, stop=29).ok and not verify(ledger, start=29, stop=31).ok
        finally:
            infra.verify.PARALLEL_MIN_EVENTS = old
    finally:
        ledger.close()


def test_a_checkpoint_made_from_the_last_ones_tree_has_the_root_of_the_whole_log(sqlite_ledger: Ledger,
                                                                                 tmp_path) -> None:
    import infra.checkpoints
    from infra.checkpoints import _tree, make_checkpoint
    from infra.merkle import root_of

    sqlite_ledger.settings.__dict__["signing_key"] = str(tmp_path / "signing.key")
    first = make_checkpoint(sqlite_ledger)
    record_sample_clue(sqlite_ledger, start=datetime.now(CST).replace(microsecond=0) - timedelta(hours=2))
    second = make_checkpoint(sqlite_ledger)  # from the first one's tree: reads only the 14 events after it
    assert (first["tree_size"], second["tree_size"]) == (39, 53)
    with sqlite3.connect(sqlite_ledger.settings.sqlite_path) as conn:
        hashes = [bytes.fromhex(h) for (h,) in conn.execute("SELECT h.event_hash FROM stored_events e JOIN "
                                                             "event_hashes h ON h.rowid = e.rowid ORDER BY e.rowid")]
    assert second["merkle_root"] == root_of(hashes[:53]).hex()
    infra.checkpoints._TREES.clear()
    tree, position = _tree(sqlite_ledger, None)
    assert (tree.size, position, tree.root()) == (54, 54, root_of(hashes))
    assert verify(sqlite_ledger).ok and verify(sqlite_ledger).checkpoints == 2


def test_postgres_hash_rows_out_of_log_order_are_matched_by_key(tmp_path, database_url: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL reads the hash rows as a second stream in their physical order; rows moved elsewhere (space
    reused, overlapping writers) are found by key however far they are, with tiny batches, read-ahead window,
    fetches and a reading thread."""
    if not database_url.startswith("postgres"):
        pytest.skip("PostgreSQL only")
    import psycopg

    import infra.verify
    import infra.verify_read as fast

    ledger = Ledger(Settings(database_url=database_url))
    try:
        start = datetime.now(CST).replace(microsecond=0) - timedelta(hours=5)
        for i in range(4):
            record_sample_clue(ledger, start=start + timedelta(seconds=i))
        ledger.settings.__dict__["signing_key"] = str(tmp_path / "signing.key")
        from infra.checkpoints import make_checkpoint

        make_checkpoint(ledger)  # position 53
        record_sample_clue(ledger, start=start + timedelta(seconds=9))
        baseline = verify(ledger, workers=1)
        assert baseline.ok and baseline.checked == 66
        with psycopg.connect(database_url, autocommit=True) as conn:  # move some hash rows to the end
            conn.execute("ALTER TABLE event_hashes DISABLE TRIGGER USER")
            conn.execute("WITH moved AS (DELETE FROM event_hashes WHERE version IN (2, 7, 13) RETURNING *) "
                         "INSERT INTO event_hashes SELECT * FROM moved")
        for fetch, window in ((10_000, 20_000), (7, 5), (3, 1)):
            monkeypatch.setattr(fast.HashStream, "FETCH", fetch)
            monkeypatch.setattr(fast.HashStream, "WINDOW", window)
            monkeypatch.setattr(fast, "BATCH", 9)
            monkeypatch.setattr(fast, "FIRST_BATCH", 4)
            monkeypatch.setattr(fast, "PREFETCH_MIN", 0 if fetch < 10_000 else 50_000)
            monkeypatch.setattr(infra.verify, "PARALLEL_MIN_EVENTS", 0)
            for workers in (1, 2):
                report = verify(ledger, workers=workers)
                assert report.ok and report.checked == 66 and report.checkpoints == 1, (fetch, workers)
                assert verify(ledger, start=20, stop=60, workers=workers).ok
        table = ledger.recorder.events_table_name
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            conn.execute(f"DELETE FROM {table} WHERE notification_id = 44")
        split, alone = verify(ledger, workers=2), verify(ledger, workers=1)
        assert problems(split) == problems(alone) and split.problems[0]["position"] == 45
    finally:
        ledger.close()


def test_verify_leaves_the_ledgers_sqlite_connection_as_it_was(sqlite_ledger: Ledger) -> None:
    def mmap_size() -> int:
        with sqlite_ledger.recorder.datastore.transaction(commit=False) as c:
            c.execute("PRAGMA mmap_size")
            return c.fetchone()[0]

    before = mmap_size()
    assert verify(sqlite_ledger).ok and mmap_size() == before
    record_sample_clue(sqlite_ledger)  # writes still work on the same connections
    assert verify(sqlite_ledger).ok and verify(sqlite_ledger).checked == 52


@pytest.mark.parametrize("processes", [3, 5])
def test_more_processes_give_the_one_pass_report(sqlite_ledger: Ledger, two_processes: None, tmp_path,
                                                 processes: int) -> None:
    from infra.checkpoints import make_checkpoint

    sqlite_ledger.settings.__dict__["signing_key"] = str(tmp_path / "signing.key")
    make_checkpoint(sqlite_ledger)
    record_sample_clue(sqlite_ledger, start=datetime.now(CST).replace(microsecond=0) - timedelta(hours=2))
    make_checkpoint(sqlite_ledger)
    report = verify(sqlite_ledger, workers=processes)
    assert report.ok and report.processes == processes and report.checked == 54 and report.checkpoints == 2
    assert verify(sqlite_ledger, workers=processes, start=20).ok
    tamper(sqlite_ledger, "UPDATE stored_events SET state = state || x'20' WHERE rowid = 47")
    split, alone = verify(sqlite_ledger, workers=processes), verify(sqlite_ledger, workers=1)
    assert problems(split) == problems(alone) and split.problems[0]["position"] == 47


def test_a_range_counts_the_streams_it_touches(sqlite_ledger: Ledger, two_processes: None) -> None:
    record_sample_clue(sqlite_ledger, start=datetime.now(CST).replace(microsecond=0) - timedelta(hours=2))

    def streams(after: int) -> int:
        with sqlite3.connect(sqlite_ledger.settings.sqlite_path) as conn:
            return conn.execute("SELECT COUNT(DISTINCT originator_id) FROM stored_events WHERE rowid > ?",
                                (after,)).fetchone()[0]

    for workers in (1, 2):
        assert verify(sqlite_ledger, workers=workers).streams == streams(0) == 4
        assert verify(sqlite_ledger, start=30, workers=workers).streams == streams(30) == 2


def test_the_report_keeps_the_first_problems(sqlite_ledger: Ledger, tmp_path) -> None:
    from infra.checkpoints import make_checkpoint

    sqlite_ledger.settings.__dict__["signing_key"] = str(tmp_path / "signing.key")
    for i in range(4):
        record_sample_clue(sqlite_ledger, start=datetime.now(CST).replace(microsecond=0) - timedelta(hours=2, seconds=i))
        make_checkpoint(sqlite_ledger)
    tamper(sqlite_ledger, "DELETE FROM stored_events WHERE rowid = 3")  # every checkpoint's root breaks
    report = verify(sqlite_ledger, max_problems=3)
    assert [p["position"] for p in report.problems] == [4, 4, 53]  # the first checkpoint, after 52 events
    assert "Merkle root" in report.problems[2]["why"]


def test_the_first_bad_position_may_be_a_checkpoint_before_the_next_event_of_the_stream(sqlite_ledger: Ledger,
                                                                                        tmp_path) -> None:
    from infra.checkpoints import make_checkpoint

    sqlite_ledger.settings.__dict__["signing_key"] = str(tmp_path / "signing.key")
    make_checkpoint(sqlite_ledger)  # position 40
    record_sample_clue(sqlite_ledger, start=datetime.now(CST).replace(microsecond=0) - timedelta(hours=2))
    tamper(sqlite_ledger, "DELETE FROM stored_events WHERE rowid = 39")  # the last event of the third clue
    report = verify(sqlite_ledger)
    assert report.problems[0]["position"] == 40 and "Merkle root" in report.problems[0]["why"]
    assert report.problems[-1]["position"] is None and "truncated" in report.problems[-1]["why"]
