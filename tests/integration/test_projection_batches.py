"""Batched read models (issue 8): a batch keeps its rows in memory and writes each table once, with the
semantics of the single statements it replaced. The same events give the same rows whether every event is its
own batch (each row read back from the table) or all share one (rows changed in memory), on both databases;
effects on unknown rows change nothing; a duplicate key still fails the whole batch."""

from __future__ import annotations

import json
import sqlite3
from itertools import count
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest

from infra.settings import Settings
from projections.clues import status_of
from projections.db import ReadDb
from projections.events import LoggedEvent, decode
from projections.registry import PROJECTIONS

CLUE, OTHER_CLUE, BATCH, RECON = "c-1", "c-unknown", "rb-1", "rc-1"
_position = count(1)
_version: dict[str, int] = {}


def event(stream: str, kind: str, data: dict[str, Any] | None = None, *, stream_type: str = "Clue",
          refs: list[dict[str, Any]] | None = None, minute: int = 0, **meta: Any) -> LoggedEvent:
    """A stored event as the projector reads it (a notification whose state is the recorder's JSON)."""
    _version[stream] = _version.get(stream, 0) + 1
    position = next(_position)
    meta = {"occurred_at": f"2024-03-01T09:{minute:02d}:00+08:00", "event_id": f"e-{position}",
            "actor": {"user_id": "u-1", "role": "supervision_staff", "org_id": "HQ"}, "stream_type": stream_type,
            **({"deadline_refs": refs} if refs else {}), **meta}
    state = {"timestamp": {"_type_": "datetime_iso", "_data_": f"2024-03-01T01:{minute:02d}:00.{position:06d}+00:00"},
             "data": data or {}, "meta": meta}
    return decode(SimpleNamespace(id=position, originator_id=stream, originator_version=_version[stream],
                                  topic=f"domain.x:{stream_type}.{kind}", state=json.dumps(state).encode()))


def start(oid: str, due: str = "2024-03-10T00:00:00+08:00", **extra: Any) -> dict[str, Any]:
    return {"obligation_id": oid, "effect": "start", "type": "registration", "subject": "clue", "obligor": "bureau",
            "rule_id": "DL01", "start_at": "2024-03-01T09:00:00+08:00", "due_date": due[:10], "due_at": due, **extra}


def effect(oid: str, kind: str, due: str | None = None) -> dict[str, Any]:
    return {"obligation_id": oid, "effect": kind, **({"due_at": due, "due_date": due[:10]} if due else {})}


def restart() -> None:
    global _position
    _position = count(1)
    _version.clear()


def story() -> list[LoggedEvent]:
    """Every kind of change the read models make, several to the same rows, some to rows that do not exist."""
    restart()
    return [
        event(CLUE, "ClueReceived", {"channel": "hotline_12345", "summary": "态度粗暴", "subject_agency_ids": ["A02"]},
              refs=[start("o-1"), start("o-2"), start("o-pause")], minute=1),
        event(CLUE, "ClueRegistered", {"clue_no": "HQ-JD-2024-0001"},
              refs=[effect("o-1", "complete"), start("o-1", "2024-04-01T00:00:00+08:00")], minute=2),  # kept: first
        event(CLUE, "ClueScreened", {"outcome": "valid", "reason_code": "other"},
              refs=[effect("o-pause", "pause"), effect("o-1", "complete")], minute=3),  # o-1 already completed
        event(CLUE, "SupervisionCaseOpened", {"case_no": "HQ-AJ-2024-0001", "lead_user_id": "u-1"},
              refs=[effect("o-2", "extend", "2024-03-20T00:00:00+08:00"), effect("o-missing", "complete")], minute=4),
        event(CLUE, "FindingRecorded", {"responsible_agency_ids": ["A03", "A02"]},
              refs=[effect("o-pause", "resume", "2024-03-25T00:00:00+08:00"), effect("o-2", "cancel")], minute=5),
        event(CLUE, "RectificationNoticeIssued", {"notice_id": "n-1", "notice_type": "rectification_notice",
                                                  "doc_number": "汉司监整〔2024〕1号", "recipient_org_id": "A02"},
              refs=[effect("o-2", "extend", "2024-03-30T00:00:00+08:00")], minute=6),  # extends a cancelled one
        event(CLUE, "NoticeServed", {"notice_id": "n-1"}, minute=7),
        event(CLUE, "NoticeEscalated", {"notice_id": "n-1", "level": 2, "escalation_type": "listed_supervision"},
              minute=8),
        event(CLUE, "NoticeEscalated", {"notice_id": "n-1", "level": 1, "escalation_type": "reminder_chain"},
              minute=9),
        event(CLUE, "NoticeOverdue", {"notice_id": "n-1"}, minute=10),
        event(CLUE, "ReminderIssued", {"target": "n-1", "reminder_kind": "listed_supervision"}, minute=11),
        event(CLUE, "ReminderIssued", {"target": "t-1", "reminder_kind": "listed_supervision"}, minute=11),
        event(CLUE, "NoticeWithdrawn", {"notice_id": "n-missing"}, minute=12),
        event(CLUE, "RectificationReported", {"notice_id": "n-1"}, minute=12),
        event(CLUE, "RectificationVerified", {"notice_id": "n-1", "result": "rejected"}, minute=13),
        event(CLUE, "TransferProposed", {"transfer_id": "t-1", "target_type": "discipline_inspection",
                                         "target_org_id": "JW", "transfer_kind": "clue"}, minute=14),
        event(CLUE, "TransferApproved", {"transfer_id": "t-1"}, minute=15),
        event(CLUE, "TransferSent", {"transfer_id": "t-1"}, minute=16,
              external_refs=[{"system": "discipline_inspection", "ref": "JW-7"}]),
        event(CLUE, "TransferOutcomeReported", {"transfer_id": "t-1", "final": False, "outcome": "interim"},
              minute=17),
        event(CLUE, "TransferDecisionReceived", {"transfer_id": "t-1", "decision": "accepted"}, minute=18),
        event(CLUE, "TransferOutcomeReported", {"transfer_id": "t-1", "final": True}, minute=19),
        event(CLUE, "TransferApproved", {"transfer_id": "t-missing"}, minute=19),
        event(CLUE, "ClueAssigned", {"assignment_id": "a-1", "assignee_user_id": "u-2", "role_on_clue": "assistant"},
              minute=20),
        event(CLUE, "AssignmentAccepted", {"assignment_id": "a-1"}, minute=21),
        event(CLUE, "AssignmentDeclined", {"assignment_id": "a-missing"}, minute=21),
        event(CLUE, "ClueSuspended", {}, minute=22),
        event(CLUE, "ClueResumed", {}, minute=23),
        event(CLUE, "ClueClosed", {"closure_type": "rectified"}, minute=24),
        event(CLUE, "ReporterFeedbackSent", {"feedback_kind": "result", "delivery": "delivered", "method": "platform",
                                             "satisfaction": "satisfied"}, minute=25),
        event(CLUE, "ClueReopened", {"reason_code": "new_facts"}, minute=26),
        event(OTHER_CLUE, "ClueScreened", {"outcome": "invalid", "reason_code": "duplicate"}, minute=27),
        event(BATCH, "ReviewBatchOpened", {"batch_kind": "case_file_review", "title": "2024年度案卷评查",
                                           "period_covered": {"start_on": "2024-01-01", "end_on": "2024-12-31"}},
              stream_type="ReviewBatch", minute=28),
        event(BATCH, "CaseFilesSampled", {"files": [{"agency_id": "A02"}, {"agency_id": "A03"}]},
              stream_type="ReviewBatch", minute=29),
        event(BATCH, "CaseFileReviewed", {"review_form": True}, stream_type="ReviewBatch", minute=30),
        event(BATCH, "ProblemFound", {"agency_id": "A02"}, stream_type="ReviewBatch", minute=31),
        event(RECON, "ReconsiderationApplicationReceived", {}, stream_type="ReconsiderationCase", minute=32),
        event(RECON, "ReconsiderationAcceptanceDecided", {"decision": "accepted"}, stream_type="ReconsiderationCase",
              minute=33),
        event(RECON, "ReconsiderationClosed", {"outcome": "revoked"}, stream_type="ReconsiderationCase", minute=34),
        event(RECON, "DecisionCopied", {"mode": "direct"}, stream_type="ReconsiderationCase", minute=35),
        event(RECON, "EventVoided", {"target_event_id": "e-3"}, stream_type="ReconsiderationCase", minute=36),
    ]


def project(db: ReadDb, prefix: str, batches: list[list[LoggedEvent]]) -> dict[str, list[tuple]]:
    projections = [cls(prefix) for cls in PROJECTIONS]
    with db.transaction() as tx:
        for p in projections:
            p.create(tx)
    for batch in batches:
        with db.transaction() as tx:
            for p in projections:
                p.apply_batch(tx, batch)
    return {t: sorted(db.query(f"SELECT * FROM {prefix}{t}"), key=repr) for cls in PROJECTIONS for t in cls.tables}


@pytest.fixture
def db(database_url: str) -> ReadDb:
    read_db = ReadDb(Settings(database_url=database_url))
    yield read_db
    read_db.close()


def test_one_batch_equals_one_event_per_batch(db: ReadDb) -> None:
    events = story()
    alone = project(db, "one_", [[ev] for ev in events])
    together = project(db, "all_", [events])
    in_threes = project(db, "three_", [events[i:i + 3] for i in range(0, len(events), 3)])
    assert together == alone == in_threes

    obligations = {r["obligation_id"]: r for r in db.dicts("SELECT * FROM all_obligations")}
    assert set(obligations) == {"o-1", "o-2", "o-pause"}
    assert (obligations["o-1"]["status"], obligations["o-1"]["completed_event_id"]) == ("completed", "e-2")
    assert obligations["o-1"]["due_date"] == "2024-03-10"  # the second start did nothing
    assert (obligations["o-2"]["status"], obligations["o-2"]["extensions"]) == ("cancelled", 2)
    assert obligations["o-2"]["due_date"] == "2024-03-30"
    assert (obligations["o-pause"]["status"], obligations["o-pause"]["due_date"]) == ("open", "2024-03-25")
    notice = db.dicts("SELECT * FROM all_notice_register")
    assert len(notice) == 1
    assert {k: notice[0][k] for k in ("status", "escalation_level", "listed", "overdue_marked", "result")} == {
        "status": "re_rectifying", "escalation_level": 2, "listed": 1, "overdue_marked": 1, "result": "rejected"}
    transfer = db.dicts("SELECT * FROM all_transfer_tracker")
    assert [(t["transfer_id"], t["status"], t["decision"], t["outcome"], t["partner_ref"]) for t in transfer] == [
        ("t-1", "completed", "accepted", "interim", "JW-7")]
    assert [(a["assignment_id"], a["state"]) for a in db.dicts("SELECT * FROM all_assignments")] == [("a-1", "active")]
    clue = db.dicts("SELECT * FROM all_clue_list")  # the clue without ClueReceived has no row
    assert [(c["stream_id"], c["clue_no"], c["case_no"], c["lead"], c["closure_type"]) for c in clue] == [
        (CLUE, "HQ-JD-2024-0001", "HQ-AJ-2024-0001", "u-1", None)]  # reopened: no closure type
    assert json.loads(clue[0]["agencies"]) == ["A02", "A03"]
    assert json.loads(clue[0]["parts"]) == {"phase": "reopened", "terminal": None, "suspended": False,
                                            "notices": {"n-1": "re_rectifying", "n-missing": "closed_withdrawn"},
                                            "transfers": {"t-1": "completed", "t-missing": "approved"}}
    assert (clue[0]["status"], clue[0]["version"]) == (status_of(json.loads(clue[0]["parts"])), 30)
    streams = {s["stream_id"]: (s["batch_kind"], s["annual"]) for s in db.dicts("SELECT * FROM all_fact_streams")}
    assert streams == {CLUE: (None, 0), BATCH: ("case_file_review", 1), RECON: (None, 0)}
    metrics = {r[0] for r in db.query("SELECT metric FROM all_facts")}
    assert {"file_sampled:case_file_review:annual", "clue_screened_out", "recon_corrected"} <= metrics
    assert db.query("SELECT bureau FROM all_facts WHERE stream_id = ?", (OTHER_CLUE,)) == [("",)]
    assert db.query("SELECT event_id FROM all_fact_voids") == [("e-3",)]
    assert len(together["audit_timeline"]) == len(events)


def test_later_batches_read_back_what_earlier_ones_wrote(db: ReadDb) -> None:
    """Rows written by one batch are loaded by the next (the prefetch): split anywhere, the same tables."""
    events = story()
    whole = project(db, "whole_", [events])
    for cut in (1, 6, 15, 25, len(events) - 1):
        assert project(db, f"cut{cut}_", [events[:cut], events[cut:]]) == whole


@pytest.mark.parametrize("split", [False, True])
def test_a_duplicate_key_fails_the_whole_batch(db: ReadDb, split: bool) -> None:
    restart()
    notice = {"notice_id": "n-dup", "notice_type": "work_tip_letter", "doc_number": "1", "recipient_org_id": "A02"}
    first = event(CLUE, "RectificationNoticeIssued", notice)
    again = [event(CLUE, "NoticeServed", {"notice_id": "n-dup"}), event(CLUE, "RectificationNoticeIssued", notice)]
    prefix = f"dup{int(split)}_"
    batches = [[first], again] if split else [[first, *again]]
    with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)):
        project(db, prefix, batches)
    kept = db.query(f"SELECT notice_id, status FROM {prefix}notice_register")
    assert kept == ([("n-dup", "issued")] if split else [])  # the failed batch wrote nothing
    assert db.query(f"SELECT COUNT(*) FROM {prefix}audit_timeline") == [(1 if split else 0,)]


@pytest.mark.parametrize("keys", [["k-1", "k-3"], ["k-1", "", "a\x1fb"], ["a\x1fb"], [""], ["missing"]])
def test_select_keys_finds_every_stored_key(db: ReadDb, keys: list[str]) -> None:
    stored = ["k-1", "k-2", "k-3", "", "a\x1fb", "a", "b"]
    with db.transaction() as tx:
        tx.execute("CREATE TABLE IF NOT EXISTS sk_rows (k TEXT PRIMARY KEY, n INTEGER)")
        tx.executemany("INSERT INTO sk_rows (k, n) VALUES (?, ?) ON CONFLICT (k) DO NOTHING",
                       [(k, i) for i, k in enumerate(stored)])
        found = tx.select_keys("sk_rows", "k", ("k", "n"), keys)
    assert sorted(found) == sorted((k, stored.index(k)) for k in keys if k in stored)


def test_many_changed_rows_are_written_like_a_few(db: ReadDb) -> None:
    """A batch changing more rows than ``COPY_UPDATE_ROWS`` writes them through a staging table: the same rows."""
    from projections.db import COPY_UPDATE_ROWS

    restart()
    n = COPY_UPDATE_ROWS + 40
    received = [event(f"c-{i}", "ClueReceived", {"channel": "online", "summary": "s", "subject_agency_ids": ["A01"]},
                      refs=[start(f"o-{i}")]) for i in range(n)]
    registered = [event(f"c-{i}", "ClueRegistered", {"clue_no": f"HQ-{i}"}, refs=[effect(f"o-{i}", "complete")])
                  for i in range(n)]
    split = project(db, "many2_", [received, registered])
    assert split == project(db, "many1_", [received + registered])
    assert db.query("SELECT COUNT(*) FROM many2_obligations WHERE status = 'completed'") == [(n,)]
    assert db.query("SELECT COUNT(*) FROM many2_clue_list WHERE clue_no IS NOT NULL") == [(n,)]
