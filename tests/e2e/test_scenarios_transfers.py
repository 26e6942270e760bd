"""domain.md §13 scenarios 2 (transfer to 纪委) and 8 (两法衔接, suspected_crime transfer to 公安局) over
real HTTP, each on a fresh copy of ``demo_2024``: a new clue is brought up to a recorded finding through the
command layer, then the transfer is proposed, refused, completed, approved, sent and followed up through
the GraphQL mutations, and read back by staff and by the partner."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from infra.sample import CST
from tests.e2e.commands import SUP1, SUP2, doc, meta, run, send
from tests.e2e.conftest import Api
from tests.e2e.scenario_helpers import code_of, demo_api, demo_template  # noqa: F401 - fixtures
from tests.e2e.story import story

SUPERVISOR = ("supervisor", SUP1, "HQ")
PARTNER = {"role": "discipline_partner", "user": "u-jwjw-1", "org": "hq-jwjw"}
CLUE = ("query($id: ID!) { clue(id: $id) { status version summary lead reporter { kind } "
        "transfers { id targetType targetOrgId transferKind status decision } "
        "obligations { type subject status startAt dueAt overdue } } }")
TRAIL = ("query($id: ID!) { auditTrail(clueId: $id) { eventType data actor { userId role } "
         "approvals { approverUserId } } }")


def found(api: Api, agency: str) -> tuple[str, int, datetime]:
    """A clue with a recorded finding (7 steps, the last one about 1 h 25 min ago)."""
    start = datetime.now(CST).replace(microsecond=0) - timedelta(hours=2)
    s = story(api.ledger, start, agency, steps=7)
    return str(s.clue), s.steps[-1]["version"], start + timedelta(minutes=40)


def material(kind: str, name: str) -> dict[str, Any]:
    return {"material_type": kind, "doc": doc(name)}


def test_scenario_2_transfer_to_discipline_inspection(demo_api: tuple[Api, dict[str, Any]]) -> None:
    api, _ = demo_api
    clue, v, t0 = found(api, "A02")
    at = iter(t0 + timedelta(minutes=3 * i) for i in range(1, 30))
    transfer = str(uuid4())
    v = run(api, "proposeTransfer", {"transfer_id": transfer, "target_type": "discipline_inspection",
                                     "target_org_id": "hq-jwjw", "transfer_kind": "official_misconduct",
                                     "report_doc": doc("关于移送问题线索的请示"),
                                     "materials": [material("transfer_letter", "问题线索移送函"),
                                                   material("clue_materials", "问题线索材料")]},
            meta(next(at), v, clue))["version"]

    refused = send(api, "approveTransfer", {"transfer_id": transfer}, meta(next(at), v, clue, approvers=(SUP2,)),
                   who=SUPERVISOR)
    assert code_of(refused) == "TRANSFER_MISSING_MATERIALS" and "finding_report" in refused["errors"][0]["message"]
    assert api.ledger.load(UUID(clue)).version == v  # a refusal records nothing

    v = run(api, "attachTransferMaterials", {"transfer_id": transfer,
                                             "materials": [material("finding_report", "核查认定报告")]},
            meta(next(at), v, clue))["version"]
    approved = run(api, "approveTransfer", {"transfer_id": transfer}, meta(next(at), v, clue, approvers=(SUP2,)),
                   who=SUPERVISOR)
    assert approved["eventType"] == "TransferApproved"
    summary = "A02执法人员涉嫌违纪,移送审查处理"
    sent = run(api, "sendTransfer", {"transfer_id": transfer, "sent_via": "official_letter",
                                     "transfer_letter": doc("问题线索移送函(正式)", "汉司监移〔2099〕9号"),
                                     "partner_summary": summary}, meta(next(at), approved["version"], clue))
    assert [e["eventType"] for e in sent["events"]] == ["PartnerShareGranted", "TransferSent"]
    v = run(api, "acknowledgeTransfer", {"transfer_id": transfer, "receipt": doc("纪委监委签收回执")},
            meta(next(at), sent["version"], clue))["version"]
    v = run(api, "receiveTransferDecision", {"transfer_id": transfer, "decision": "preliminary_verification",
                                             "decision_doc": doc("问题线索处置情况告知书")},
            meta(next(at), v, clue))["version"]
    api.catch_up()

    staff = api.data(CLUE, {"id": clue})["clue"]
    assert [(t["id"], t["targetOrgId"], t["status"], t["decision"]) for t in staff["transfers"]] == [
        (transfer, "hq-jwjw", "decided", "preliminary_verification")]

    shared = api.data(CLUE, {"id": clue}, **PARTNER)["clue"]
    assert shared["summary"] == summary and shared["reporter"] is None and shared["lead"] is None
    listed = {c["id"] for c in api.data("{ clues { nodes { id } } }", **PARTNER)["clues"]["nodes"]}
    assert clue in listed
    trail = api.data(TRAIL, {"id": clue}, **PARTNER)["auditTrail"]
    kinds = [e["eventType"] for e in trail]
    assert kinds[kinds.index("PartnerShareGranted"):] == [
        "PartnerShareGranted", "TransferSent", "TransferAcknowledged", "TransferDecisionReceived"]
    assert "ClueReceived" not in kinds
    assert all(e["actor"]["userId"].startswith("psn_") for e in trail)
    text = json.dumps([shared, trail], ensure_ascii=False)
    for secret in ("pt_", "reporter_token", "contactable", "u-staff-1", SUP1, SUP2, "dms://"):
        assert secret not in text, secret


def test_scenario_8_suspected_crime_transfer_to_police(demo_api: tuple[Api, dict[str, Any]]) -> None:
    api, _ = demo_api
    clue, v, t0 = found(api, "A02")
    at = iter(t0 + timedelta(minutes=3 * i) for i in range(1, 30))
    transfer = str(uuid4())
    proposed_at = next(at)
    v = run(api, "proposeTransfer", {"transfer_id": transfer, "target_type": "public_security",
                                     "target_org_id": "A11", "transfer_kind": "suspected_crime",
                                     "report_doc": doc("关于移送涉嫌犯罪案件的请示"),
                                     "materials": [material("transfer_letter", "涉嫌犯罪案件移送书"),
                                                   material("investigation_report", "涉嫌犯罪案件调查报告"),
                                                   material("seized_items_list", "涉案物品清单")]},
            meta(proposed_at, v, clue))["version"]
    assert code_of(send(api, "approveTransfer", {"transfer_id": transfer},
                        meta(next(at), v, clue, approvers=(SUP2,)), who=SUPERVISOR)) == "TRANSFER_MISSING_MATERIALS"
    api.catch_up()
    pending = api.data(CLUE, {"id": clue})["clue"]["obligations"]
    approval = next(o for o in pending if o["type"] == "transfer_approval")
    assert approval["status"] == "open" and approval["subject"] == transfer
    assert datetime.fromisoformat(approval["dueAt"]).date() >= proposed_at.date() + timedelta(days=3)

    v = run(api, "attachTransferMaterials", {"transfer_id": transfer, "materials": [
        material("inspection_appraisal", "检验鉴定结论"),
        {"material_type": "other_crime_materials", "not_applicable_reason": "无其他涉嫌犯罪材料"}]},
        meta(next(at), v, clue))["version"]
    approved_at = next(at)
    v = run(api, "approveTransfer", {"transfer_id": transfer}, meta(approved_at, v, clue, approvers=(SUP2,)),
            who=SUPERVISOR)["version"]
    api.catch_up()
    sending = next(o for o in api.data(CLUE, {"id": clue})["clue"]["obligations"] if o["type"] == "transfer_sending")
    assert datetime.fromisoformat(sending["dueAt"]) == approved_at + timedelta(hours=24)
    assert sending["status"] == "open" and not sending["overdue"]
    at25 = (approved_at + timedelta(hours=25)).isoformat()
    late = api.data("query($at: String!) { overdue(asOf: $at) { type streamId } }", {"at": at25})["overdue"]
    assert {"type": "transfer_sending", "streamId": clue} in late

    sent = run(api, "sendTransfer", {"transfer_id": transfer, "sent_via": "official_letter",
                                     "transfer_letter": doc("涉嫌犯罪案件移送书(正式)", "汉司监移〔2099〕8号")},
               meta(next(at), v, clue))
    assert sent["eventType"] == "TransferSent"
    v = run(api, "acknowledgeTransfer", {"transfer_id": transfer, "receipt": doc("公安机关接收回执")},
            meta(next(at), sent["version"], clue))["version"]
    decided_at = next(at)
    v = run(api, "receiveTransferDecision", {"transfer_id": transfer, "decision": "not_filed",
                                             "decision_doc": doc("不予立案通知书")}, meta(decided_at, v, clue))["version"]
    api.catch_up()
    contest = next(o for o in api.data(CLUE, {"id": clue})["clue"]["obligations"] if o["type"] == "contest_filing")
    assert contest["status"] == "open"
    assert datetime.fromisoformat(contest["dueAt"]).date() >= decided_at.date() + timedelta(days=3)

    contested = run(api, "contestTransferDecision", {"transfer_id": transfer, "route": "police_reconsideration"},
                    meta(next(at), v, clue, approvers=(SUP1,)))
    assert contested["eventType"] == "TransferDecisionContested"
    api.catch_up()
    after = api.data(CLUE, {"id": clue})["clue"]
    assert [(t["targetType"], t["targetOrgId"], t["transferKind"], t["decision"]) for t in after["transfers"]] == [
        ("public_security", "A11", "suspected_crime", "not_filed")]
    assert next(o for o in after["obligations"] if o["type"] == "contest_filing")["status"] != "open"
    trail = [e["eventType"] for e in api.data(TRAIL, {"id": clue}, role="auditor")["auditTrail"]]
    assert trail[-6:] == ["TransferApproved", "PartnerShareGranted", "TransferSent", "TransferAcknowledged",
                          "TransferDecisionReceived", "TransferDecisionContested"] or \
        trail[-5:] == ["TransferApproved", "TransferSent", "TransferAcknowledged", "TransferDecisionReceived",
                       "TransferDecisionContested"]
