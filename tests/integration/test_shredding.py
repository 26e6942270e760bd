"""Identity vault and crypto-shredding (domain.md §10, scenarios 5 and 10), on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from uuid import uuid4

import psycopg
import pytest

from domain import errors
from domain.identity import identity_stream_id
from infra.ledger import Ledger
from infra.sample import STAFF, SUPERVISOR, SUPERVISOR2
from infra.verify import verify
from infra.vault import Vault

CANARY = "欧阳金丝雀"


def now() -> str:
    return datetime.now(timezone.utc).isoformat()


def database_bytes(ledger: Ledger) -> bytes:
    if not ledger.settings.is_postgres:
        with open(ledger.settings.sqlite_path, "rb") as f:
            return f.read()
    with psycopg.connect(ledger.settings.database_url) as conn:
        rows = conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'").fetchall()
        return b"".join(str(conn.execute(f'SELECT * FROM "{t}"').fetchall()).encode() for (t,) in rows)


@pytest.fixture
def vault(ledger: Ledger, tmp_path, monkeypatch: pytest.MonkeyPatch) -> Vault:
    monkeypatch.setenv("SVLEDGER_VAULT_KEY", str(tmp_path / "vault.key"))
    return Vault(ledger)


def step(ledger: Ledger, command: str, token: str, data: dict, actor: dict, approvals: list | None = None) -> dict:
    stream = identity_stream_id(token)
    meta = {"stream_id": str(stream), "expected_version": ledger.load(stream).version, "occurred_at": now(),
            "idempotency_key": uuid4().hex,
            "approvals": [{"approver_user_id": a["user_id"], "approver_role": a["role"], "decided_at": now()}
                          for a in approvals or []]}
    return ledger.execute(command, data, meta, actor)


def test_unseal_needs_approval_then_shredding_makes_the_identity_unreadable(ledger: Ledger, vault: Vault) -> None:
    token = vault.seal({"name": CANARY, "phone": "13800138000"}, "reporter", STAFF)
    assert CANARY.encode() not in database_bytes(ledger)  # only ciphertext is stored
    request = str(uuid4())
    clue = ledger.execute("receiveClue", {"channel": "letter_visit", "summary": "实名举报执法人员索要好处",
                                          "subject_agency_ids": ["A03"], "reporter": {
                                              "kind": "named", "reporter_token": token, "contactable": True,
                                              "real_name_report": True}},
                          {"expected_version": 0, "idempotency_key": uuid4().hex,
                           "occurred_at": (datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat()},
                          STAFF)["stream_id"]
    assignment = str(uuid4())
    for command, data, actor, version in (
            ("assignClue", {"assignment_id": assignment, "assignee_user_id": STAFF["user_id"],
                            "role_on_clue": "lead"}, SUPERVISOR, 1),
            ("acceptAssignment", {"assignment_id": assignment}, STAFF, 2)):
        ledger.execute(command, data, {"stream_id": clue, "expected_version": version, "occurred_at": now(),
                                       "idempotency_key": uuid4().hex}, actor)
    step(ledger, "requestUnseal", token, {"request_id": request, "clue_id": clue, "fields": ["phone"],
                                          "purpose": "contact_reporter", "justification": "联系举报人核实情况"}, STAFF)
    with pytest.raises(errors.UnsealWithoutApproval):
        vault.reveal(token, request, ["phone"], STAFF["user_id"])
    step(ledger, "approveUnseal", token, {"request_id": request}, SUPERVISOR, [SUPERVISOR2])
    assert vault.reveal(token, request, ["phone"], STAFF["user_id"]) == {"phone": "13800138000"}
    logged = [n for n in ledger.notifications(limit=1000) if n.topic.endswith(("IdentityDisclosed", "RecordViewed"))]
    assert [n.topic.rsplit(".", 1)[1] for n in logged] == ["IdentityDisclosed", "RecordViewed"]
    assert vault.display(token) == "[sealed]"

    vault.shred(token, "legal_request", STAFF, [SUPERVISOR, SUPERVISOR2])
    with pytest.raises(errors.IdentityShredded):
        vault.read(token)
    with pytest.raises(errors.IdentityShredded):
        vault.reveal(token, request, ["phone"], STAFF["user_id"])
    assert vault.display(token) == "[shredded]"
    assert CANARY.encode() not in database_bytes(ledger)
    assert verify(ledger).ok  # hashes cover ciphertext and tokens only: nothing to break


def test_shredding_needs_two_supervisors(ledger: Ledger, vault: Vault) -> None:
    token = vault.seal({"name": CANARY}, "reporter", STAFF)
    with pytest.raises(errors.ApprovalRequired):
        vault.shred(token, "retention_expired", STAFF, [SUPERVISOR2])
    assert vault.read(token) == {"name": CANARY}


def test_a_reveal_is_logged_and_a_missing_record_discloses_nothing(ledger: Ledger, vault: Vault) -> None:
    token = vault.seal({"name": CANARY, "phone": "13800138000"}, "reporter", STAFF)
    before = len(ledger.notifications(limit=1000))
    with pytest.raises(errors.NotFound):
        vault.read("pt_" + "b" * 26)
    assert len(ledger.notifications(limit=1000)) == before
    assert vault.display(token) == "[sealed]"


def test_shredding_cancels_the_open_feedback_obligations_to_that_person(ledger: Ledger, vault: Vault) -> None:
    """§10: after IdentityShredded the reporter's open feedback obligations are ``cancelled`` in the read
    model (at the shredding, by its event); another reporter's stay open; obligations already projected in
    an earlier batch and those of the same batch are both found."""
    from projections.runner import Projector

    def received(token: str) -> str:
        clue = ledger.execute("receiveClue", {"channel": "letter_visit", "summary": "举报执法不规范",
                                              "subject_agency_ids": ["A03"], "reporter": {
                                                  "kind": "named", "reporter_token": token, "contactable": True}},
                              {"expected_version": 0, "idempotency_key": uuid4().hex,
                               "occurred_at": (datetime.now(timezone.utc) - timedelta(minutes=5)).isoformat()},
                              STAFF)["stream_id"]
        ledger.execute("registerClue", {}, {"stream_id": clue, "expected_version": 1, "occurred_at": now(),
                                            "idempotency_key": uuid4().hex}, STAFF)
        ledger.execute("screenClue", {"outcome": "invalid", "reason_code": "civil_dispute", "reason": "属民事纠纷"},
                       {"stream_id": clue, "expected_version": 2, "occurred_at": now(), "idempotency_key": uuid4().hex,
                        "approvals": [{"approver_user_id": SUPERVISOR["user_id"], "approver_role": "supervisor",
                                       "decided_at": now()}]}, STAFF)
        return clue

    shredded, kept = (vault.seal({"name": CANARY}, "reporter", STAFF) for _ in range(2))
    early, other = received(shredded), received(kept)
    projector = Projector(ledger)
    projector.run_once()  # the first clue's obligation is stored before the shredding's batch
    late = received(shredded)
    vault.shred(shredded, "legal_request", STAFF, [SUPERVISOR, SUPERVISOR2])
    projector.run_once()
    rows = {sid: (status, event) for sid, status, event in projector.db.query(
        "SELECT stream_id, status, completed_event_id FROM obligations WHERE type = 'feedback_not_accepted'")}
    shred_event = next(n for n in ledger.notifications(limit=1000) if n.topic.endswith("IdentityShredded"))
    shred_id = ledger.mapper.to_domain_event(shred_event).meta["event_id"]  # type: ignore[attr-defined]
    assert rows[early] == ("cancelled", shred_id) and rows[late] == ("cancelled", shred_id)
    assert rows[other] == ("open", None)
    projector.db.close()
