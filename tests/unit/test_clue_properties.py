"""Property tests of the Clue aggregate: random command sequences from any starting status.

Every command either succeeds or raises a ``LedgerError``; a refusal leaves the clue unchanged; the
displayed status is always one of §5.1's; a closed clue has no open notice and (unless
transferred_closed) no unsettled transfer; replaying the events gives the same status, version and
obligations.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import errors
from domain.base import value_hash
from domain.values import Actor
from tests.builders import SUPERVISOR, SUPERVISOR2, doc
from tests.unit.clue_story import CRIME_MATERIALS, SCHEDULER, STATUSES, TOKEN, Story, material, snapshot, walk

OPEN_NOTICE = ("issued", "served", "reported", "re_rectifying")
SETTLED_TRANSFER = ("rejected", "completed")
STAFF3 = Actor(user_id="u-staff-3", role="supervision_staff", org_id="HQ")
Draw = Callable[[st.SearchStrategy[Any]], Any]
Move = tuple[str, dict[str, Any], dict[str, Any]]


def one(d: Draw, *options: Any) -> Any:
    return d(st.sampled_from(options))


_ID = st.integers(1, 2)


def name(s: Story, d: Draw, prefix: str) -> str:
    return s.id(f"{prefix}{d(_ID)}")


def obligation_id(s: Story, d: Draw) -> str:
    ids = [*s.clue.obligations, str(uuid4())]
    return one(d, *ids)


def target_event(s: Story, d: Draw) -> tuple[str, dict[str, Any]]:
    eid = one(d, *s.clue.index)
    return eid, s.clue.index[eid]["data"]


def notice_move(event: str) -> Callable[[Story, Draw], Move]:
    def build(s: Story, d: Draw) -> Move:
        n = name(s, d, "n")
        data: dict[str, Any] = {"notice_id": n}
        kw: dict[str, Any] = {}
        if event == "NoticeServed":
            data.update(method="direct", service_receipt=doc())
        elif event == "RectificationReported":
            data.update(report=doc(), completion=one(d, "complete", "partial"), measures="整改措施")
        elif event == "RectificationVerified":
            result = one(d, "accepted", "rejected")
            data.update(result=result, method="site_check", reasons="核验")
            kw["approved"] = result == "accepted"
        elif event == "NoticeWithdrawn":
            data.update(reason="文书有误")
            kw["approved"] = True
        elif event == "NoticeEscalated":
            data.update(level=d(st.integers(1, 3)), escalation_type=one(d, "interview", "listed_supervision"),
                        reason="逾期")
            kw["approved"] = True
        return event, data, kw
    return build


def transfer_move(event: str) -> Callable[[Story, Draw], Move]:
    def build(s: Story, d: Draw) -> Move:
        t = name(s, d, "t")
        data: dict[str, Any] = {"transfer_id": t}
        kw: dict[str, Any] = {}
        if event in ("TransferApproved", "TransferRejected"):
            kw["actor"] = SUPERVISOR
            kw["approved"] = one(d, *[SUPERVISOR2] * 5, SUPERVISOR)
            if event == "TransferRejected":
                data["reason"] = "不予移送"
        elif event == "TransferMaterialsAttached":
            data["materials"] = [material(one(d, *CRIME_MATERIALS, "clue_materials", "finding_report"))]
        elif event == "TransferSent":
            data.update(sent_via="platform", transfer_letter=doc())
        elif event == "TransferAcknowledged":
            data["receipt"] = doc()
        elif event == "TransferForwarded":
            data.update(forwarded_to_org_id="A99", notice=doc())
        elif event == "TransferDecisionReceived":
            data.update(decision=one(d, "case_filed", "not_filed", "preliminary_verification", "returned"),
                        decision_doc=doc())
        elif event == "TransferDecisionContested":
            data["route"] = "police_reconsideration"
            kw["approved"] = True
        elif event == "TransferOutcomeReported":
            data.update(outcome="no_violation", outcome_doc=doc(), final=d(st.booleans()))
        return event, data, kw
    return build


def propose(s: Story, d: Draw) -> Move:
    crime = d(st.booleans())
    wanted = CRIME_MATERIALS if crime else ("transfer_letter", "clue_materials", "finding_report")
    kept = [material(m) for m in wanted if d(st.integers(0, 12))]  # sometimes a material is missing
    return "TransferProposed", {"transfer_id": name(s, d, "t"), "transfer_kind": "suspected_crime" if crime else
                                "official_misconduct", "target_type": "public_security" if crime else
                                "discipline_inspection", "target_org_id": "A11" if crime else "hq-jwjw",
                                "materials": kept, "report_doc": doc()}, {}


def interview(event: str) -> Callable[[Story, Draw], Move]:
    def build(s: Story, d: Draw) -> Move:
        i = name(s, d, "i")
        if event == "InterviewScheduled":
            return event, {"interview_id": i, "interview_type": "admonitory", "interviewee_org_id": "A03",
                           "interviewee_position": "局长", "interviewer": {"position": "副市长", "org_id": "GOV"},
                           "scheduled_at": (s.now + timedelta(days=3)).isoformat(), "location": "会议室",
                           "notice_doc": doc()}, {"approved": True}
        if event == "InterviewCancelled":
            return event, {"interview_id": i, "reason": "取消"}, {"approved": True}
        if event == "InterviewHeld":
            people = [{"position": p, "org_id": o, "role": r} for p, o, r in
                      (("副市长", "GOV", "interviewer"), ("局长", "A03", "interviewee"))]
            commitments = [{"commitment_id": s.id("c1"), "text": "限期整改",
                            "due_date": (s.now + timedelta(days=10)).date().isoformat()}] if d(st.booleans()) else []
            return event, {"interview_id": i, "participants": people, "commitments": commitments,
                           "minutes_hash": hashlib.sha256(b"m").hexdigest()}, {}
        return event, {"interview_id": i, "commitment_id": s.id("c1"), "evidence": doc()}, {}
    return build


def overdue(s: Story, d: Draw) -> Move:
    ob = s.clue.obligations.get(obligation_id(s, d))
    due = ob["due_at"] if ob else (s.now + timedelta(days=1)).isoformat()
    oid = ob["obligation_id"] if ob else str(uuid4())
    return "NoticeOverdue", {"notice_id": name(s, d, "n"), "obligation_id": oid, "due_at": due}, {
        "actor": SCHEDULER, "key": f"overdue:{oid}:{due}", "when": due[:19].replace("T", " "),
        "recorded": (s.now + timedelta(days=90)).isoformat(timespec="seconds")[:19]}


def extension(event: str) -> Callable[[Story, Draw], Move]:
    def build(s: Story, d: Draw) -> Move:
        data: dict[str, Any] = {"obligation_id": obligation_id(s, d)}
        period = {"length": d(st.integers(1, 40)), "unit": "calendar_day"}
        if event == "DeadlineExtensionRequested":
            return event, {**data, "requested": period, "reason": "延期"}, {}
        if event == "DeadlineExtensionGranted":
            return event, {**data, "granted": period}, {"actor": SUPERVISOR, "approved": SUPERVISOR2}
        return event, {**data, "reason": "不准"}, {"actor": SUPERVISOR, "approved": SUPERVISOR2}
    return build


def correction(s: Story, d: Draw) -> Move:
    eid, data = target_event(s, d)
    path = one(d, "summary", "description", "reason", "conclusion", "closure_type", "notice_id", "measures")
    old = data.get(path, "缺失")
    return "EventCorrected", {"target_event_id": eid, "reason": "更正", "changes": [
        {"path": path, "old_value_hash": value_hash(old), "new_value": "更正后的文字"}]}, {"approved": True}


def close(s: Story, d: Draw) -> Move:
    kind = one(d, "rectified", "unfounded", "transferred_closed", "withdrawn", "other", "merged")
    data = s.close_data(kind)
    if kind == "withdrawn" and d(st.booleans()):
        data["withdrawal_document"] = doc()
    return "ClueClosed", data, {"approved": one(d, SUPERVISOR, SUPERVISOR2)}


NEXT_TRANSFER = {"proposed": "TransferApproved", "approved": "TransferSent", "sent": "TransferAcknowledged",
                 "acknowledged": "TransferDecisionReceived", "forwarded": "TransferDecisionReceived",
                 "decided": "TransferOutcomeReported"}
NEXT_NOTICE = {"issued": "NoticeServed", "served": "RectificationReported", "reported": "RectificationVerified",
               "re_rectifying": "RectificationReported"}


def advance(kind: str) -> Callable[[Story, Draw], Move]:
    """The natural next command of the first unsettled transfer or open notice (or a new one)."""
    def build(s: Story, d: Draw) -> Move:
        table, nexts, prefix = ((s.clue.transfers, NEXT_TRANSFER, "t") if kind == "transfer"
                                else (s.clue.notices, NEXT_NOTICE, "n"))
        for i in (1, 2):
            item = table.get(s.id(f"{prefix}{i}"))
            pick: Draw = lambda strategy, i=i: i if strategy is _ID else d(strategy)  # noqa: E731
            if item is None:
                return MOVES["propose" if kind == "transfer" else "issue"](s, pick)
            if item["status"] in nexts:
                return (transfer_move if kind == "transfer" else notice_move)(nexts[item["status"]])(s, pick)
        return MOVES["evidence"](s, d)
    return build


def simple(event: str, data: Callable[[Story, Draw], dict[str, Any]], **kw: Any) -> Callable[[Story, Draw], Move]:
    return lambda s, d: (event, data(s, d), dict(kw))


MOVES: dict[str, Callable[[Story, Draw], Move]] = {
    "register": simple("ClueRegistered", lambda s, d: {"clue_no": s.clue_no}),
    "screen": lambda s, d: ("ClueScreened", *((lambda o: ({"outcome": o, "reason_code": "other", "reason": "筛查",
                                                           **({"duplicate_of_clue_id": str(uuid4())}
                                                              if o == "duplicate" else {})},
                                                          {"approved": o != "valid"}))(
        one(d, "valid", "valid", "invalid", "duplicate", "out_of_scope")))),
    "open_case": simple("SupervisionCaseOpened", lambda s, d: {"case_no": "HQ-LA-2024-0001", "case_kind": "systemic",
                                                               "lead_user_id": one(d, "u-staff-2", "u-sup-1")},
                        approved=True),
    "ack": simple("ReceiptAcknowledged", lambda s, d: {"method": "sms", "recipient": TOKEN}),
    "assign": simple("ClueAssigned", lambda s, d: {"assignment_id": name(s, d, "as"), "assignee_user_id": "u-staff-3",
                                                   "role_on_clue": "assistant"}, actor=SUPERVISOR),
    "accept": simple("AssignmentAccepted", lambda s, d: {"assignment_id": name(s, d, "as")}, actor=STAFF3),
    "decline": simple("AssignmentDeclined", lambda s, d: {"assignment_id": name(s, d, "as"),
                                                          "reason": one(d, "workload", "conflict_of_interest")},
                      actor=STAFF3),
    "verify": simple("VerificationStarted", lambda s, d: {"methods": ["hearing"], "team_user_ids": ["u-staff-1"]}),
    "evidence": simple("EvidenceRecorded", lambda s, d: {"evidence_id": name(s, d, "e"), "kind": "photo",
                                                         "documents": [doc()], "description": "照片"}),
    "finding": lambda s, d: ("FindingRecorded", *((lambda c: ({
        "finding_id": name(s, d, "f"), "conclusion": c, "summary": "认定",
        **({"problem_categories": ["rough"]} if c != "unsubstantiated" else {})}, {"approved": True}))(
        one(d, "substantiated", "partially_substantiated", "unsubstantiated")))),
    "issue": lambda s, d: ("RectificationNoticeIssued", s.notice_data(f"n{d(_ID)}", one(
        d, "rectification_notice", "supervision_suggestion", "work_tip_letter")), {"approved": True}),
    **{e: notice_move(e) for e in ("NoticeServed", "RectificationReported", "RectificationVerified",
                                   "NoticeWithdrawn", "NoticeEscalated")},
    "reminder": lambda s, d: ("ReminderIssued", {"target": one(d, s.id("n1"), s.id("t1"), obligation_id(s, d)),
                                                 "reminder_kind": "urge", "document": doc(),
                                                 "response_period": {"length": 5, "unit": "working_day"}}, {}),
    "overdue": overdue,
    **{e: extension(e) for e in ("DeadlineExtensionRequested", "DeadlineExtensionGranted",
                                 "DeadlineExtensionDenied")},
    "propose": propose,
    **{e: transfer_move(e) for e in ("TransferMaterialsAttached", "TransferApproved", "TransferRejected",
                                     "TransferSent", "TransferAcknowledged", "TransferForwarded",
                                     "TransferDecisionReceived", "TransferDecisionContested",
                                     "TransferOutcomeReported")},
    **{e: interview(e) for e in ("InterviewScheduled", "InterviewCancelled", "InterviewHeld",
                                 "CommitmentFulfilled")},
    "refer": simple("AccountabilityReferred", lambda s, d: {"accountability_id": s.id("a1"), "target_org_id": "A03",
                                                            "recommended": ["warning"],
                                                            "via_transfer_id": name(s, d, "t")}, approved=True),
    "decide": simple("AccountabilityDecided", lambda s, d: {"accountability_id": s.id("a1"), "decision_doc": doc(),
                                                            "decided_by_org_id": "hq-jwjw", "measures": ["warning"]}),
    "suspend": simple("ClueSuspended", lambda s, d: {"reason_code": "other"}, approved=True),
    "resume": simple("ClueResumed", lambda s, d: {"reason": "恢复"}),
    "close": close,
    "feedback": simple("ReporterFeedbackSent", lambda s, d: {
        "feedback_kind": one(d, "result", "progress", "not_accepted_notice"), "recipient": TOKEN, "method": "sms",
        "delivery": one(d, "delivered", "failed")}),
    "objection": simple("ObjectionRecorded", lambda s, d: {"objection_id": s.id("o1"), "from_token": TOKEN,
                                                           "grounds": "不服"}),
    "resolve": simple("ObjectionResolved", lambda s, d: {"objection_id": s.id("o1"), "explanation": "复查",
                                                         "result": one(d, "upheld", "dismissed")}, approved=True),
    "reopen": simple("ClueReopened", lambda s, d: {"reason_code": "new_evidence"}, approved=True),
    "share": simple("PartnerShareGranted", lambda s, d: {"partner_org_id": "hq-jwjw", "partner_summary": "共享"},
                    approved=True),
    "unshare": simple("PartnerShareRevoked", lambda s, d: {"partner_org_id": "hq-jwjw", "reason": "结束"},
                      actor=SUPERVISOR, approved=SUPERVISOR2),
    "correct": correction,
    "next_transfer": advance("transfer"),
    "next_notice": advance("notice"),
    "void": lambda s, d: ("EventVoided", {"target_event_id": target_event(s, d)[0], "reason": "作废"},
                          {"approved": True}),
}


_NOTICE_FLOW = ("NoticeServed", "RectificationReported", "RectificationVerified", "overdue",
                "DeadlineExtensionRequested", "DeadlineExtensionGranted", "NoticeEscalated", "reminder",
                "NoticeWithdrawn")
PLAUSIBLE = {  # moves likely to succeed in each status, so that sequences reach deep states
    "received": ("register",),
    "registered": ("screen", "ack", "suspend", "merge"),
    "screened_valid": ("open_case", "next_transfer", "next_transfer", "close", "merge"),
    "case_opened": ("verify", "issue", "assign", "accept", "InterviewScheduled", "close"),
    "under_verification": ("finding", "next_notice", "next_transfer", "next_transfer", "close", "suspend",
                           "InterviewScheduled", "InterviewHeld", "CommitmentFulfilled", "refer", "decide"),
    "rectifying": (*_NOTICE_FLOW, *["next_notice"] * 6, "next_transfer", "close"),
    "transferred": (*["next_transfer"] * 4, "refer", "decide", "close", "TransferForwarded",
                    "TransferDecisionContested", "issue"),
    "suspended": ("resume", "evidence", "next_transfer", "next_notice", "close"),
    "closed": ("feedback", "objection", "resolve", "reopen", "TransferOutcomeReported", "decide"),
    "screened_out": ("feedback", "objection", "resolve", "reopen"),
    "reopened": ("verify", "finding", "next_notice", "close", "suspend"),
}


def absorb(s: Story) -> None:
    """CluesMerged with ``s`` as the absorbed clue (a fresh valid survivor)."""
    survivor = walk("screened_valid")
    survivor.clue_no = s.clue_no
    survivor.clue.clue_no = s.clue_no
    c = s.command("CluesMerged", {"survivor_clue_id": str(survivor.clue.id), "absorbed_clue_ids": [str(s.clue.id)]},
                  approved=True)
    survivor.clue.merge(c, [s.clue])
    s.flush()


def check_invariants(s: Story) -> None:
    clue = s.clue
    assert clue.status in STATUSES
    assert clue.version == len(s.events)
    if clue.status == "closed":
        assert not [n for n in clue.notices.values() if n["status"] in OPEN_NOTICE]
        if clue.closure_type != "transferred_closed":
            assert all(t["status"] in SETTLED_TRANSFER for t in clue.transfers.values())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=st.sampled_from(STATUSES), data=st.data())
def test_random_command_sequences_keep_the_clue_consistent(start: str, data: st.DataObject) -> None:
    s = walk(start)
    for _ in range(data.draw(st.integers(1, 40), label="steps")):
        likely = data.draw(st.integers(0, 9), label="bias") < 7
        move = data.draw(st.sampled_from(PLAUSIBLE[s.clue.status] if likely else [*MOVES, "merge"]), label="move")
        hours = data.draw(st.sampled_from([1, 1, 2, 24, 24 * 7, 24 * 40, -48]), label="hours")
        version, status, state, clock = s.clue.version, s.clue.status, snapshot(s.clue), s.now
        try:
            if move == "merge":
                absorb(s)
            else:
                event, payload, kw = MOVES[move](s, data.draw)
                kw.setdefault("when", (s.now + timedelta(hours=hours)).isoformat(timespec="seconds")[:19])
                s.do(event, payload, **kw)
        except errors.LedgerError:
            s.now = clock
            assert s.clue.collect_events() == [], f"{move} was refused but left pending events"
            assert (s.clue.version, s.clue.status) == (version, status)
            assert snapshot(s.clue) == state, f"{move} was refused but changed the clue"
        check_invariants(s)
    agg = None
    for e in s.events:
        agg = e.mutate(agg)
    assert (agg.status, agg.version) == (s.clue.status, s.clue.version)
    assert agg.obligations == s.clue.obligations
