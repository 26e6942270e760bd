"""Clue rules of domain.md §5.2/§5.3 on the pure aggregate (no store): transitions, suspension,
four-eyes approvals, conflicts of interest, time order and corrections. Closure, notice and transfer
rules are in ``test_clue_rules_closure.py``; deadlines in ``test_clue_rules_deadlines.py``."""

from __future__ import annotations

from typing import Any

import pytest

from domain import errors
from domain.base import value_hash
from domain.values import Actor
from tests.builders import STAFF, SUPERVISOR, SUPERVISOR2, approval, doc
from tests.unit.clue_story import STATUSES, Story, walk

# §5.2, written out from the spec (not imported from domain.lifecycle)
NON_TERMINAL_BUT_RECEIVED = ("registered", "screened_valid", "case_opened", "under_verification", "rectifying",
                             "transferred", "reopened")
ALLOWED_FROM = {
    "ClueRegistered": ("received",),
    "ClueScreened": ("registered",),
    "SupervisionCaseOpened": ("screened_valid",),
    "VerificationStarted": ("case_opened", "reopened"),
    "RectificationNoticeIssued": ("case_opened", "under_verification", "rectifying", "transferred", "reopened"),
    "TransferSent": ("screened_valid", "case_opened", "under_verification", "rectifying", "reopened",
                     "suspended"),  # rule 13: transfer events go on while suspended
    "ClueSuspended": NON_TERMINAL_BUT_RECEIVED,
    "ClueResumed": ("suspended",),
    "CluesMerged": ("registered", "screened_valid", "case_opened", "under_verification"),
    "ClueClosed": ("screened_valid", "case_opened", "under_verification", "reopened"),
    "ClueReopened": ("closed", "screened_out"),
}


def expected_code(event: str, status: str) -> type[errors.LedgerError]:
    """The most specific §5.3 code for ``event`` refused in ``status``."""
    if event == "ClueReopened":
        return errors.ReopenNotClosed  # rule 19 names this very event (a suspended clue is not closed either)
    if status == "suspended":
        return errors.ClueSuspended  # rule 13
    if event == "RectificationNoticeIssued" and status in ("closed", "screened_out"):
        return errors.NoticeOnClosedClue  # rule 8
    if event == "ClueClosed" and status == "rectifying":
        return errors.CloseWithOpenNotice  # rule 4
    if event == "ClueClosed" and status == "transferred":
        return errors.CloseWithOpenTransfer  # rule 5 (closure_type other: the sent transfer is not completed)
    return errors.InvalidTransition


def _cases() -> list[Any]:
    cases = []
    for event, allowed in ALLOWED_FROM.items():
        for status in STATUSES:
            if status in allowed:
                continue
            cases.append(pytest.param(event, status, id=f"{event}-from-{status}"))
    return cases


def attempt(s: Story, event: str, status: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A command for ``event`` that would pass every check but the status rule."""
    if event == "ClueRegistered":
        return event, {"clue_no": s.clue_no}, {}
    if event == "ClueScreened":
        return event, {"outcome": "valid", "reason_code": "other", "reason": "属于监督范围"}, {}
    if event == "SupervisionCaseOpened":
        return event, {"case_no": "HQ-LA-2024-9999", "case_kind": "individual", "lead_user_id": "u-staff-2"}, \
            {"approved": True}
    if event == "VerificationStarted":
        return event, {"methods": ["document_review"], "team_user_ids": ["u-staff-1"]}, {}
    if event == "RectificationNoticeIssued":
        return event, s.notice_data("n-extra", "work_tip_letter"), {"approved": True}
    if event == "TransferSent":
        if status == "transferred":  # a second transfer, approved before the clue became transferred
            return event, {"transfer_id": s.id("t2"), "sent_via": "platform", "transfer_letter": doc("移送函")}, {}
        return event, {"transfer_id": s.id("nowhere"), "sent_via": "platform", "transfer_letter": doc("移送函")}, {}
    if event == "ClueSuspended":
        return event, {"reason_code": "other"}, {"approved": True}
    if event == "ClueResumed":
        return event, {"reason": "恢复办理"}, {}
    if event == "ClueClosed":
        return event, s.close_data("other"), {"approved": True}
    if event == "ClueReopened":
        return event, {"reason_code": "new_evidence"}, {"approved": True}
    raise AssertionError(event)


def story_in(status: str, event: str) -> Story:
    if event == "TransferSent" and status == "transferred":
        s = walk("under_verification").finding()
        s.propose("t1")
        s.propose("t2")
        s.approve_transfer("t1").approve_transfer("t2").send("t1")
        assert s.clue.status == "transferred"
        return s
    return walk(status)


@pytest.mark.parametrize("event, status", _cases())
def test_event_outside_its_statuses_is_refused_with_the_most_specific_code(event: str, status: str) -> None:
    s = story_in(status, event)
    assert s.clue.status == status
    if event == "CluesMerged":  # the absorbed side of a merge into a fresh valid clue
        survivor = walk("screened_valid")
        survivor.clue_no = s.clue_no
        c = survivor.command("CluesMerged", {"survivor_clue_id": str(survivor.clue.id),
                                             "absorbed_clue_ids": [str(s.clue.id)]}, approved=True)
        s.flush()
        survivor.flush()
        before = (s.clue.version, survivor.clue.version)
        with pytest.raises(errors.LedgerError) as info:
            survivor.clue.merge(c, [s.clue])
        assert info.value.code == expected_code(event, status).code
        assert s.clue.collect_events() == [] and survivor.clue.collect_events() == []
        assert (s.clue.version, survivor.clue.version) == before
        return
    name, data, kw = attempt(s, event, status)
    s.refuse(expected_code(event, status), name, data, **kw)


@pytest.mark.parametrize("status", STATUSES)
def test_walk_reaches_every_status_and_replays_to_it(status: str) -> None:
    s = walk(status)
    agg = None
    for e in s.events:
        agg = e.mutate(agg)
    assert agg.status == s.clue.status == status and agg.version == s.clue.version == len(s.events)


def test_allowed_transitions_of_the_table_succeed() -> None:
    s = walk("under_verification").finding()
    s.suspend()
    assert s.clue.status == "suspended"
    s.resume()
    assert s.clue.status == "under_verification"
    s.issue()
    assert s.clue.status == "rectifying"
    s.transfer_out()
    assert s.clue.status == "rectifying"  # precedence: rectifying > transferred
    s.serve().report().verify_rectification()
    assert s.clue.status == "transferred"
    s.acknowledge_transfer().decide_transfer().transfer_outcome()
    assert s.clue.status == "under_verification"  # last transfer completed → by precedence, the phase
    s.close("rectified")
    assert s.clue.status == "closed"
    s.reopen()
    assert s.clue.status == "reopened"
    s.start_verification()
    assert s.clue.status == "under_verification"


# -- rule 13: suspension -------------------------------------------------------------------------------------
def suspended_rectifying() -> Story:
    s = walk("under_verification").finding()
    s.issue()
    s.serve()
    return s.suspend()


@pytest.mark.parametrize("event, data, kw", [
    ("FindingRecorded", lambda s: {"finding_id": s.id("f2"), "conclusion": "substantiated",
                                   "problem_categories": ["rough"], "summary": "补充认定"}, {"approved": True}),
    ("RectificationNoticeIssued", lambda s: s.notice_data("n2", "supervision_suggestion"), {"approved": True}),
    ("NoticeServed", lambda s: {"notice_id": s.id("n1"), "method": "mail", "service_receipt": doc()}, {}),
    ("RectificationReported", lambda s: {"notice_id": s.id("n1"), "report": doc(), "completion": "complete",
                                         "measures": "整改"}, {}),
    ("ReminderIssued", lambda s: {"target": s.id("n1"), "reminder_kind": "urge", "document": doc(),
                                  "response_period": {"length": 5, "unit": "working_day"}}, {}),
    ("DeadlineExtensionRequested", lambda s: {"obligation_id": s.obligation("rectification_report")["obligation_id"],
                                              "requested": {"length": 10, "unit": "calendar_day"}, "reason": "疫情"},
     {}),
    ("InterviewScheduled", None, {}),
    ("ClueAssigned", lambda s: {"assignment_id": s.id("as1"), "assignee_user_id": "u-staff-3",
                                "role_on_clue": "assistant"}, {"actor": SUPERVISOR}),
    ("ClueSuspended", lambda s: {"reason_code": "other"}, {"approved": True}),
    ("ClueClosed", lambda s: s.close_data("other"), {"approved": True}),
])
def test_while_suspended_other_events_are_refused(event: str, data: Any, kw: dict[str, Any]) -> None:
    s = suspended_rectifying()
    if event == "InterviewScheduled":
        s.expect(errors.ClueSuspended, s.schedule_interview)
        return
    if event == "ClueClosed":  # (no open notice, so the checklist's only failing item is (a) not suspended)
        s = walk("suspended")
    s.refuse(errors.ClueSuspended, event, data(s), **kw)


def test_accountability_decided_while_suspended_is_refused() -> None:
    s = walk("under_verification").finding()
    s.transfer_out().refer_accountability().suspend()
    s.refuse(errors.ClueSuspended, "AccountabilityDecided", {
        "accountability_id": s.id("a1"), "decided_by_org_id": "hq-jwjw", "measures": ["warning"],
        "decision_doc": doc()})


def test_merge_into_a_suspended_survivor_answers_clue_suspended() -> None:
    survivor, absorbed = walk("suspended"), walk("screened_valid")
    c = survivor.command("CluesMerged", {"survivor_clue_id": str(survivor.clue.id),
                                         "absorbed_clue_ids": [str(absorbed.clue.id)]}, approved=True)
    with pytest.raises(errors.ClueSuspended):
        survivor.clue.merge(c, [absorbed.clue])


def test_while_suspended_the_allowed_events_really_are_allowed() -> None:
    """ClueResumed, EvidenceRecorded, ReceiptAcknowledged, ReporterFeedbackSent, transfer events, corrections."""
    s = walk("under_verification").finding().suspend()
    s.do("EvidenceRecorded", {"evidence_id": s.id("e1"), "kind": "photo", "documents": [doc("照片")],
                              "description": "现场照片"})
    s.do("ReceiptAcknowledged", {"method": "sms", "recipient": "pt_" + "a" * 26})
    s.do("ReporterFeedbackSent", {"feedback_kind": "progress", "recipient": "pt_" + "a" * 26, "method": "sms",
                                  "delivery": "delivered"})
    s.propose("t1", kind="suspected_crime", target="public_security", materials=[])
    s.do("TransferMaterialsAttached", {"transfer_id": s.id("t1"), "materials": [
        *[{"material_type": m, "doc": doc(m)} for m in ("transfer_letter", "investigation_report",
                                                           "seized_items_list", "inspection_appraisal")],
        {"material_type": "other_crime_materials", "not_applicable_reason": "无其他材料"}]})
    s.propose("t2")
    s.do("TransferRejected", {"transfer_id": s.id("t2"), "reason": "不属纪检管辖"}, actor=SUPERVISOR)
    s.approve_transfer("t1").send("t1").acknowledge_transfer("t1")
    s.do("TransferForwarded", {"transfer_id": s.id("t1"), "forwarded_to_org_id": "A11-branch", "notice": doc()})
    s.decide_transfer("t1", "not_filed")
    s.do("TransferDecisionContested", {"transfer_id": s.id("t1"), "route": "procuratorate_supervision"},
         approved=True)
    s.transfer_outcome("t1")
    evidence = s.last("EvidenceRecorded")
    s.do("EventCorrected", {"target_event_id": evidence.meta["event_id"], "reason": "描述有误", "changes": [
        {"path": "description", "old_value_hash": value_hash("现场照片"), "new_value": "现场照片(夜市)"}]},
        approved=True)
    s.do("EventVoided", {"target_event_id": evidence.meta["event_id"], "reason": "重复录入"}, approved=True)
    assert s.clue.status == "suspended"
    s.resume()
    assert s.clue.status == "under_verification"
    assert s.clue.transfers[s.id("t1")]["status"] == "completed"


# -- rules 10 and 12: four-eyes approvals and conflicts of interest ------------------------------------------
FOUR_EYES = {
    "SupervisionCaseOpened": (lambda: walk("screened_valid"), lambda s: {
        "case_no": "HQ-LA-2024-0001", "case_kind": "individual", "lead_user_id": "u-staff-2"}, STAFF),
    "FindingRecorded": (lambda: walk("under_verification"), lambda s: {
        "finding_id": s.id("f"), "conclusion": "unsubstantiated", "summary": "查无实据"}, STAFF),
    "ClueScreened": (lambda: walk("registered"), lambda s: {
        "outcome": "out_of_scope", "reason_code": "civil_dispute", "reason": "民事纠纷"}, STAFF),
    "RectificationNoticeIssued": (lambda: walk("under_verification").finding(), lambda s: s.notice_data(), STAFF),
    "ClueSuspended": (lambda: walk("case_opened"), lambda s: {"reason_code": "force_majeure"}, STAFF),
    "ClueClosed": (lambda: walk("case_opened"), lambda s: s.close_data("other"), STAFF),
    "ClueReopened": (lambda: walk("closed"), lambda s: {"reason_code": "closure_error"}, STAFF),
    "TransferApproved": (lambda: _proposed(), lambda s: {"transfer_id": s.id("t1")}, SUPERVISOR),
}


def _proposed() -> Story:
    s = walk("under_verification").finding()
    s.propose("t1")
    return s


@pytest.mark.parametrize("event", FOUR_EYES)
def test_four_eyes_event_without_approval_is_refused(event: str) -> None:
    build, data, actor = FOUR_EYES[event]
    s = build()
    s.refuse(errors.ApprovalRequired, event, data(s), actor=actor)


@pytest.mark.parametrize("event", FOUR_EYES)
def test_four_eyes_approver_who_is_not_a_supervisor_is_refused(event: str) -> None:
    build, data, actor = FOUR_EYES[event]
    s = build()
    staff_approver = Actor(user_id="u-staff-9", role="supervision_staff", org_id="HQ")
    s.refuse(errors.ApprovalRequired, event, data(s), actor=actor, approvals=[approval(staff_approver)])


@pytest.mark.parametrize("event", FOUR_EYES)
def test_four_eyes_approval_by_the_actor_is_self_approval(event: str) -> None:
    build, data, actor = FOUR_EYES[event]
    s = build()
    s.refuse(errors.SelfApprovalForbidden, event, data(s), actor=SUPERVISOR, approved=SUPERVISOR)


@pytest.mark.parametrize("event", FOUR_EYES)
def test_four_eyes_approval_by_a_conflicted_supervisor_is_refused(event: str) -> None:
    build, data, actor = FOUR_EYES[event]
    s = build()
    approver = SUPERVISOR2 if actor == SUPERVISOR else SUPERVISOR
    s.refuse(errors.ConflictOfInterest, event, data(s), actor=actor, approved=approver,
             conflicted={approver.user_id})


def test_transfer_approved_by_its_proposer_is_self_approval() -> None:
    s = walk("under_verification").finding()
    s.propose("t1", actor=SUPERVISOR)  # a supervisor may record what staff may (§9)
    s.refuse(errors.SelfApprovalForbidden, "TransferApproved", {"transfer_id": s.id("t1")}, actor=SUPERVISOR2,
             approved=SUPERVISOR)
    s.refuse(errors.SelfApprovalForbidden, "TransferRejected", {"transfer_id": s.id("t1"), "reason": "x"},
             actor=SUPERVISOR)
    s.approve_transfer("t1", actor=SUPERVISOR2, approved=Actor(user_id="u-sup-3", role="supervisor", org_id="HQ"))


def test_closure_approved_by_the_case_lead_is_self_approval() -> None:
    s = walk("screened_valid").open_case(lead=SUPERVISOR2.user_id)
    s.refuse(errors.SelfApprovalForbidden, "ClueClosed", s.close_data("other"), approved=SUPERVISOR2)
    s.close("other", approved=SUPERVISOR)


def test_assigning_a_conflicted_user_is_refused() -> None:
    s = walk("case_opened")
    data = {"assignment_id": s.id("as1"), "assignee_user_id": "u-staff-3", "role_on_clue": "assistant"}
    s.refuse(errors.ConflictOfInterest, "ClueAssigned", data, actor=SUPERVISOR, conflicted={"u-staff-3"})
    s.do("ClueAssigned", data, actor=SUPERVISOR)
    assert s.clue.assignments[s.id("as1")]["state"] == "pending"


def test_a_user_who_recused_cannot_be_assigned_again() -> None:
    s = walk("case_opened")
    s.do("ClueAssigned", {"assignment_id": s.id("as1"), "assignee_user_id": "u-staff-2", "role_on_clue": "lead"},
         actor=SUPERVISOR)
    s.do("AssignmentDeclined", {"assignment_id": s.id("as1"), "reason": "conflict_of_interest"},
         actor=Actor(user_id="u-staff-2", role="supervision_staff", org_id="HQ"))
    s.refuse(errors.ConflictOfInterest, "ClueAssigned", {"assignment_id": s.id("as2"), "assignee_user_id": "u-staff-2",
                                                         "role_on_clue": "lead"}, actor=SUPERVISOR)


# -- rule 16: time order -------------------------------------------------------------------------------------
@pytest.mark.parametrize("step", ["register", "screen", "open_case", "verification", "finding", "serve", "report",
                                  "verify", "approve_transfer", "send", "close"])
def test_event_before_the_event_it_follows_is_refused(step: str) -> None:
    s = walk("received")
    before = "2024-03-01 09:00"  # the clue was received on 2024-03-04
    ladder = [("register", s.register), ("screen", s.screen), ("open_case", s.open_case),
              ("verification", s.start_verification), ("finding", s.finding)]
    for name, run in ladder:
        if name == step:
            s.expect(errors.OccurredBeforePredecessor, lambda run=run: run(when=before))
            return
        run()
    if step in ("approve_transfer", "send"):
        s.propose("t1")
        if step == "send":
            s.approve_transfer("t1")
            s.refuse(errors.OccurredBeforePredecessor, "TransferSent", {
                "transfer_id": s.id("t1"), "sent_via": "platform", "transfer_letter": doc()}, when=before)
        else:
            s.refuse(errors.OccurredBeforePredecessor, "TransferApproved", {"transfer_id": s.id("t1")},
                     actor=SUPERVISOR, approved=SUPERVISOR2, when=before)
        return
    if step == "close":
        s.refuse(errors.OccurredBeforePredecessor, "ClueClosed", s.close_data("other"), approved=True, when=before)
        return
    s.issue()
    if step != "serve":
        s.serve()
    if step == "verify":
        s.report()
    event, data, kw = {
        "serve": ("NoticeServed", {"notice_id": s.id("n1"), "method": "direct", "service_receipt": doc()}, {}),
        "report": ("RectificationReported", {"notice_id": s.id("n1"), "report": doc(), "completion": "partial",
                                             "measures": "整改"}, {}),
        "verify": ("RectificationVerified", {"notice_id": s.id("n1"), "result": "accepted", "method": "site_check",
                                             "reasons": "到位"}, {"approved": True}),
    }[step]
    s.refuse(errors.OccurredBeforePredecessor, event, data, when=before, **kw)
