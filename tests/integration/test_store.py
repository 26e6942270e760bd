"""The event store: immutability in the database, idempotency, versions, concurrency, both backends."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timedelta, timezone
from uuid import uuid4

import psycopg
import pytest

from domain import errors
from infra.ledger import Ledger
from infra.sample import STAFF, SUPERVISOR, record_sample_clue

CST = timezone(timedelta(hours=8))
WHEN = (datetime.now(CST) - timedelta(minutes=30)).replace(microsecond=0)


def receive(ledger: Ledger, key: str | None = None, stream=None, summary: str = "执法人员态度粗暴") -> dict:
    meta = {"expected_version": 0, "idempotency_key": key or uuid4().hex,
            "occurred_at": WHEN.isoformat()}
    if stream:
        meta["stream_id"] = str(stream)
    return ledger.execute("receiveClue", {"channel": "online_platform", "summary": summary, "subject_agency_ids": [],
                                          "reporter": {"kind": "anonymous", "contactable": False}}, meta, STAFF)


def raw_execute(ledger: Ledger, sql: str) -> None:
    sql = sql.replace("stored_events", ledger.recorder.events_table_name)
    if ledger.settings.is_postgres:
        with psycopg.connect(ledger.settings.database_url, autocommit=True) as conn:
            conn.execute(sql)
    else:
        with sqlite3.connect(ledger.settings.sqlite_path) as conn:
            conn.execute(sql)


@pytest.mark.parametrize("sql", ["UPDATE stored_events SET topic = 'x'", "DELETE FROM stored_events",
                                 "UPDATE idempotency SET result = '{}'", "DELETE FROM claims"])
def test_raw_update_or_delete_is_refused_by_the_database(ledger: Ledger, sql: str) -> None:
    record_sample_clue(ledger)
    before = len(ledger.notifications(limit=1000))
    with pytest.raises((sqlite3.DatabaseError, psycopg.Error), match="HISTORY_IMMUTABLE"):
        raw_execute(ledger, sql)
    assert len(ledger.notifications(limit=1000)) == before


def test_truncate_is_refused_on_postgres(ledger: Ledger) -> None:
    if not ledger.settings.is_postgres:
        pytest.skip("SQLite has no TRUNCATE")
    receive(ledger)
    with pytest.raises(psycopg.Error, match="HISTORY_IMMUTABLE"):
        raw_execute(ledger, "TRUNCATE stored_events")


def test_edit_commands_answer_history_immutable(ledger: Ledger) -> None:
    with pytest.raises(errors.HistoryImmutable):
        ledger.execute("updateFinding", {}, {}, STAFF)


def test_repeated_idempotency_key_returns_the_first_result_and_writes_nothing(ledger: Ledger) -> None:
    first = receive(ledger, key="k-1")
    again = receive(ledger, key="k-1")
    assert again["event_id"] == first["event_id"] and again["repeated"]
    assert again["position"] == first["position"] and again["event_hash"] == first["event_hash"]
    assert len(ledger.notifications()) == 1
    with pytest.raises(errors.DuplicateIdempotencyKey):
        receive(ledger, key="k-1", summary="另一个内容")
    assert len(ledger.notifications()) == 1


def test_stale_expected_version_is_refused(ledger: Ledger) -> None:
    clue = receive(ledger)["stream_id"]
    meta = {"stream_id": clue, "expected_version": 5, "idempotency_key": uuid4().hex,
            "occurred_at": (datetime.now(CST) - timedelta(minutes=20)).isoformat()}
    with pytest.raises(errors.StaleVersion):
        ledger.execute("registerClue", {}, meta, STAFF)
    assert len(ledger.notifications()) == 1


def test_unknown_stream_is_not_found(ledger: Ledger) -> None:
    meta = {"stream_id": str(uuid4()), "expected_version": 1, "idempotency_key": "x",
            "occurred_at": datetime.now(CST).isoformat()}
    with pytest.raises(errors.NotFound):
        ledger.execute("registerClue", {}, meta, STAFF)


def test_eight_writers_same_expected_version_exactly_one_wins(ledger: Ledger) -> None:
    clue = receive(ledger)["stream_id"]
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def write(i: int) -> None:
        meta = {"stream_id": clue, "expected_version": 1, "idempotency_key": f"w-{i}",
                "occurred_at": (datetime.now(CST) - timedelta(minutes=10)).isoformat()}
        barrier.wait()
        try:
            ledger.execute("registerClue", {}, meta, STAFF)
            outcomes.append("ok")
        except errors.LedgerError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["STALE_VERSION"] * 7 + ["ok"]
    assert ledger.load(__import__("uuid").UUID(clue)).version == 2


def test_sample_clue_goes_from_received_to_closed(ledger: Ledger) -> None:
    clue = record_sample_clue(ledger)
    agg = ledger.load(clue)
    assert agg.status == "closed" and agg.closure_type == "rectified"
    types = [type(e).__name__ for e in ledger.stream_events(clue)]
    assert types[0] == "ClueReceived" and "ClueClosed" in types and types[-1] == "ReporterFeedbackSent"
    assert agg.clue_no.startswith("HQ-JD-") and agg.case_no.startswith("HQ-LA-")


def test_duplicate_doc_number_is_refused(ledger: Ledger) -> None:
    start = datetime.now(CST).replace(microsecond=0) - timedelta(hours=3)
    record_sample_clue(ledger, start=start, doc_number="汉司监整〔2026〕1号")
    with pytest.raises(errors.DuplicateDocNumber):
        record_sample_clue(ledger, start=start + timedelta(seconds=1), doc_number="汉司监整〔2026〕1号")


def test_rerunning_a_script_records_nothing_twice(ledger: Ledger) -> None:
    start = datetime.now(CST).replace(microsecond=0) - timedelta(hours=3)
    record_sample_clue(ledger, start=start)
    count = len(ledger.notifications(limit=1000))
    record_sample_clue(ledger, start=start)
    assert len(ledger.notifications(limit=1000)) == count


def test_results_carry_the_chained_event_hash(ledger: Ledger) -> None:
    from infra.hashing import event_hash, genesis_hash

    first = receive(ledger, key="h-1")
    assert len(first["event_hash"]) == 64
    assert receive(ledger, key="h-1")["event_hash"] == first["event_hash"]
    stored = ledger.recorder.select_events(__import__("uuid").UUID(first["stream_id"]))[0]
    expected = event_hash(first["stream_id"], 1, stored.topic, stored.state, genesis_hash("Clue", first["stream_id"]))
    assert first["event_hash"] == expected
