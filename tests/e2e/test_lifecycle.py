"""A clue from receiveClue to closeClue through the mutations (SQLite and PostgreSQL): expected
versions, idempotency keys, and the refusals a client meets on the way, each with its code."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from tests.e2e.commands import LIAISON_A02, RECEIVE, SUP1, SUP2, doc, meta, run, send
from tests.e2e.conftest import Api, moments

CLUE = "query($id: ID!) { clue(id: $id) { status version clueNo caseNo closureType overdue notices { status } } }"


def code(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    return body["errors"][0]["extensions"]["code"]


def test_clue_from_receipt_to_closure(backend_api: Api) -> None:
    api, at = backend_api, iter(moments(20))
    received = run(api, "receiveClue", RECEIVE, meta(next(at), 0))
    clue = received["streamId"]
    assert (received["version"], received["eventType"], received["repeated"]) == (1, "ClueReceived", False)

    t, key = next(at), str(uuid4())
    first = run(api, "registerClue", {}, meta(t, 1, clue, key))
    again = run(api, "registerClue", {}, meta(t, 1, clue, key))  # a retried request: the original result
    assert again["eventId"] == first["eventId"] and again["repeated"] is True and first["repeated"] is False
    assert code(send(api, "screenClue", {"outcome": "valid", "reason_code": "other", "reason": "属监督范围"},
                     meta(next(at), 1, clue))) == "STALE_VERSION"
    assert code(send(api, "registerClue", {}, meta(next(at), 2, clue))) == "INVALID_TRANSITION"
    assert code(send(api, "openSupervisionCase", {"case_kind": "individual", "lead_user_id": "u-staff-1"},
                     meta(next(at), 2, clue, approvers=(SUP1,)))) == "INVALID_TRANSITION"

    t, key = next(at), str(uuid4())
    v = run(api, "acknowledgeReceipt", {"method": "platform", "recipient": "hotline_platform"},
            meta(t, 2, clue, key))["version"]
    assert code(send(api, "acknowledgeReceipt", {"method": "sms", "recipient": "hotline_platform"},
                     meta(t, 2, clue, key))) == "DUPLICATE_IDEMPOTENCY_KEY"
    v = run(api, "screenClue", {"outcome": "valid", "reason_code": "other", "reason": "属监督范围"},
            meta(next(at), v, clue))["version"]
    assert code(send(api, "openSupervisionCase", {"case_kind": "individual", "lead_user_id": "u-staff-1"},
                     meta(next(at), v, clue))) == "APPROVAL_REQUIRED"
    v = run(api, "openSupervisionCase", {"case_kind": "individual", "lead_user_id": "u-staff-1"},
            meta(next(at), v, clue, approvers=(SUP1,)))["version"]
    v = run(api, "startVerification", {"methods": ["site_visit"], "team_user_ids": ["u-staff-1"]},
            meta(next(at), v, clue))["version"]
    v = run(api, "recordFinding", {"finding_id": str(uuid4()), "conclusion": "substantiated",
                                   "problem_categories": ["rough"], "responsible_agency_ids": ["A02"],
                                   "summary": "执法简单粗暴"}, meta(next(at), v, clue, approvers=(SUP1,)))["version"]
    notice, number = str(uuid4()), f"汉司监整〔2099〕{uuid4().hex[:6]}号"
    v = run(api, "issueNotice", {"notice_id": notice, "notice_type": "rectification_notice", "doc_number": number,
                                 "recipient_org_id": "A02", "requirements": "立即纠正",
                                 "document": doc("整改通知书 " + number, number)},
            meta(next(at), v, clue, approvers=(SUP1,)))["version"]
    v = run(api, "serveNotice", {"notice_id": notice, "method": "direct", "service_receipt": doc("送达回证")},
            meta(next(at), v, clue))["version"]
    api.catch_up()
    assert api.data(CLUE, {"id": clue})["clue"]["status"] == "rectifying"
    v = run(api, "reportRectification", {"notice_id": notice, "report": doc("整改报告"), "completion": "complete",
                                         "measures": "培训"}, meta(next(at), v, clue), who=LIAISON_A02)["version"]
    v = run(api, "verifyRectification", {"notice_id": notice, "result": "accepted", "method": "site_check",
                                         "reasons": "整改到位"}, meta(next(at), v, clue, approvers=(SUP1,)))["version"]
    assert code(send(api, "closeClue", {"closure_type": "rectified", "closure_reason": "整改到位",
                                        "closure_report": doc("办结报告")}, meta(next(at), v, clue),
                     who=("auditor", "u-aud", "HQ"))) == "NOT_AUTHORIZED"
    closed = run(api, "closeClue", {"closure_type": "rectified", "closure_reason": "整改到位",
                                    "closure_report": doc("办结报告")}, meta(next(at), v, clue, approvers=(SUP2,)))
    assert closed["eventType"] == "ClueClosed" and closed["position"] > received["position"]

    api.catch_up()
    final = api.data(CLUE, {"id": clue})["clue"]
    assert (final["status"], final["closureType"], final["version"]) == ("closed", "rectified", closed["version"])
    assert final["clueNo"].startswith("HQ-JD-") and final["caseNo"].startswith("HQ-LA-")
    assert final["notices"] == [{"status": "closed_rectified"}]
    listed = api.data("{ clues(first: 5) { nodes { id status version } } }")["clues"]["nodes"]
    assert {"id": clue, "status": "closed", "version": closed["version"]} in listed
