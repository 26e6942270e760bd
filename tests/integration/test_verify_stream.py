"""``verify_stream``: the per-check report of domain.md §10 for one stream, on SQLite and PostgreSQL;
tampering (scenario 3 of §13) on SQLite, with the triggers dropped as an attacker with database access would;
and the projector's periodic checkpoints."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest

from domain import errors
from domain.checkpoint import checkpoint_stream_id
from infra.checkpoints import make_checkpoint
from infra.ledger import Ledger
from infra.sample import record_sample_clue
from infra.settings import Settings
from infra.verify_stream import approvals_check, corrections_check, verify_stream

CST = timezone(timedelta(hours=8))


@pytest.fixture
def signed(ledger: Ledger, tmp_path) -> Ledger:
    ledger.settings.__dict__["signing_key"] = str(tmp_path / "signing.key")
    return ledger


def by_check(report: dict) -> dict[int, dict]:
    return {c["check"]: c for c in report["checks"]}


def test_a_sample_clue_under_a_checkpoint_passes_every_check(signed: Ledger) -> None:
    clue = record_sample_clue(signed)
    make_checkpoint(signed)
    later = record_sample_clue(signed, start=datetime.now(CST).replace(microsecond=0) - timedelta(hours=4))
    report = verify_stream(signed, clue)
    checks = by_check(report)
    assert report["ok"] is True and report["events"] == 13
    assert [checks[n]["ok"] for n in range(1, 9)] == [True, True, True, True, None, True, True, None]
    assert "not applicable offline" in checks[5]["detail"] and "not applicable offline" in checks[8]["detail"]
    assert report["checkpointed_versions"] == list(range(1, 14)) and report["not_yet_checkpointed"] == []
    assert report["checkpoint"]["seq"] == 1 and report["checkpoint"]["tree_size"] == 13
    assert "5 approvals" in checks[7]["detail"]

    pending = verify_stream(signed, str(later))  # recorded after the checkpoint: reported, not a failure
    assert pending["ok"] is True and pending["not_yet_checkpointed"] == list(range(1, 14))
    assert "not yet checkpointed" in by_check(pending)[3]["detail"]

    make_checkpoint(signed)
    again = verify_stream(signed, later)
    assert again["ok"] and again["checkpoint"]["seq"] == 2 and again["not_yet_checkpointed"] == []
    assert "2 checkpoints" in by_check(again)[4]["detail"]
    assert verify_stream(signed, checkpoint_stream_id("HQ"))["ok"]


def test_without_a_checkpoint_checks_3_and_4_say_so(signed: Ledger) -> None:
    clue = record_sample_clue(signed)
    report = verify_stream(signed, clue)
    checks = by_check(report)
    assert report["ok"] is True and checks[3]["ok"] is None and checks[4]["ok"] is None
    assert "no signed checkpoint" in checks[3]["detail"] and report["not_yet_checkpointed"] == list(range(1, 14))


def test_an_unknown_stream_is_not_found(signed: Ledger) -> None:
    with pytest.raises(errors.NotFound):
        verify_stream(signed, uuid4())


def test_a_correction_is_reported_with_its_approval(signed: Ledger) -> None:
    from domain.base import value_hash
    from infra.sample import STAFF, SUPERVISOR

    clue = record_sample_clue(signed)
    first = signed.recorder.select_events(clue)[0]
    state = json.loads(first.state)
    signed.execute("correctEvent", {"target_event_id": state["meta"]["event_id"], "reason": "笔误更正",
                                    "changes": [{"path": "summary", "old_value_hash": value_hash(state["data"]["summary"]),
                                                 "new_value": "更正后的摘要"}]},
                   {"stream_id": str(clue), "expected_version": 13, "idempotency_key": "fix-1",
                    "occurred_at": datetime.now(CST).isoformat(),
                    "approvals": [{"approver_user_id": SUPERVISOR["user_id"], "approver_role": "supervisor",
                                   "decided_at": datetime.now(CST).isoformat()}]}, STAFF)
    make_checkpoint(signed)
    report = verify_stream(signed, clue)
    assert report["ok"] and report["events"] == 14
    assert by_check(report)[6]["detail"].startswith("1 corrections/voids")


def _tamper(ledger: Ledger, version: int, stream: str) -> None:
    conn = sqlite3.connect(ledger.settings.sqlite_path)
    conn.execute("DROP TRIGGER stored_events_no_update")
    sid = stream.replace("-", "")
    state = conn.execute("SELECT state FROM stored_events WHERE originator_id = ? AND originator_version = ?",
                         (sid, version)).fetchone()[0]
    forged = bytearray(state)
    i = bytes(state).index(b'"summary"') if b'"summary"' in state else len(state) // 2
    forged[i + 12] ^= 0x01  # one byte of the payload
    conn.execute("UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = ?",
                 (bytes(forged), sid, version))
    conn.commit()
    conn.close()


@pytest.fixture
def sqlite_signed(tmp_path) -> Ledger:
    ledger = Ledger(Settings(database_url=f"sqlite:///{tmp_path / 'v.db'}", signing_key=str(tmp_path / "k.key")))
    yield ledger
    ledger.close()


@pytest.mark.parametrize("version", [1, 5, 13])
def test_a_changed_payload_byte_fails_checks_1_and_3_at_its_version(sqlite_signed: Ledger, version: int) -> None:
    start = datetime.now(CST).replace(microsecond=0) - timedelta(hours=5)
    other = record_sample_clue(sqlite_signed, start=start)
    clue = record_sample_clue(sqlite_signed, start=start + timedelta(seconds=1))
    make_checkpoint(sqlite_signed)
    assert verify_stream(sqlite_signed, clue)["ok"]
    _tamper(sqlite_signed, version, str(clue))
    report = verify_stream(sqlite_signed, clue)
    checks = by_check(report)
    assert report["ok"] is False
    assert checks[1]["ok"] is False and checks[1]["first_bad_version"] == version
    assert checks[3]["ok"] is False and checks[3]["first_bad_version"] == version
    assert checks[2]["ok"] and checks[4]["ok"]  # the chain of recorded hashes and the signatures still hold
    assert verify_stream(sqlite_signed, other)["ok"]  # the other stream's proofs are untouched


def test_a_deleted_row_breaks_the_chain_check(sqlite_signed: Ledger) -> None:
    clue = record_sample_clue(sqlite_signed)
    make_checkpoint(sqlite_signed)
    with sqlite3.connect(sqlite_signed.settings.sqlite_path) as conn:
        conn.execute("DROP TRIGGER stored_events_no_delete")
        conn.execute("DELETE FROM stored_events WHERE originator_id = ? AND originator_version = 7",
                     (str(clue).replace("-", ""),))
    checks = by_check(verify_stream(sqlite_signed, clue))
    assert checks[2]["ok"] is False and checks[2]["first_bad_version"] == 8
    assert checks[3]["ok"] is False


def _ev(version: int, event_type: str, actor: str = "u-staff-1", approvals: list | None = None,
        event_id: str | None = None, **data: object) -> dict:
    return {"version": version, "event_type": event_type, "data": data,
            "meta": {"event_id": event_id or f"e{version}", "actor": {"user_id": actor}, "approvals": approvals or []}}


SUP = {"approver_user_id": "u-sup-1", "approver_role": "supervisor"}


def test_check_7_flags_a_self_approval_and_a_non_supervisor() -> None:
    # the command layer refuses both (SELF_APPROVAL_FORBIDDEN), so the check runs over constructed events
    good = [_ev(1, "ClueReceived"), _ev(2, "SupervisionCaseOpened", approvals=[SUP])]
    assert approvals_check(good)["ok"] is True
    own = [*good, _ev(3, "FindingRecorded", actor="u-sup-1", approvals=[SUP])]
    result = approvals_check(own)
    assert result["ok"] is False and result["first_bad_version"] == 3 and "own actor" in result["detail"]
    staff = [*good, _ev(3, "FindingRecorded", approvals=[{"approver_user_id": "u-staff-2",
                                                            "approver_role": "supervision_staff"}])]
    assert approvals_check(staff)["first_bad_version"] == 3


def test_check_6_flags_corrections_of_later_or_foreign_events_and_unapproved_ones() -> None:
    events = [_ev(1, "ClueReceived"), _ev(2, "EventCorrected", approvals=[SUP], target_event_id="e1")]
    assert corrections_check(events)["ok"] is True
    forward = [_ev(1, "ClueReceived"), _ev(2, "EventVoided", approvals=[SUP], target_event_id="e3"),
               _ev(3, "EvidenceRecorded")]
    assert corrections_check(forward)["first_bad_version"] == 2
    foreign = [_ev(1, "ClueReceived"), _ev(2, "EventVoided", approvals=[SUP], target_event_id="elsewhere")]
    assert corrections_check(foreign)["ok"] is False
    unapproved = [_ev(1, "ClueReceived"), _ev(2, "EventCorrected", target_event_id="e1")]
    result = corrections_check(unapproved)
    assert result["ok"] is False and "no approval" in result["detail"]


def test_the_projector_appends_checkpoints_periodically(tmp_path) -> None:
    from projections.runner import Projector

    ledger = Ledger(Settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", signing_key=str(tmp_path / "k.key")))
    record_sample_clue(ledger)
    projector = Projector(ledger)
    rounds = iter(range(4))
    projector.run_forever(poll_seconds=0.01, stop=lambda: next(rounds, None) is None, checkpoint_every_events=10,
                          checkpoint_every_seconds=None)
    checkpoint = ledger.load(checkpoint_stream_id("HQ"))
    assert checkpoint.count == 1 and checkpoint.last["tree_size"] == 13  # its own event is not news
    record_sample_clue(ledger, start=datetime.now(CST).replace(microsecond=0) - timedelta(hours=4))
    rounds = iter(range(3))
    projector.run_forever(poll_seconds=0.01, stop=lambda: next(rounds, None) is None, checkpoint_every_events=None,
                          checkpoint_every_seconds=0.0)
    assert ledger.load(checkpoint_stream_id("HQ")).last["tree_size"] == 27
    ledger.close()


def test_a_failure_to_sign_does_not_stop_projecting(tmp_path, caplog) -> None:
    from projections.runner import Projector

    ledger = Ledger(Settings(database_url=f"sqlite:///{tmp_path / 'p.db'}",
                             signing_key=str(tmp_path / "missing-dir" / "k.key")))
    record_sample_clue(ledger)
    projector = Projector(ledger)
    rounds = iter(range(3))
    with caplog.at_level("ERROR", logger="svledger.projector"):
        projector.run_forever(poll_seconds=0.01, stop=lambda: next(rounds, None) is None, checkpoint_every_events=1)
    assert projector.position() == 13 and caplog.text.count("checkpoint failed") == 1  # no retry at every poll
    ledger.close()
