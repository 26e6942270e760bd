"""The relay against a real Kafka-protocol broker (Tansu): order, redaction, contracts, re-sends,
crash (kill -9) and broker outage (domain.md §11, scenario 2)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import defaultdict
from pathlib import Path
from uuid import UUID

import pytest

from infra.ledger import Ledger
from infra.partner_feed import Stored
from infra.relay import Relay, RelayConfig
from infra.relay_consumer import PartnerInbox
from infra.relay_store import RelayStore, relay_lag
from infra.settings import Settings
from tests.kafka.conftest import Tansu
from tests.kafka.helpers import (CHECKPOINT_TOPIC, ENV, PARTNER_TOPIC, Message, cli, cli_env, cli_popen, has_ids,
                                 read_topic, validate)
from tests.kafka.story import ACCUSED_OWN_TRANSFER, CANARIES, PARTNER, SUPERVISOR, Story
from tests.kafka.story import doc as story_doc

SHARED_FLOW = ["PartnerShareGranted", "TransferSent", "RectificationNoticeIssued", "NoticeServed",
               "TransferAcknowledged", "TransferDecisionReceived"]
NEVER = ("ClueReceived", "ClueRegistered", "ReceiptAcknowledged", "ClueScreened", "EvidenceRecorded",
         "SupervisionCaseOpened", "VerificationStarted", "ReporterFeedbackSent", "TransferProposed")


def config(tansu: Tansu, **overrides: object) -> RelayConfig:
    values = {"bootstrap_servers": tansu.bootstrap, "env": ENV, "delivery_timeout_ms": 5000, **overrides}
    return RelayConfig(**values)  # type: ignore[arg-type]


def events_of(ledger: Ledger, clue: UUID) -> list[Stored]:
    """A clue's stored events in log order (with their positions)."""
    out, position = [], 0
    while batch := ledger.recorder.select_notifications(start=position + 1, limit=500):
        out += [Stored.decode(n) for n in batch if str(n.originator_id) == str(clue)]
        position = batch[-1].id
    return out


def expected(ledger: Ledger, clue: UUID, types: list[str]) -> list[str]:
    """The event ids of ``types`` in ``clue``, in log order (each type once, in the order given)."""
    by_type = {}
    for ev in events_of(ledger, clue):
        by_type.setdefault(ev.event_type, ev.event_id)
    return [by_type[t] for t in types]


def by_clue(messages: list[Message]) -> dict[str, list[Message]]:
    out: dict[str, list[Message]] = defaultdict(list)
    for m in messages:
        out[m.key.decode()].append(m)
    return out


def first_occurrences(messages: list[Message]) -> list[Message]:
    seen, out = set(), []
    for m in messages:
        if m.ce["id"] not in seen:
            seen.add(m.ce["id"])
            out.append(m)
    return out


def assert_no_leak(messages: list[Message]) -> None:
    for m in messages:
        for canary in CANARIES:
            assert canary.encode() not in m.raw, f"{canary!r} leaked in {m.ce['type']}"


def assert_per_clue_order(messages: list[Message]) -> None:
    """One partition per clue; in offset order, duplicates aside, partnerseq runs 1, 2, 3 …; a re-sent
    message has the bytes of the first."""
    first: dict[str, bytes] = {}
    for clue, ms in by_clue(messages).items():
        assert len({m.partition for m in ms}) == 1, f"clue {clue} spread over partitions"
        assert [m.ce["partnerseq"] for m in first_occurrences(ms)] == list(range(1, len(first_occurrences(ms)) + 1))
        for m in ms:
            assert first.setdefault(m.ce["id"], m.value) == m.value, "a re-send differs from the first send"
            assert m.ce["subject"] == clue


def test_feed_order_redaction_contracts_and_identical_resends(tansu: Tansu, database_url: str) -> None:
    ledger = Ledger(Settings(database_url=database_url))
    story = Story(ledger, "feed")
    k1 = story.investigated_clue("K1")
    t1 = story.transfer_to_partner(k1, "K1")
    story.after_transfer(k1, "K1", t1)
    story.refer_accountability(k1, "K1", t1)
    notice = next(e for e in events_of(ledger, k1) if e.event_type == "RectificationNoticeIssued")
    story.correct(k1, notice.event_id, "requirements", notice.data["requirements"], "内部更正")  # hidden path
    new_doc = {**notice.data["document"], "name": "K1 整改通知书(更正)"}
    story.correct(k1, notice.event_id, "document", notice.data["document"], new_doc)
    k2 = story.shared_clue("K2", full=False)
    story.revoke(k2)
    story.run("issueNotice", {"notice_id": story.uid("K2", "notice"), "notice_type": "work_tip_letter",
                              "doc_number": "汉司监提〔2024〕K2号", "recipient_org_id": "A03", "requirements": "x",
                              "document": {**notice.data["document"], "doc_id": "k2"}}, k2, approvers=(SUPERVISOR,))
    story.unshared_clue("K3")

    relay = Relay(ledger, config(tansu))
    try:
        assert relay.run(once=True, deadline=time.monotonic() + 30)
        assert relay.idempotent is True  # Tansu 0.6 grants producer ids (InitProducerId)
        k1_types = [*SHARED_FLOW, "AccountabilityReferred", "EventCorrected"]
        k1_ids = expected(ledger, k1, SHARED_FLOW + ["AccountabilityReferred"]) + [
            e.event_id for e in events_of(ledger, k1)
            if e.event_type == "EventCorrected" and e.data["changes"][0]["path"] == "document"]
        k2_ids = expected(ledger, k2, ["PartnerShareGranted", "TransferSent", "PartnerShareRevoked"])
        messages = read_topic(tansu.bootstrap, PARTNER_TOPIC, until=has_ids(set(k1_ids + k2_ids)))
        clues = by_clue(messages)
        assert set(clues) == {str(k1), str(k2)}  # K3 is never shared; K2's notice came after the revocation
        assert [m.ce["id"] for m in clues[str(k1)]] == k1_ids
        assert [m.ce["type"] for m in clues[str(k1)]] == [f"sl.clue.{t}.v1" for t in k1_types]
        assert [m.ce["id"] for m in clues[str(k2)]] == k2_ids
        assert_per_clue_order(messages)
        assert_no_leak(messages)
        for m in messages:
            validate(m)
            ce = m.ce
            assert ce["type"].split(".")[2] not in NEVER
            assert ce["eventhash"] == ledger.recorder.event_hash_of(ce["subject"], ce["streamversion"])
            assert ce["source"] == "urn:sl:bureau:HQ" and ce["data"]["actor"]["user_id"].startswith("psn_")
        granted = clues[str(k1)][0].ce
        assert granted["partnerseq"] == 1 and granted["data"]["payload"]["partner_summary"].startswith("K1")
        referred = clues[str(k1)][6].ce["data"]["payload"]
        assert referred["target_person_tokens"] == [ACCUSED_OWN_TRANSFER]  # its own transfer: visible
        corrected = clues[str(k1)][7].ce["data"]["payload"]
        assert [c["path"] for c in corrected["changes"]] == ["document"]

        # a full replay for the partner re-sends byte-identical messages (consumers dedupe on id)
        relay.reset(PARTNER)
        assert relay.run(once=True, deadline=time.monotonic() + 30)
        again = read_topic(tansu.bootstrap, PARTNER_TOPIC, until=lambda ms: len(ms) >= 2 * len(messages))
        assert len(again) == 2 * len(messages)
        assert_per_clue_order(again)
        assert {p.name: p.events_behind for p in relay_lag(ledger)} == {"checkpoints": 0, f"partner:{PARTNER}": 0}
    finally:
        relay.close()
        ledger.close()


def test_checkpoints_are_published(tansu: Tansu, tmp_path: Path) -> None:
    checkpoints = pytest.importorskip("infra.checkpoints")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'ledger.db'}", signing_key=str(tmp_path / "signing.key"))
    ledger = Ledger(settings)
    from infra.sample import record_sample_clue

    record_sample_clue(ledger)
    data = checkpoints.make_checkpoint(ledger)
    relay = Relay(ledger, config(tansu))
    try:
        assert relay.run(once=True, deadline=time.monotonic() + 30)
        messages = read_topic(tansu.bootstrap, CHECKPOINT_TOPIC, until=lambda ms: len(ms) >= 1)
        assert len(messages) == 1
        validate(messages[0])
        assert messages[0].ce["data"]["payload"]["merkle_root"] == data["merkle_root"]
        assert b"u-staff-1" not in messages[0].raw
        assert read_topic(tansu.bootstrap, PARTNER_TOPIC, timeout=2) == []  # the sample clue is not shared
    finally:
        relay.close()
        ledger.close()


def test_kill9_during_publishing_then_restart(tansu: Tansu, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ledger = Ledger(Settings(database_url=url))
    story = Story(ledger, "kill9")
    clues = [story.shared_clue(f"C{i:02d}") for i in range(8)]
    story.unshared_clue("C99")
    head = ledger.recorder.max_notification_id()
    want = {c: expected(ledger, c, SHARED_FLOW) for c in clues}
    env = cli_env(url, tansu.bootstrap)
    store = RelayStore(ledger.settings)
    proc = cli_popen("relay", "--batch-size", "1", env=env, log=tmp_path / "relay1.log")
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            position = min(store.positions().values(), default=0)
            if position >= head // 3:
                break
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)  # mid-way: some batches confirmed, the next one maybe sent
        proc.wait(10)
        killed_at = min(store.positions().values(), default=0)
        assert 0 < killed_at < head, f"the relay was not killed mid-way ({killed_at}/{head})"
    finally:
        if proc.poll() is None:
            proc.kill()

    done = cli("relay", "--once", "--timeout", "60", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    all_ids = {i for ids in want.values() for i in ids}
    messages = read_topic(tansu.bootstrap, PARTNER_TOPIC, until=has_ids(all_ids))
    assert {m.ce["id"] for m in messages} == all_ids  # every shareable event, nothing else
    assert_per_clue_order(messages)  # duplicates only as identical re-sends of the same id
    for clue, ids in want.items():
        assert [m.ce["id"] for m in first_occurrences(by_clue(messages)[str(clue)])] == ids
    assert_no_leak(messages)

    # the reference consumer stores each event once and reports the duplicates it skipped
    consumed = cli("partner-consume", "--group", "test-partner", "--partner", PARTNER, "--assign", "--once",
                   "--idle", "1", env=env)
    assert consumed.returncode == 0, consumed.stdout + consumed.stderr
    assert f"{len(all_ids)} stored, {len(messages) - len(all_ids)} duplicate(s) skipped" in consumed.stdout
    inbox = PartnerInbox(ledger.settings)
    assert len(inbox.events(PARTNER)) == len(all_ids) and inbox.gaps(PARTNER) == {}
    inbox.close()
    again = cli("partner-consume", "--group", "test-partner", "--partner", PARTNER, "--assign", "--once",
                "--idle", "1", env=env)
    assert "0 stored" in again.stdout  # offsets were kept with the rows: nothing is read twice
    store.close()
    ledger.close()


def test_broker_down_at_start_then_outage_then_full_catch_up(broker_down: Tansu, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ledger = Ledger(Settings(database_url=url))
    story = Story(ledger, "outage")
    env = cli_env(url, broker_down.bootstrap)
    proc = cli_popen("relay", env=env, log=tmp_path / "relay.log")
    try:
        before = story.shared_clue("B1")
        wait_for_log(tmp_path / "relay.log", "broker unavailable", proc)  # it tried, failed, and keeps trying
        time.sleep(1.0)
        assert proc.poll() is None, "the relay must not crash while the broker is down"
        broker_down.start()
        first = set(expected(ledger, before, SHARED_FLOW))
        assert first <= {m.ce["id"] for m in read_topic(broker_down.bootstrap, PARTNER_TOPIC, until=has_ids(first))}

        broker_down.stop()  # in-memory storage: the restarted broker starts empty
        down_at = time.monotonic()
        during = [story.shared_clue(f"D{i}") for i in range(3)]
        time.sleep(max(0.0, 10.0 - (time.monotonic() - down_at)))
        assert proc.poll() is None, "the relay must survive a broker outage"
        broker_down.start()
        ids = {i for c in during for i in expected(ledger, c, SHARED_FLOW)}
        messages = read_topic(broker_down.bootstrap, PARTNER_TOPIC, until=has_ids(ids), timeout=40)
        assert ids <= {m.ce["id"] for m in messages}, "full catch-up after the outage"
        assert_per_clue_order([m for m in messages if m.key.decode() in {str(c) for c in during}])
        store = RelayStore(ledger.settings)
        deadline = time.monotonic() + 10
        while min(store.positions().values()) < ledger.recorder.max_notification_id() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert min(store.positions().values()) == ledger.recorder.max_notification_id()
        store.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except Exception:  # noqa: BLE001
            proc.kill()
        ledger.close()
    log = (tmp_path / "relay.log").read_text()
    assert "relay recovered" in log, log[-3000:]
    assert proc.returncode == 0, log[-3000:]


def wait_for_log(path: Path, text: str, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text():
            return
        assert proc.poll() is None, f"the relay exited: {path.read_text()[-3000:]}"
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not in {path}: {path.read_text()[-3000:]}")


def test_hot_standby_takes_over(tansu: Tansu, database_url: str, tmp_path: Path) -> None:
    """Two relays: one publishes, the other waits on the lock; kill -9 the first, the second takes over
    and continues each clue's partnerseq where the first left it (its state is reloaded on takeover)."""
    ledger = Ledger(Settings(database_url=database_url))
    story = Story(ledger, "standby")
    env = cli_env(database_url, tansu.bootstrap)
    active = cli_popen("relay", env=env, log=tmp_path / "active.log")
    standby = None
    try:
        first = story.investigated_clue("H1")
        transfer = story.transfer_to_partner(first, "H1")
        wait_for_log(tmp_path / "active.log", "published", active)
        standby = cli_popen("relay", env=env, log=tmp_path / "standby.log")
        wait_for_log(tmp_path / "standby.log", "hot standby", standby)
        story.run("acknowledgeTransfer", {"transfer_id": transfer, "receipt": story_doc("H1 签收回执")}, first)
        acked = set(expected(ledger, first, ["TransferAcknowledged"]))
        read_topic(tansu.bootstrap, PARTNER_TOPIC, until=has_ids(acked))  # published by the active relay
        os.kill(active.pid, signal.SIGKILL)
        active.wait(10)
        story.run("receiveTransferDecision", {"transfer_id": transfer, "decision": "preliminary_verification",
                                              "decision_doc": story_doc("H1 处置情况告知书")}, first)
        second = story.shared_clue("H2", full=False)
        wait_for_log(tmp_path / "standby.log", "now active", standby)
        ids = set(expected(ledger, first, ["PartnerShareGranted", "TransferSent", "TransferAcknowledged",
                                           "TransferDecisionReceived"]) + expected(ledger, second, SHARED_FLOW[:2]))
        messages = read_topic(tansu.bootstrap, PARTNER_TOPIC, until=has_ids(ids))
        assert {m.ce["id"] for m in messages} == ids
        assert_per_clue_order(messages)  # H1: partnerseq 1, 2, 3 by the first relay, 4 by the second
        wait_for_log(tmp_path / "standby.log", "published", standby)  # the standby did publish
    finally:
        for proc in (active, standby):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(15)
        ledger.close()

