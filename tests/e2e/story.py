"""Data for the read tests, recorded through the command layer (faster than over HTTP)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from infra.sample import STAFF, SUPERVISOR, doc
from infra.script import Script

RECORD_DELAY = timedelta(minutes=2)


def receive(ledger: Any, at: datetime, agency: str = "A02", summary: str = "线索摘要") -> str:
    result = ledger.execute("receiveClue", {"channel": "online_platform", "summary": summary,
                                            "subject_agency_ids": [agency],
                                            "reporter": {"kind": "anonymous", "contactable": False}},
                            {"expected_version": 0, "idempotency_key": str(uuid4()), "occurred_at": at.isoformat()},
                            STAFF)
    return result["stream_id"]


class Story(NamedTuple):
    clue: UUID
    steps: list[dict[str, Any]]  # the command layer's result of every step
    notice: str


def story(ledger: Any, start: datetime, agency: str = "A02", steps: int = 9) -> Story:
    """A clue up to a served notice to ``agency``: each event recorded 2 minutes after it occurred, 5
    minutes apart."""
    tag = f"{start.isoformat()}:{agency}:{uuid4().hex[:6]}"
    s = Script(ledger, tag, record_delay=RECORD_DELAY)
    clue = uuid5(NAMESPACE_URL, f"story:{tag}")
    notice = str(uuid5(NAMESPACE_URL, f"story:{tag}:notice"))
    number = f"汉司监整〔2099〕{uuid4().hex[:6]}号"
    plan = [
        ("receiveClue", {"channel": "hotline_12345", "summary": f"反映{agency}执法粗暴", "subject_agency_ids": [agency],
                         "reporter": {"kind": "named", "contactable": True, "reporter_token": "pt_" + "c" * 26}}, ()),
        ("registerClue", {}, ()),
        ("acknowledgeReceipt", {"method": "platform", "recipient": "hotline_platform"}, ()),
        ("screenClue", {"outcome": "valid", "reason_code": "other", "reason": "属监督范围"}, ()),
        ("openSupervisionCase", {"case_kind": "individual", "lead_user_id": "u-staff-1"}, (SUPERVISOR,)),
        ("startVerification", {"methods": ["site_visit"], "team_user_ids": ["u-staff-1"]}, ()),
        ("recordFinding", {"finding_id": str(uuid4()), "conclusion": "substantiated", "problem_categories": ["rough"],
                           "responsible_agency_ids": [agency], "summary": "执法粗暴"}, (SUPERVISOR,)),
        ("issueNotice", {"notice_id": notice, "notice_type": "rectification_notice", "doc_number": number,
                         "recipient_org_id": agency, "requirements": "立即纠正",
                         "document": doc("整改通知书", number)}, (SUPERVISOR,)),
        ("serveNotice", {"notice_id": notice, "method": "direct", "service_receipt": doc("送达回证")}, ()),
    ]
    results = []
    for i, (command, payload, approvers) in enumerate(plan[:steps]):
        results.append(s.run(command, payload, at=start + timedelta(minutes=5 * i), actor=STAFF, stream=clue,
                             approvers=list(approvers)))
    return Story(clue, results, notice)
