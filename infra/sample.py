"""A sample clue (12345 hotline, rough enforcement) from receipt to closure, for the README's first run."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from infra.ledger import Ledger
from infra.script import Script

STAFF = {"user_id": "u-staff-1", "role": "supervision_staff", "org_id": "HQ"}
SUPERVISOR = {"user_id": "u-sup-1", "role": "supervisor", "org_id": "HQ"}
SUPERVISOR2 = {"user_id": "u-sup-2", "role": "supervisor", "org_id": "HQ"}
LIAISON = {"user_id": "u-liaison-a02", "role": "agency_liaison", "org_id": "A02"}
CST = timezone(timedelta(hours=8))


def doc(name: str, number: str | None = None) -> dict[str, Any]:
    ref = {"doc_id": hashlib.md5(name.encode()).hexdigest()[:16], "name": name, "doc_type": "document",
           "content_hash": hashlib.sha256(name.encode()).hexdigest(), "size_bytes": 2048, "mime": "application/pdf",
           "storage_ref": f"dms://sample/{hashlib.md5(name.encode()).hexdigest()[:8]}", "sensitivity": "S1"}
    return {**ref, "doc_number": number} if number else ref


def record_sample_clue(ledger: Ledger, start: datetime | None = None, doc_number: str | None = None) -> UUID:
    start = start or datetime.now(CST).replace(microsecond=0) - timedelta(hours=3)
    tag = start.strftime("%Y%m%d%H%M%S")
    s = Script(ledger, f"sample:{tag}")
    step = iter(range(1, 100))

    def at() -> datetime:
        return start + timedelta(minutes=5 * next(step))

    def uid(name: str) -> str:
        return str(uuid5(NAMESPACE_URL, f"sample:{tag}:{name}"))

    clue = UUID(uid("clue"))
    s.run("receiveClue", {"channel": "hotline_12345", "summary": "市民反映城管执法人员在夜市摆摊整治中态度粗暴、暴力收缴商品",
                          "subject_agency_ids": ["A02"], "reporter": {"kind": "named", "contactable": True,
                          "reporter_token": "pt_" + "a" * 26}}, at=at(), actor=STAFF, stream=clue)
    s.run("registerClue", {}, at=at(), actor=STAFF, stream=clue)
    s.run("acknowledgeReceipt", {"method": "platform", "recipient": "hotline_platform"}, at=at(), actor=STAFF,
          stream=clue)
    s.run("screenClue", {"outcome": "valid", "reason_code": "other", "reason": "反映具体执法行为,属监督范围"}, at=at(),
          actor=STAFF, stream=clue)
    s.run("openSupervisionCase", {"case_kind": "individual", "lead_user_id": STAFF["user_id"]}, at=at(), actor=STAFF,
          stream=clue, approvers=[SUPERVISOR])
    s.run("startVerification", {"methods": ["document_review", "site_visit"], "team_user_ids": ["u-staff-1"]},
          at=at(), actor=STAFF, stream=clue)
    s.run("recordFinding", {"finding_id": uid("finding"), "conclusion": "substantiated", "problem_categories": ["rough"],
                            "responsible_agency_ids": ["A02"], "summary": "执法过程简单粗暴,未依法出示证件"},
          at=at(), actor=STAFF, stream=clue, approvers=[SUPERVISOR])
    notice = uid("notice")
    number = doc_number or f"汉司监整〔{start.year}〕{tag[-6:]}号"
    s.run("issueNotice", {"notice_id": notice, "notice_type": "rectification_notice",
                          "doc_number": number, "recipient_org_id": "A02",
                          "requirements": "立即纠正粗暴执法行为,30日内书面报告整改情况",
                          "document": doc("行政执法监督整改通知书", number)},
          at=at(), actor=STAFF, stream=clue, approvers=[SUPERVISOR])
    s.run("serveNotice", {"notice_id": notice, "method": "direct", "service_receipt": doc("送达回证")}, at=at(),
          actor=STAFF, stream=clue)
    s.run("reportRectification", {"notice_id": notice, "report": doc("整改报告"), "completion": "complete",
                                  "measures": "开展执法规范化培训,涉事人员调离执法岗位"}, at=at(), actor=LIAISON, stream=clue)
    s.run("verifyRectification", {"notice_id": notice, "result": "accepted", "method": "site_check",
                                  "reasons": "现场核验整改到位"}, at=at(), actor=STAFF, stream=clue, approvers=[SUPERVISOR])
    s.run("closeClue", {"closure_type": "rectified", "closure_reason": "整改到位,予以办结",
                        "closure_report": doc("办结报告")}, at=at(), actor=STAFF, stream=clue, approvers=[SUPERVISOR2])
    s.run("sendReporterFeedback", {"feedback_kind": "result", "recipient": "hotline_platform", "method": "platform",
                                   "delivery": "delivered", "satisfaction": "satisfied"}, at=at(), actor=STAFF,
          stream=clue)
    return clue
