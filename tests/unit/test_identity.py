"""Identity vault events and the access log (§4.9, §10; scenarios 5 and 10)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.application import Application

from domain import errors
from domain.access_log import AccessLog, access_log_stream_id
from domain.base import Cmd
from domain.catalogue import load_all
from domain.identity import Identity, expiry_of, identity_stream_id
from domain.values import Actor
from tests.builders import STAFF, STAFF2, SUPERVISOR, SUPERVISOR2, approval, at, cmd

API = Actor(user_id="svc-graphql", role="system_api", org_id="HQ")
SUPERVISOR3 = Actor(user_id="u-sup-3", role="supervisor", org_id="HQ")
SUPERVISOR4 = Actor(user_id="u-sup-4", role="supervisor", org_id="HQ")
TOKEN = "pt_" + "abcdefghijklmnopqrstuvwxyz"
CLUE_ID = "5b0e8c1a-7f7e-4c55-9a53-0d0c9e1c2f44"
HASH = hashlib.sha256(b"vault record").hexdigest()
IDENTITY_COMMANDS = {"sealIdentity": "IdentitySealed", "requestUnseal": "IdentityUnsealRequested",
                     "approveUnseal": "IdentityUnsealApproved", "denyUnseal": "IdentityUnsealDenied",
                     "discloseIdentity": "IdentityDisclosed", "shredIdentity": "IdentityShredded"}


def sealed(when: str = "2024-02-01 09:00") -> Identity:
    data = {"person_token": TOKEN, "person_role": "reporter", "key_id": "kms-key-7", "vault_record_hash": HASH}
    return Identity.seal(cmd("IdentitySealed", data, when))


def request(ident: Identity, when: str = "2024-03-01 10:00", fields: tuple[str, ...] = ("phone",),
            actor: Actor = STAFF, clue: Any = None) -> str:
    rid = str(uuid4())
    data = {"request_id": rid, "clue_id": CLUE_ID, "fields": list(fields), "purpose": "contact_reporter",
            "justification": "回访举报人"}
    ident.request_unseal(cmd("IdentityUnsealRequested", data, when, actor=actor), clue=clue)
    return rid


def approve(ident: Identity, rid: str, when: str = "2024-03-01 11:00", *, actor: Actor = SUPERVISOR,
            approvals: list[Actor] = (SUPERVISOR2,), clue: Any = None, **data: Any) -> None:
    c = cmd("IdentityUnsealApproved", {"request_id": rid, **data}, when, actor=actor,
            approvals=[approval(a) for a in approvals])
    ident.approve_unseal(c, clue=clue)


def disclose(ident: Identity, rid: str, when: str, fields: tuple[str, ...] = ("phone",), to: str = STAFF.user_id) -> None:
    data = {"request_id": rid, "disclosed_to": to, "fields": list(fields)}
    ident.disclose(cmd("IdentityDisclosed", data, when, actor=API))


def shred(ident: Identity, approvals: list[Actor] = (SUPERVISOR, SUPERVISOR2), key_id: str = "kms-key-7",
          token: str = TOKEN) -> None:
    data = {"person_token": token, "reason": "legal_request", "key_id": key_id}
    ident.shred(cmd("IdentityShredded", data, "2024-04-01 09:00", approvals=[approval(a) for a in approvals]))


def test_identity_commands_are_registered() -> None:
    specs = load_all()
    for name, event_name in IDENTITY_COMMANDS.items():
        assert (specs[name].event, specs[name].aggregate) == (event_name, "Identity")
        assert callable(getattr(Identity, specs[name].handler))
    assert specs["sealIdentity"].creates and specs["discloseIdentity"].who == ("system_api",)
    for name in ("recordView", "recordExport"):
        assert specs[name].aggregate == "AccessLog" and callable(getattr(AccessLog, specs[name].handler))


def test_seal_addresses_the_token_stream_with_s2_events() -> None:
    ident = sealed()
    assert ident.id == identity_stream_id(TOKEN)
    assert next(iter(ident.index.values()))["type"] == "IdentitySealed"
    assert all(meta_of(ident, eid)["sensitivity"] == "S2" for eid in ident.index)


def meta_of(ident: Identity, eid: str) -> dict[str, Any]:
    return next(e.meta for e in ident.pending_events if e.meta["event_id"] == eid)


# -- scenario 10 ----------------------------------------------------------------------------------------------
def test_scenario_10_unseal() -> None:
    ident = sealed()
    rid = request(ident)
    with pytest.raises(errors.UnsealWithoutApproval):
        disclose(ident, rid, "2024-03-01 10:30")
    approve(ident, rid)
    assert expiry_of(ident.requests[rid]["valid_until"]) == at("2024-03-02 11:00")
    disclose(ident, rid, "2024-03-01 12:00")
    disclose(ident, rid, "2024-03-02 10:00")  # per reveal, while valid
    assert len(ident.disclosures) == 2
    assert [ob["status"] for ob in ident.obligations.values()] == ["completed"]
    with pytest.raises(errors.UnsealWithoutApproval):
        disclose(ident, rid, "2024-03-02 11:30")


def test_disclosure_must_be_covered() -> None:
    ident = sealed()
    rid = request(ident)
    approve(ident, rid)
    with pytest.raises(errors.UnsealWithoutApproval):
        disclose(ident, rid, "2024-03-01 12:00", fields=("phone", "address"))
    with pytest.raises(errors.UnsealWithoutApproval):  # only the requester without external_disclosure
        disclose(ident, rid, "2024-03-01 12:00", to=STAFF2.user_id)
    with pytest.raises(errors.UnsealWithoutApproval):  # backdated before the approval
        disclose(ident, rid, "2024-03-01 10:59")
    with pytest.raises(errors.UnsealWithoutApproval):
        disclose(ident, str(uuid4()), "2024-03-01 12:00")


def test_valid_until_given() -> None:
    ident = sealed()
    rid = request(ident)
    with pytest.raises(errors.ValidationFailed):
        approve(ident, rid, valid_until="2024-03-01T09:00:00+08:00")
    approve(ident, rid, valid_until="2024-03-05")  # a date: through the end of that day
    disclose(ident, rid, "2024-03-05 23:00")
    with pytest.raises(errors.UnsealWithoutApproval):
        disclose(ident, rid, "2024-03-06 00:00")


def test_denied_request_discloses_nothing() -> None:
    ident = sealed()
    rid = request(ident)
    with pytest.raises(errors.SelfApprovalForbidden):
        ident.deny_unseal(cmd("IdentityUnsealDenied", {"request_id": rid, "reason": "理由不足"},
                              "2024-03-01 11:00", actor=STAFF))
    ident.deny_unseal(cmd("IdentityUnsealDenied", {"request_id": rid, "reason": "理由不足"}, "2024-03-01 11:00",
                          actor=SUPERVISOR))
    with pytest.raises(errors.InvalidTransition):
        approve(ident, rid)
    with pytest.raises(errors.UnsealWithoutApproval):
        disclose(ident, rid, "2024-03-01 12:00")


def test_approval_rules() -> None:
    ident = sealed()
    rid = request(ident, actor=SUPERVISOR2)
    with pytest.raises(errors.SelfApprovalForbidden):  # the requester records the approval
        approve(ident, rid, actor=SUPERVISOR2, approvals=[SUPERVISOR])
    with pytest.raises(errors.SelfApprovalForbidden):  # the requester is among the approvers
        approve(ident, rid, approvals=[SUPERVISOR2])
    with pytest.raises(errors.ApprovalRequired):
        approve(ident, rid, approvals=[])
    with pytest.raises(errors.ApprovalRequired):  # external disclosure needs a second supervisor
        approve(ident, rid, approvals=[SUPERVISOR3], external_disclosure=True)
    with pytest.raises(errors.NotFound):
        approve(ident, str(uuid4()))
    with pytest.raises(errors.OccurredBeforePredecessor):
        approve(ident, rid, when="2024-03-01 09:00", approvals=[SUPERVISOR3])
    approve(ident, rid, actor=SUPERVISOR4, approvals=[SUPERVISOR, SUPERVISOR3], external_disclosure=True)
    disclose(ident, rid, "2024-03-01 12:00", to="HQ-JWJW")
    with pytest.raises(errors.InvalidTransition):
        approve(ident, rid, approvals=[SUPERVISOR3])


def test_request_id_is_unique() -> None:
    ident = sealed()
    rid = request(ident)
    data = {"request_id": rid, "clue_id": CLUE_ID, "fields": ["name"], "purpose": "evidence", "justification": "x"}
    with pytest.raises(errors.ValidationFailed):
        ident.request_unseal(cmd("IdentityUnsealRequested", data, "2024-03-01 10:05"))


# -- assignment and conflict, with the clue passed in --------------------------------------------------------
def clue(lead: str | None = None, assignee: str | None = None) -> SimpleNamespace:
    assignments = {"a1": {"assignee_user_id": assignee, "state": "active"}} if assignee else {}
    return SimpleNamespace(id=CLUE_ID, agencies=["A03"], assignments=assignments, lead=lead)


def conflicted(c: Cmd, *users: str) -> Cmd:
    return replace(c, is_conflicted=lambda user, agencies, when: user in users and "A03" in agencies)


def test_requester_must_be_assigned_to_the_clue() -> None:
    ident = sealed()
    with pytest.raises(errors.NotAuthorized):
        request(ident, clue=clue(assignee=STAFF2.user_id))
    request(ident, clue=clue(assignee=STAFF.user_id))
    request(ident, clue=clue(lead=STAFF.user_id))
    with pytest.raises(errors.ValidationFailed):
        request(ident, clue=SimpleNamespace(id=str(uuid4()), agencies=[], assignments={}, lead=STAFF.user_id))


def test_conflicted_users_cannot_unseal() -> None:
    ident = sealed()
    data = {"request_id": str(uuid4()), "clue_id": CLUE_ID, "fields": ["phone"], "purpose": "evidence",
            "justification": "核实"}
    with pytest.raises(errors.ConflictOfInterest):
        ident.request_unseal(conflicted(cmd("IdentityUnsealRequested", data, "2024-03-01 10:00"), STAFF.user_id),
                             clue=clue(lead=STAFF.user_id))
    rid = request(ident, clue=clue(lead=STAFF.user_id))
    decision = cmd("IdentityUnsealApproved", {"request_id": rid}, "2024-03-01 11:00", actor=SUPERVISOR,
                   approvals=[approval(SUPERVISOR2)])
    with pytest.raises(errors.ConflictOfInterest):  # the approving actor
        ident.approve_unseal(conflicted(decision, SUPERVISOR.user_id), clue=clue())
    with pytest.raises(errors.ConflictOfInterest):  # an approver
        ident.approve_unseal(conflicted(decision, SUPERVISOR2.user_id), clue=clue())
    ident.approve_unseal(decision, clue=clue())


# -- scenario 5: crypto-shredding -------------------------------------------------------------------------------
def test_scenario_5_shredded_identity_refuses_unseal() -> None:
    ident = sealed()
    rid = request(ident)
    approve(ident, rid)
    shred(ident)
    assert ident.shredded and ident.requests[rid]["status"] == "void_shredded"
    with pytest.raises(errors.IdentityShredded):
        request(ident, when="2024-04-02 10:00")
    with pytest.raises(errors.IdentityShredded):
        approve(ident, rid, when="2024-04-02 11:00")
    with pytest.raises(errors.IdentityShredded):
        disclose(ident, rid, "2024-03-02 09:00")
    with pytest.raises(errors.IdentityShredded):
        ident.deny_unseal(cmd("IdentityUnsealDenied", {"request_id": rid, "reason": "x"}, "2024-04-02 11:00",
                              actor=SUPERVISOR))
    with pytest.raises(errors.IdentityShredded):
        shred(ident)


def test_unseal_decision_obligation() -> None:
    ident = sealed()
    rid = request(ident)
    ob = next(iter(ident.obligations.values()))
    assert (ob["type"], ob["subject"], ob["status"], ob["due_date"]) == ("unseal_decision", rid, "open", "2024-03-08")
    request(ident, when="2024-03-01 10:10")
    ident.deny_unseal(cmd("IdentityUnsealDenied", {"request_id": rid, "reason": "理由不足"}, "2024-03-01 11:00",
                          actor=SUPERVISOR))
    assert ob["status"] == "completed"
    shred(ident)
    assert sorted(o["status"] for o in ident.obligations.values()) == ["cancelled", "completed"]


def test_shredding_needs_two_distinct_supervisors() -> None:
    ident = sealed()
    with pytest.raises(errors.ApprovalRequired):
        shred(ident, approvals=[SUPERVISOR])
    with pytest.raises(errors.ApprovalRequired):
        shred(ident, approvals=[SUPERVISOR, SUPERVISOR])
    with pytest.raises(errors.ValidationFailed):
        shred(ident, key_id="kms-key-8")
    with pytest.raises(errors.ValidationFailed):
        shred(ident, token="pt_" + "b" * 26)
    assert not ident.shredded


def test_identity_replays_from_its_events() -> None:
    ident = sealed()
    rid = request(ident)
    approve(ident, rid)
    disclose(ident, rid, "2024-03-01 12:00")
    shred(ident)
    app = Application()
    app.save(ident)
    again = app.repository.get(ident.id)
    assert again.shredded and again.requests == ident.requests and again.version == 5


# -- access log ------------------------------------------------------------------------------------------------
def view(when: str, event: str = "RecordViewed", **extra: Any) -> Cmd:
    data = {"viewer": {"user_id": "u-aud-1", "role": "auditor", "org_id": "HQ"}, "resources": [f"identity:{TOKEN}"],
            "field_classes": ["S2", "S3"], "purpose": "contact_reporter",
            "query_hash": hashlib.sha256(b"q").hexdigest(), **extra}
    return cmd(event, data, when, actor=API)


def test_access_log_is_opened_by_the_days_first_event() -> None:
    sid = access_log_stream_id("QJ", "2024-03-01")
    assert sid == access_log_stream_id("QJ", at("2024-03-01 00:00").date())
    log = AccessLog.open_day(view("2024-03-01 12:00"), sid)
    log.record_view(view("2024-03-01 13:00"))
    export = {"format": "csv", "row_count": 12, "file_hash": hashlib.sha256(b"f").hexdigest()}
    log.record_export(view("2024-03-01 14:00", "RecordExported", **export))
    assert (log.id, log.version, log.day) == (sid, 3, "2024-03-01")
    assert [e["kind"] for e in log.viewed_by("u-aud-1")] == ["view", "view", "export"]
    app = Application()
    app.save(log)
    again = app.repository.get(sid)
    assert again.entries == log.entries and type(again.index[next(iter(log.index))]) is dict


def test_access_log_export_may_open_the_day() -> None:
    export = {"format": "xlsx", "row_count": 1, "file_hash": hashlib.sha256(b"f").hexdigest()}
    log = AccessLog.open_day(view("2024-03-02 00:10", "RecordExported", **export),
                             access_log_stream_id("QJ", "2024-03-02"))
    assert log.entries[0]["kind"] == "export"


def test_access_log_refuses_another_day_and_corrections() -> None:
    log = AccessLog.open_day(view("2024-03-01 23:50"), access_log_stream_id("QJ", "2024-03-01"))
    with pytest.raises(errors.ValidationFailed):
        log.record_view(view("2024-03-02 00:10"))
    target = next(iter(log.index))
    with pytest.raises(errors.InvalidTransition):
        log.void_event(cmd("EventVoided", {"target_event_id": target, "reason": "x"}, "2024-03-01 23:55",
                           approved=True))
    with pytest.raises(errors.ValidationFailed):
        AccessLog.open_day(cmd("RecordDeleted", {}, "2024-03-01 10:00", actor=API), uuid4())
