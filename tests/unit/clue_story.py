"""A reusable builder for pure-domain Clue tests: a clue, a business clock and one method per step.

``walk(status)`` returns a ``Story`` whose clue is in any §5.1 status (received … reopened) with a
clean state (no stray open notices, transfers or interviews beyond what the status needs).
``story.refuse(Error, event, data)`` asserts the exact code and that nothing was recorded.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import count
from typing import Any
from uuid import uuid4

import pytest

from domain import errors
from domain.catalogue import load_all
from domain.clue import Clue
from domain.values import Actor
from tests.builders import CST, STAFF2, SUPERVISOR, SUPERVISOR2, at, cmd, doc

HANDLERS = {s.event: s.handler for s in load_all().values() if s.aggregate == "Clue"}
SCHEDULER = Actor(user_id="system_scheduler", role="system_scheduler", org_id="HQ")
LIAISON = Actor(user_id="u-liaison-a03", role="agency_liaison", org_id="A03")
TOKEN = "pt_" + "a" * 26
STATUSES = ("received", "registered", "screened_valid", "screened_out", "case_opened", "under_verification",
            "rectifying", "transferred", "suspended", "closed", "reopened")
_numbers = count(1)

DISCIPLINE_MATERIALS = ("transfer_letter", "clue_materials", "finding_report")
CRIME_MATERIALS = ("transfer_letter", "investigation_report", "seized_items_list", "inspection_appraisal",
                   "other_crime_materials")


def material(kind: str, not_applicable: str | None = None) -> dict[str, Any]:
    if not_applicable:
        return {"material_type": kind, "not_applicable_reason": not_applicable}
    return {"material_type": kind, "doc": doc(kind)}


def snapshot(clue: Clue) -> dict[str, Any]:
    """Everything of the aggregate's state except its pending events."""
    return copy.deepcopy({k: v for k, v in vars(clue).items() if k != "_pending_events"})


class Story:
    def __init__(self, start: str = "2024-03-04 09:00", *, channel: str = "online_platform",
                 agencies: tuple[str, ...] = ("A03",), contactable: bool = True, kind: str = "named",
                 step: timedelta = timedelta(hours=1)) -> None:
        self.now, self.step = at(start), step
        self.agency = agencies[0] if agencies else "A03"
        self.names: dict[str, str] = {}
        self.events: list[Any] = []
        self.clue_no = f"HQ-JD-2024-{next(_numbers):04d}"
        reporter = {"kind": kind, "contactable": contactable}
        if kind != "anonymous":
            reporter["reporter_token"] = TOKEN
        data = {"channel": channel, "summary": "执法人员态度粗暴,强行收缴摊贩商品",
                "subject_agency_ids": list(agencies), "reporter": reporter}
        self.clue: Clue = Clue.receive(cmd("ClueReceived", data, self.tick()), uuid4())
        self.flush()

    # -- machinery -------------------------------------------------------------------------------------------
    def id(self, name: str) -> str:
        return self.names.setdefault(name, str(uuid4()))

    def tick(self, when: str | None = None) -> str:
        self.now = at(when) if when else self.now + self.step
        return self.now.isoformat(timespec="seconds").replace("+08:00", "")

    def command(self, event: str, data: dict[str, Any], *, when: str | None = None, **kw: Any) -> Any:
        return cmd(event, data, self.tick(when), **kw)

    def do(self, event: str, data: dict[str, Any], *, when: str | None = None, **kw: Any) -> Any:
        c = self.command(event, data, when=when, **kw)
        getattr(self.clue, HANDLERS[event])(c)
        self.flush()
        return c

    def flush(self) -> list[Any]:
        new = self.clue.collect_events()
        self.events += new
        return new

    def refuse(self, error: type[errors.LedgerError], event: str, data: dict[str, Any], *,
               when: str | None = None, **kw: Any) -> errors.LedgerError:
        """``event`` is refused with exactly ``error``; version, status and state stay as they were."""
        return self.expect(error, lambda: self.do(event, data, when=when, **kw))

    def expect(self, error: type[errors.LedgerError], action: Callable[[], Any]) -> errors.LedgerError:
        """``action`` (a step of this story) raises exactly ``error`` and records nothing."""
        self.flush()
        version, status, state = self.clue.version, self.clue.status, snapshot(self.clue)
        clock = self.now
        with pytest.raises(errors.LedgerError) as info:
            action()
        self.now = clock
        assert info.value.code == error.code, f"expected {error.code}, got {info.value}"
        assert type(info.value) is error
        assert self.clue.collect_events() == []
        assert (self.clue.version, self.clue.status) == (version, status)
        assert snapshot(self.clue) == state
        return info.value

    def last(self, event_type: str) -> Any:
        return [e for e in self.events if type(e).__name__ == event_type][-1]

    def obligation(self, ob_type: str, subject: str | None = None) -> dict[str, Any]:
        found = [ob for ob in self.clue.obligations.values()
                 if ob["type"] == ob_type and (subject is None or ob["subject"] == subject)]
        assert found, f"no {ob_type} obligation"
        return found[-1]

    # -- intake ----------------------------------------------------------------------------------------------
    def register(self, **kw: Any) -> Story:
        self.do("ClueRegistered", {"clue_no": self.clue_no}, **kw)
        return self

    def screen(self, outcome: str = "valid", **kw: Any) -> Story:
        data = {"outcome": outcome, "reason_code": "other" if outcome == "valid" else "no_substantive_content",
                "reason": "反映具体执法行为,属于监督范围" if outcome == "valid" else "无实质内容"}
        self.do("ClueScreened", data, approved=outcome != "valid", **kw)
        return self

    def open_case(self, lead: str = STAFF2.user_id, **kw: Any) -> Story:
        kw.setdefault("approved", True)
        self.do("SupervisionCaseOpened", {"case_no": self.clue_no.replace("JD", "LA"), "case_kind": "individual",
                                          "lead_user_id": lead}, **kw)
        return self

    def start_verification(self, **kw: Any) -> Story:
        self.do("VerificationStarted", {"methods": ["document_review", "site_visit"], "team_user_ids": ["u-staff-1"]},
                **kw)
        return self

    def finding(self, conclusion: str = "substantiated", **kw: Any) -> Story:
        kw.setdefault("approved", True)
        data = {"finding_id": self.id("finding"), "conclusion": conclusion, "responsible_agency_ids": [self.agency],
                "summary": "执法过程简单粗暴,未依法出示执法证件"}
        if conclusion != "unsubstantiated":
            data["problem_categories"] = ["rough"]
        self.do("FindingRecorded", data, **kw)
        return self

    # -- notices ---------------------------------------------------------------------------------------------
    def notice_data(self, name: str = "n1", notice_type: str = "rectification_notice") -> dict[str, Any]:
        number = f"汉司监整〔2024〕{next(_numbers)}号"
        return {"notice_id": self.id(name), "notice_type": notice_type, "doc_number": number,
                "recipient_org_id": self.agency, "requirements": "立即纠正,书面报告整改情况",
                "document": doc("整改通知书", number)}

    def issue(self, name: str = "n1", notice_type: str = "rectification_notice", **kw: Any) -> str:
        kw.setdefault("approved", True)
        self.do("RectificationNoticeIssued", self.notice_data(name, notice_type), **kw)
        return self.id(name)

    def serve(self, name: str = "n1", **kw: Any) -> Story:
        self.do("NoticeServed", {"notice_id": self.id(name), "method": "direct",
                                 "service_receipt": doc("送达回证")}, **kw)
        return self

    def report(self, name: str = "n1", **kw: Any) -> Story:
        self.do("RectificationReported", {"notice_id": self.id(name), "report": doc("整改报告"),
                                          "completion": "complete", "measures": "开展执法规范化培训"}, **kw)
        return self

    def verify_rectification(self, name: str = "n1", result: str = "accepted", **kw: Any) -> Story:
        kw.setdefault("approved", result == "accepted")
        self.do("RectificationVerified", {"notice_id": self.id(name), "result": result, "method": "site_check",
                                          "reasons": "现场核验"}, **kw)
        return self

    def rectify(self, name: str = "n1") -> Story:
        """A notice from issue to closed_rectified."""
        self.issue(name)
        return self.serve(name).report(name).verify_rectification(name)

    # -- transfers ---------------------------------------------------------------------------------------------
    def propose(self, name: str = "t1", *, kind: str = "official_misconduct", target: str = "discipline_inspection",
                materials: list[dict[str, Any]] | None = None, **kw: Any) -> str:
        if materials is None:
            wanted = CRIME_MATERIALS if kind == "suspected_crime" else DISCIPLINE_MATERIALS
            materials = [material(m) for m in wanted]
        org = {"discipline_inspection": "hq-jwjw", "public_security": "A11"}.get(target, "hq-jcy")
        self.do("TransferProposed", {"transfer_id": self.id(name), "target_type": target, "target_org_id": org,
                                     "transfer_kind": kind, "materials": materials,
                                     "report_doc": doc("书面报告")}, **kw)
        return self.id(name)

    def approve_transfer(self, name: str = "t1", **kw: Any) -> Story:
        kw.setdefault("actor", SUPERVISOR)
        kw.setdefault("approved", SUPERVISOR2)
        self.do("TransferApproved", {"transfer_id": self.id(name)}, **kw)
        return self

    def send(self, name: str = "t1", **kw: Any) -> Story:
        self.do("TransferSent", {"transfer_id": self.id(name), "sent_via": "official_letter",
                                 "transfer_letter": doc("移送函", "汉司监移〔2024〕1号")}, **kw)
        return self

    def acknowledge_transfer(self, name: str = "t1", **kw: Any) -> Story:
        self.do("TransferAcknowledged", {"transfer_id": self.id(name), "receipt": doc("回执")}, **kw)
        return self

    def decide_transfer(self, name: str = "t1", decision: str = "preliminary_verification", **kw: Any) -> Story:
        self.do("TransferDecisionReceived", {"transfer_id": self.id(name), "decision": decision,
                                             "decision_doc": doc("处理决定")}, **kw)
        return self

    def transfer_outcome(self, name: str = "t1", **kw: Any) -> Story:
        self.do("TransferOutcomeReported", {"transfer_id": self.id(name), "outcome": "sanctions",
                                            "sanctions": ["admonishment_talk"], "outcome_doc": doc("处理结果"),
                                            "final": True}, **kw)
        return self

    def transfer_out(self, name: str = "t1", **kw: Any) -> Story:
        """A discipline transfer with complete materials, proposed, approved and sent."""
        self.propose(name, **kw)
        return self.approve_transfer(name).send(name)

    # -- interviews, accountability ------------------------------------------------------------------------------
    def schedule_interview(self, name: str = "i1", **kw: Any) -> Story:
        kw.setdefault("approved", True)
        self.do("InterviewScheduled", {
            "interview_id": self.id(name), "interview_type": "admonitory", "interviewee_org_id": self.agency,
            "interviewee_position": "主要负责人", "interviewer": {"position": "分管副市长", "org_id": "GOV"},
            "scheduled_at": (self.now + timedelta(days=2)).isoformat(), "location": "市政府会议室",
            "notice_doc": doc("约谈通知")}, **kw)
        return self

    def hold_interview(self, name: str = "i1", commitments: tuple[str, ...] = (), **kw: Any) -> Story:
        people = [{"position": "分管副市长", "org_id": "GOV", "role": "interviewer"},
                  {"position": "主要负责人", "org_id": self.agency, "role": "interviewee"}]
        due = (self.now + timedelta(days=20)).date().isoformat()
        self.do("InterviewHeld", {"interview_id": self.id(name), "participants": people,
                                  "minutes_hash": hashlib.sha256(b"minutes").hexdigest(),
                                  "commitments": [{"commitment_id": self.id(c), "text": "一个月内完成整改",
                                                   "due_date": due} for c in commitments]}, **kw)
        return self

    def fulfil(self, interview: str, commitment: str, **kw: Any) -> Story:
        self.do("CommitmentFulfilled", {"interview_id": self.id(interview), "commitment_id": self.id(commitment),
                                        "evidence": doc("履行材料")}, **kw)
        return self

    def refer_accountability(self, name: str = "a1", via: str = "t1", **kw: Any) -> Story:
        kw.setdefault("approved", True)
        self.do("AccountabilityReferred", {"accountability_id": self.id(name), "target_org_id": self.agency,
                                           "recommended": ["admonishment_talk"], "via_transfer_id": self.id(via)}, **kw)
        return self

    def decide_accountability(self, name: str = "a1", **kw: Any) -> Story:
        self.do("AccountabilityDecided", {"accountability_id": self.id(name), "decided_by_org_id": "hq-jwjw",
                                          "measures": ["admonishment_talk"], "decision_doc": doc("问责决定")}, **kw)
        return self

    # -- suspension, closure, reopening -----------------------------------------------------------------------
    def suspend(self, **kw: Any) -> Story:
        kw.setdefault("approved", True)
        self.do("ClueSuspended", {"reason_code": "awaiting_litigation"}, **kw)
        return self

    def resume(self, **kw: Any) -> Story:
        self.do("ClueResumed", {"reason": "相关诉讼已审结"}, **kw)
        return self

    def close_data(self, closure_type: str = "other") -> dict[str, Any]:
        return {"closure_type": closure_type, "closure_reason": "办结", "closure_report": doc("办结报告")}

    def close(self, closure_type: str = "other", **kw: Any) -> Story:
        kw.setdefault("approved", True)
        self.do("ClueClosed", self.close_data(closure_type), **kw)
        return self

    def reopen(self, **kw: Any) -> Story:
        kw.setdefault("approved", True)
        self.do("ClueReopened", {"reason_code": "new_evidence"}, **kw)
        return self


def walk(status: str, **kw: Any) -> Story:
    """A story whose clue is in ``status`` (one of §5.1's), reached by the shortest ordinary path."""
    s = Story(**kw)
    if status == "received":
        return s
    s.register()
    if status == "registered":
        return s
    if status == "screened_out":
        return s.screen("invalid")
    s.screen()
    if status == "screened_valid":
        return s
    s.open_case()
    if status == "case_opened":
        return s
    s.start_verification()
    if status == "under_verification":
        return s
    if status == "suspended":
        return s.suspend()
    if status in ("closed", "reopened"):
        s.finding("unsubstantiated").close("unfounded")
        return s.reopen() if status == "reopened" else s
    s.finding()
    if status == "rectifying":
        s.issue()
        return s
    if status == "transferred":
        return s.transfer_out()
    raise ValueError(status)


def assert_at(value: str, expected: str) -> None:
    """ISO datetimes compare as instants."""
    assert datetime.fromisoformat(value) == datetime.fromisoformat(expected).astimezone(CST)
