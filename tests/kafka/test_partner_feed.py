"""The partner view (allowlist, pseudonyms, corrections), the contracts and the single-active lock,
without a broker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.catalogue import load_all
from infra import partner_feed as pf
from infra import relay_schemas
from infra.relay import RelayConfig
from infra.relay_lock import RelayLock
from infra.settings import Settings
from tests.kafka.helpers import ROOT, validator

KEY = b"test-key"
ACTOR = {"user_id": "u-staff-1", "role": "supervision_staff", "org_id": "HQ"}
DOC = {"doc_id": "d1", "name": "移送函", "doc_type": "document", "content_hash": "a" * 64, "size_bytes": 1,
       "mime": "application/pdf", "storage_ref": "dms://secret/1", "sensitivity": "S2"}


def stored(event_type: str, data: dict, **meta: object) -> pf.Stored:
    m = {"event_id": "0b7f0a3c-5f55-4a4e-9a55-6a8c1d6b2f10", "occurred_at": "2024-05-23T10:00:00+08:00",
         "actor": ACTOR, "sensitivity": "S2", "stream_type": "Clue", **meta}
    return pf.Stored(position=7, stream_id="3f1c5b9e-2a8d-4c57-9a43-1e7f1b2c3d4e", version=3, event_type=event_type,
                     stream_type="Clue", schema_version=1, recorded_at="2024-05-23T02:01:00.000001Z", meta=m,
                     data=data)


def test_allowlisted_fields_exist_in_the_payload_models() -> None:
    """A renamed payload field must not silently vanish from (or leak into) the feed."""
    models = {s.event: s.payload for s in load_all().values()}

    def check(spec: object, fields: dict, where: str) -> None:
        if isinstance(spec, dict):
            for name in spec:
                assert name in fields, f"{where}.{name} is not a field of the payload model"

    for event_type, spec in pf.PARTNER_FIELDS.items():
        assert event_type in models, f"{event_type} has no payload model"
        check(spec, models[event_type].model_fields, event_type)


def test_free_text_reporter_data_and_storage_refs_are_dropped() -> None:
    finding = pf.partner_data(stored("FindingRecorded", {
        "finding_id": "f", "conclusion": "substantiated", "problem_categories": ["rough"], "summary": "举报人王五",
        "responsible_person_tokens": ["pt_" + "a" * 26], "responsible_agency_ids": ["A02"]}), "hq-jwjw", KEY)
    assert finding["payload"] == {"finding_id": "f", "conclusion": "substantiated", "problem_categories": ["rough"],
                                  "responsible_agency_ids": ["A02"]}
    sent = pf.partner_data(stored("TransferSent", {"transfer_id": "t", "sent_via": "platform", "transfer_letter": DOC,
                                                   "copy_to_org_ids": []}), "hq-jwjw", KEY)
    assert "storage_ref" not in json.dumps(sent) and sent["payload"]["transfer_letter"]["doc_id"] == "d1"
    held = pf.partner_data(stored("InterviewHeld", {
        "interview_id": "i", "minutes_hash": "b" * 64,
        "participants": [{"position": "局长", "org_id": "A02", "role": "interviewee"}],
        "commitments": [{"commitment_id": "c", "text": "内部承诺文本", "due_date": "2024-06-01"}]}), "hq-jwjw", KEY)
    assert held["payload"]["commitments"] == [{"commitment_id": "c", "due_date": "2024-06-01"}]
    assert held["payload"]["participants"][0]["position"] == "局长"


def test_accused_tokens_only_in_the_partners_own_transfer() -> None:
    ev = stored("AccountabilityReferred", {"accountability_id": "a", "target_org_id": "A03", "recommended": ["warning"],
                                           "target_person_tokens": ["pt_" + "b" * 26], "via_transfer_id": "t"})
    assert "target_person_tokens" not in pf.partner_data(ev, "hq-jwjw", KEY)["payload"]
    assert pf.partner_data(ev, "hq-jwjw", KEY, own_transfer=True)["payload"]["target_person_tokens"]


def test_actor_and_approvers_become_per_partner_pseudonyms() -> None:
    ev = stored("ClueReopened", {"reason_code": "new_evidence"}, approvals=[
        {"approver_user_id": "u-sup-1", "approver_role": "supervisor", "decided_at": "x", "comment": "内部意见"}],
        backdate={"reason": "补录"}, idempotency_key="k")
    one, other = pf.partner_data(ev, "hq-jwjw", KEY), pf.partner_data(ev, "hq-jcy", KEY)
    assert one["actor"]["user_id"].startswith("psn_") and one["actor"]["user_id"] != other["actor"]["user_id"]
    assert one["actor"]["user_id"] == pf.partner_data(ev, "hq-jwjw", KEY)["actor"]["user_id"]  # stable
    text = json.dumps(one, ensure_ascii=False)
    for secret in ("u-staff-1", "u-sup-1", "内部意见", "补录", "idempotency"):
        assert secret not in text


def test_corrections_keep_only_partner_visible_paths() -> None:
    ev = stored("EventCorrected", {"target_event_id": "e", "reason": "内部原因", "changes": [
        {"path": "requirements", "old_value_hash": "c" * 64, "new_value": "内部文本"},
        {"path": "document", "old_value_hash": "d" * 64, "new_value": DOC}]})
    data = pf.partner_data(ev, "hq-jwjw", KEY, correction_target_type="RectificationNoticeIssued")
    assert [c["path"] for c in data["payload"]["changes"]] == ["document"]
    assert "storage_ref" not in data["payload"]["changes"][0]["new_value"] and "reason" not in data["payload"]
    hidden = stored("EventCorrected", {"target_event_id": "e", "reason": "r", "changes": [
        {"path": "summary", "old_value_hash": "c" * 64, "new_value": "x"}]})
    assert pf.partner_data(hidden, "hq-jwjw", KEY, correction_target_type="FindingRecorded") is None


def test_cloud_event_is_canonical_and_valid() -> None:
    ev = stored("TransferSent", {"transfer_id": "8d0a2f8e-3c4b-4f2a-9b1e-2d3c4b5a6f70", "sent_via": "platform",
                                 "transfer_letter": DOC, "copy_to_org_ids": []},
                correlation_id="c0a80101-0000-4000-8000-000000000001")
    ce = pf.cloud_event(ev, pf.partner_data(ev, "hq-jwjw", KEY), bureau="HQ", event_hash="e" * 64, partnerseq=2)
    assert pf.encode(ce) == pf.encode(json.loads(pf.encode(ce)))
    assert ce["type"] == "sl.clue.TransferSent.v1" and ce["source"] == "urn:sl:bureau:HQ"
    assert ce["correlationid"] == "c0a80101-0000-4000-8000-000000000001" and "causationid" not in ce
    validator("sl.cloudevent.v1.json").validate(ce)
    validator("sl.clue.TransferSent.v1.json").validate(ce["data"])


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.text() | st.floats() | st.just("lone \ud800 surrogate") | st.sampled_from([1e-5, 1e16, 0.1, -0.0, 2 ** 63, -2 ** 63 - 1])
    | st.integers(min_value=-2 ** 70, max_value=2 ** 70),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4), max_leaves=12)


def stdlib_encode(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_encode_and_loads_give_exactly_what_the_standard_library_gives(value: object) -> None:
    """orjson is used only where its bytes (and decoded values) are the standard library's: a re-send after
    the switch is byte-identical to a send before it."""
    try:
        expected = stdlib_encode({"data": value})
    except (ValueError, UnicodeEncodeError) as exc:  # a lone surrogate: neither encodes it
        with pytest.raises(type(exc)):
            pf.encode({"data": value})
        return
    assert pf.encode({"data": value}) == expected
    decoded = pf.loads(expected)
    assert stdlib_encode(decoded) == expected  # integers beyond 64 bits stay integers, floats keep their digits


def test_contracts_are_up_to_date() -> None:
    """docs/schemas and docs/asyncapi.yaml are generated from the allowlist (python -m infra.relay_schemas)."""
    for path, text in relay_schemas.write_all(ROOT / "docs").items():
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run python -m infra.relay_schemas"
    yaml = pytest.importorskip("yaml")
    doc = yaml.safe_load((ROOT / "docs" / "asyncapi.yaml").read_text(encoding="utf-8"))
    assert doc["asyncapi"].startswith("3.")
    for message in doc["components"]["messages"].values():
        ref = message["payload"]["allOf"][1]["properties"]["data"]["$ref"]
        assert (ROOT / "docs" / ref).exists()


def test_topic_template_and_production_key() -> None:
    settings = Settings(database_url="sqlite:///:memory:", env="demo")
    config = RelayConfig.from_env(settings, environ={})
    assert config.partner_topic("hq-jwjw") == "sl.demo.partner.hq-jwjw.events.v1"
    assert config.checkpoint_topic == "sl.demo.checkpoints.v1" and config.dev_pseudonym_key
    custom = RelayConfig.from_env(settings, environ={"SVLEDGER_TOPIC_TEMPLATE": "{bureau}.{partner}.feed"})
    assert custom.partner_topic("A 11") == "HQ.A_11.feed"
    with pytest.raises(ValueError, match="SVLEDGER_PSEUDONYM_KEY"):
        RelayConfig.from_env(Settings(database_url="sqlite:///:memory:", env="prod"), environ={})


def test_only_one_relay_is_active(database_url: str) -> None:
    """SQLite: a lock file; PostgreSQL: an advisory lock. The second waits until the first lets go."""
    settings = Settings(database_url=database_url)
    first, second = RelayLock(settings, "test-lock"), RelayLock(settings, "test-lock")
    try:
        assert first.try_acquire() and first.held()
        assert not second.try_acquire()
        assert not second.acquire(stop=lambda: True)
        first.release()
        assert second.acquire(poll_seconds=0.05) and second.held()
    finally:
        first.release()
        second.release()
    if not settings.is_postgres:
        assert Path(settings.sqlite_path + ".relay.lock").exists()


class FakeFuture:
    def __init__(self, error: Exception | None) -> None:
        self.is_done, self.exception = True, error

    def failed(self) -> bool:
        return self.exception is not None


class FakeProducer:
    """Records what was sent; ``fail`` makes every send of the next flush fail (broker refused)."""

    def __init__(self, log: list, fail: list) -> None:
        self.log, self.fail = log, fail

    def send(self, topic: str, key: bytes, value: bytes, headers: list) -> FakeFuture:
        self.log.append((topic, key, value))
        return FakeFuture(RuntimeError("refused") if self.fail else None)

    def flush(self, timeout: float) -> None:
        pass

    def close(self, timeout: float = 0) -> None:
        pass


def test_routing_per_partner_and_commit_only_after_confirmation(tmp_path: Path) -> None:
    """Two partners on one clue: each gets its own transfer's events, shared clue events go to both,
    each with its own partnerseq. A refused batch commits nothing; the retry sends the same bytes."""
    from infra.ledger import Ledger
    from infra.relay import BrokerUnavailable, Relay
    from infra.relay_store import RelayStore
    from tests.kafka.story import STAFF, SUPERVISOR, Story

    ledger = Ledger(Settings(database_url=f"sqlite:///{tmp_path / 'l.db'}"))
    story = Story(ledger, "routing")
    clue = story.shared_clue("R1", full=False)  # to hq-jwjw
    story.run("grantPartnerShare", {"partner_org_id": "hq-jcy", "partner_summary": "R1 抄送检察院"}, clue,
              actor=STAFF, approvers=(SUPERVISOR,))
    transfer = story.uid("R1", "transfer")
    story.run("acknowledgeTransfer", {"transfer_id": transfer, "receipt": DOC}, clue)  # hq-jwjw's transfer only
    story.run("suspendClue", {"reason_code": "awaiting_other_authority"}, clue, approvers=(SUPERVISOR,))  # both

    sent: list = []
    fail = [True]
    relay = Relay(ledger, RelayConfig(env="test"), producer_factory=lambda c: (FakeProducer(sent, fail), True))
    try:
        with pytest.raises(BrokerUnavailable):
            relay.run_once()
        assert RelayStore(ledger.settings).positions() == {}  # nothing confirmed, nothing recorded
        first_try = list(sent)
        fail.clear()
        sent.clear()
        relay.run_once()
        assert sent == first_try  # identical bytes on the retry
        feeds: dict[str, list[tuple[str, int]]] = {}
        for topic, key, value in sent:
            ce = json.loads(value)
            assert key == str(clue).encode()
            feeds.setdefault(topic.split(".")[3], []).append((ce["type"].split(".")[2], ce["partnerseq"]))
        assert feeds == {
            "hq-jwjw": [("PartnerShareGranted", 1), ("TransferSent", 2), ("TransferAcknowledged", 3),
                        ("ClueSuspended", 4)],
            "hq-jcy": [("PartnerShareGranted", 1), ("ClueSuspended", 2)]}
        positions = RelayStore(ledger.settings).positions()
        head = ledger.recorder.max_notification_id()
        assert positions == {"checkpoints": head, "partner:hq-jwjw": head, "partner:hq-jcy": head}
        sent.clear()
        relay.run_once()
        assert sent == []  # caught up: nothing is sent twice
    finally:
        relay.close()
        ledger.close()


@pytest.mark.parametrize("planner", ["inline", "process"])
def test_batches_planned_ahead_send_what_one_batch_sends(planner: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of one log event, each planned before the previous one is committed (in the planning process
    or inline) send exactly the bytes one big batch sends: partnerseq runs on across batches, a correction
    finds its target in a batch planned ahead, a revocation closes the share; a refused batch is planned
    again from the committed state."""
    from infra.ledger import Ledger
    from infra.partner_feed import Stored
    from infra.relay import BrokerUnavailable, Relay
    from tests.kafka.story import Story

    ledger = Ledger(Settings(database_url=f"sqlite:///{tmp_path / 'ahead.db'}"))
    story = Story(ledger, "ahead")
    clue = story.shared_clue("A1")
    position, events = 0, []
    while batch := ledger.recorder.select_notifications(start=position + 1, limit=500):
        events += [Stored.decode(n) for n in batch if str(n.originator_id) == str(clue)]
        position = batch[-1].id
    last = events[-1]  # published: corrected by the next log event, i.e. in the batch planned ahead of its commit
    assert last.event_type == "TransferDecisionReceived"
    story.correct(clue, last.event_id, "decision_doc", last.data["decision_doc"],
                  {**last.data["decision_doc"], "name": "A1 处置情况告知书(更正)"})
    story.revoke(clue)

    def run(batch_size: int, mode: str, fail_first: bool = False) -> list:
        monkeypatch.setenv("SVLEDGER_RELAY_PLANNER", mode)
        sent: list = []
        fail = [True] if fail_first else []
        relay = Relay(ledger, RelayConfig(env="test", batch_size=batch_size),
                      producer_factory=lambda c: (FakeProducer(sent, fail), True))
        try:
            if fail_first:
                with pytest.raises(BrokerUnavailable):
                    relay.run_once()
                fail.clear()
                sent.clear()
            relay.run_once()
            relay.reset()  # the next run starts from the beginning again
        finally:
            relay.close()
        return sent

    whole = run(500, "inline")
    types = [json.loads(v)["type"].split(".")[2] for _, _, v in whole]
    assert types[0] == "PartnerShareGranted" and types[-2:] == ["EventCorrected", "PartnerShareRevoked"]
    assert [json.loads(v)["partnerseq"] for _, _, v in whole] == list(range(1, len(whole) + 1))
    assert run(1, planner) == whole
    assert run(3, planner, fail_first=True) == whole
    ledger.close()


def test_relay_state_commit_reads_back(database_url: str) -> None:
    """One statement a batch on PostgreSQL (each column one delimited text); a value holding the delimiter,
    and SQLite, go row by row: either way the state reads back as written, positions never move back."""
    from infra.ledger import Ledger
    from infra.relay_store import DELIMITER, RelayStore, Sent, Share

    Ledger(Settings(database_url=database_url)).close()  # the event_hashes table
    store = RelayStore(Settings(database_url=database_url))
    try:
        for partner in ("hq-jwjw", f"odd{DELIMITER}code"):
            sent = [Sent(partner, f"e{i}", "c1", i, 10 + i, "FindingRecorded") for i in range(1, 4)]
            store.commit(12, [f"partner:{partner}", "checkpoints"], {(partner, "c1"): Share(True, 3)}, sent)
            assert store.sent(partner, "e2") == sent[1]
            assert store.shares()[(partner, "c1")] == Share(True, 3)
        store.commit(5, ["checkpoints"], {}, [])
        assert store.positions() == {"partner:hq-jwjw": 12, f"partner:odd{DELIMITER}code": 12, "checkpoints": 12}
        assert store.event_hashes([("s1", 1), (f"s{DELIMITER}2", 2)]) == {}
    finally:
        store.close()


@pytest.mark.parametrize("planner", ["inline", "process"])
def test_caught_up_then_a_new_event_is_sent_at_once(planner: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A "caught up" planned ahead of time is never taken for the present: an event recorded after it is sent
    by the next run (the relay then waits for a notification, it would be late by the safety poll)."""
    from infra.ledger import Ledger
    from infra.relay import Relay
    from tests.kafka.story import Story

    monkeypatch.setenv("SVLEDGER_RELAY_PLANNER", planner)
    ledger = Ledger(Settings(database_url=f"sqlite:///{tmp_path / 'late.db'}"))
    story = Story(ledger, "late")
    clue = story.shared_clue("L1", full=False)
    sent: list = []
    relay = Relay(ledger, RelayConfig(env="test"), producer_factory=lambda c: (FakeProducer(sent, []), True))
    try:
        assert relay.run_once() > 0 and sent  # caught up; an answer asked for ahead ("caught up") is pending
        story.revoke(clue)
        assert relay.run_once() > 0
        assert json.loads(sent[-1][2])["type"] == "sl.clue.PartnerShareRevoked.v1"
    finally:
        relay.close()
        ledger.close()


def test_a_planning_process_that_died_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The relay notices (PlannerLost, handled by ``run`` like a database outage), drops what it holds
    uncommitted and goes on with a new planning process from the committed state."""
    from infra.ledger import Ledger
    from infra.relay import Relay
    from infra.relay_ahead import PlannerLost
    from tests.kafka.story import Story

    monkeypatch.setenv("SVLEDGER_RELAY_PLANNER", "process")
    ledger = Ledger(Settings(database_url=f"sqlite:///{tmp_path / 'died.db'}"))
    story = Story(ledger, "died")
    clue = story.shared_clue("D1", full=False)
    sent: list = []
    relay = Relay(ledger, RelayConfig(env="test"), producer_factory=lambda c: (FakeProducer(sent, []), True))
    try:
        relay.run_once()
        first = list(sent)
        relay.plans.proc.kill()
        relay.plans.proc.wait(10)
        story.revoke(clue)
        with pytest.raises(PlannerLost):
            relay.run_once()
        relay.run_once()
        assert sent[:len(first)] == first
        assert [json.loads(v)["type"] for _, _, v in sent[len(first):]] == ["sl.clue.PartnerShareRevoked.v1"]
    finally:
        relay.close()
        ledger.close()
