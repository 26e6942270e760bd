"""The write path in one round trip: hashes chained by the database equal infra.hashing's, a Config
change made by another process is seen by the next command, repeats answer without a pre-check."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from uuid import UUID, uuid4

from domain import errors
from domain.registry import config_stream_id
from infra.ledger import Ledger
from infra.recorders import chain
from infra.sample import STAFF, SUPERVISOR, record_sample_clue
from infra.settings import Settings

CST = timezone(timedelta(hours=8))
ADMIN = {"user_id": "u-admin-1", "role": "admin", "org_id": "HQ"}


def test_chained_hashes_equal_the_python_definition(ledger: Ledger) -> None:
    clue = record_sample_clue(ledger)
    stored = ledger.recorder.select_events(clue)
    assert len(stored) >= 10

    def previous(sid: str, version: int) -> str | None:
        return ledger.recorder.event_hash_of(sid, version)

    expected = chain(stored, previous)  # from genesis, each link recomputed in Python
    recorded = [(str(clue), s.originator_version, previous(str(clue), s.originator_version - 1) if
                 s.originator_version > 1 else expected[0][2], previous(str(clue), s.originator_version))
                for s in stored]
    assert [(r[0], r[1], r[3]) for r in expected] == [(r[0], r[1], r[3]) for r in recorded]


def receive(ledger: Ledger) -> dict:
    meta = {"expected_version": 0, "idempotency_key": uuid4().hex,
            "occurred_at": (datetime.now(CST) - timedelta(minutes=5)).replace(microsecond=0).isoformat()}
    return ledger.execute("receiveClue", {"channel": "online_platform", "summary": "执法人员态度粗暴",
                                          "subject_agency_ids": [], "reporter": {"kind": "anonymous",
                                                                                 "contactable": False}}, meta, STAFF)


def change_config(ledger: Ledger, version: int, value: int, at: datetime) -> dict:
    meta = {"expected_version": version, "idempotency_key": uuid4().hex, "occurred_at": at.isoformat(),
            "stream_id": str(config_stream_id(ledger.settings.bureau)),
            "approvals": [{"approver_user_id": SUPERVISOR["user_id"], "approver_role": "supervisor",
                           "decided_at": at.isoformat()}]}
    return ledger.execute("changeConfig", {"key": "test.write_path", "value": value,
                                           "effective_from": at.date().isoformat()}, meta, ADMIN)


def test_a_config_change_by_another_process_reaches_the_next_command(database_url: str) -> None:
    at = (datetime.now(CST) - timedelta(minutes=20)).replace(microsecond=0)
    first, second = Ledger(Settings(database_url=database_url)), Ledger(Settings(database_url=database_url))
    try:
        record_sample_clue(first)  # caches Config as first saw it
        before = first.context._cached
        change_config(second, 0, 1, at)
        result = receive(first)  # the save refuses the stale Config; the command is decided again
        assert result["version"] == 1 and not result.get("repeated")
        assert first.context._cached[0] == 1 != before[0]
        change_config(first, 1, 2, at)  # a command on Config itself
        assert first.context.config(at + timedelta(days=1))["test.write_path"] == 2
    finally:
        first.close()
        second.close()


def test_a_repeat_of_a_command_now_refused_returns_the_first_result(ledger: Ledger) -> None:
    clue = receive(ledger)["stream_id"]
    at = (datetime.now(CST) - timedelta(minutes=4)).replace(microsecond=0).isoformat()
    meta = {"expected_version": 1, "idempotency_key": "register-1", "occurred_at": at, "stream_id": clue}
    first = ledger.execute("registerClue", {}, meta, STAFF)
    again = ledger.execute("registerClue", {}, meta, STAFF)  # stale version and registered twice: the answer
    assert again["repeated"] and again["event_hash"] == first["event_hash"]
    assert again["position"] == first["position"]
    assert len(ledger.recorder.select_events(UUID(clue))) == 2
    meta = {**meta, "expected_version": 2, "idempotency_key": "ack-1"}
    data = {"method": "platform", "recipient": "hotline_platform"}
    ledger.execute("acknowledgeReceipt", data, meta, STAFF)
    try:
        ledger.execute("acknowledgeReceipt", {**data, "method": "phone"}, meta, STAFF)
    except errors.DuplicateIdempotencyKey:
        pass
    else:
        raise AssertionError("a repeated key with another payload must be refused")
