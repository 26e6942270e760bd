"""Clue closure (§5.4 checklist, rules 4–7, 18, 19), notices (rules 8, 14), transfers (rule 9),
and merges on the pure aggregate."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from domain import errors
from tests.builders import SUPERVISOR, SUPERVISOR2, doc
from tests.unit.clue_story import Story, material, walk


def substantiated() -> Story:
    return walk("under_verification").finding()


# -- rule 4: open notices ------------------------------------------------------------------------------------
@pytest.mark.parametrize("notice_state", ["issued", "served", "reported", "re_rectifying"])
@pytest.mark.parametrize("closure_type", ["rectified", "other"])
def test_close_with_an_open_notice_is_refused(notice_state: str, closure_type: str) -> None:
    s = substantiated()
    s.rectify("n0")  # a closed notice does not help
    s.issue()
    steps = ["served", "reported", "re_rectifying"]
    for step in steps[:steps.index(notice_state) + 1] if notice_state != "issued" else []:
        {"served": s.serve, "reported": s.report,
         "re_rectifying": lambda: s.verify_rectification(result="rejected")}[step]()
    assert s.clue.notices[s.id("n1")]["status"] == notice_state
    s.refuse(errors.CloseWithOpenNotice, "ClueClosed", s.close_data(closure_type), approved=True)


# -- rule 5: open transfers ----------------------------------------------------------------------------------
@pytest.mark.parametrize("transfer_state", ["proposed", "approved"])
@pytest.mark.parametrize("closure_type", ["other", "transferred_closed"])
def test_close_with_a_proposed_or_approved_transfer_is_refused(transfer_state: str, closure_type: str) -> None:
    s = substantiated()
    s.propose("t1")
    if transfer_state == "approved":
        s.approve_transfer("t1")
    s.transfer_out("t0").acknowledge_transfer("t0")  # an acknowledged transfer does not help
    s.refuse(errors.CloseWithOpenTransfer, "ClueClosed", s.close_data(closure_type), approved=True)


@pytest.mark.parametrize("progress", ["sent", "acknowledged", "decided"])
def test_close_other_than_transferred_closed_needs_every_transfer_completed_or_rejected(progress: str) -> None:
    s = substantiated().transfer_out()
    if progress != "sent":
        s.acknowledge_transfer()
    if progress == "decided":
        s.decide_transfer()
    s.refuse(errors.CloseWithOpenTransfer, "ClueClosed", s.close_data("other"), approved=True)
    s.refuse(errors.CloseWithOpenTransfer, "ClueClosed", s.close_data("rectified"), approved=True)


def test_transferred_closed_needs_a_transfer_at_least_acknowledged() -> None:
    s = substantiated().transfer_out()
    s.refuse(errors.CloseWithOpenTransfer, "ClueClosed", s.close_data("transferred_closed"), approved=True)
    s.acknowledge_transfer()
    s.close("transferred_closed")
    assert s.clue.status == "closed" and s.clue.closure_type == "transferred_closed"


def test_rejected_and_completed_transfers_let_the_clue_close() -> None:
    s = substantiated()
    s.propose("t1")
    s.do("TransferRejected", {"transfer_id": s.id("t1"), "reason": "材料不足"}, actor=SUPERVISOR)
    s.transfer_out("t2").acknowledge_transfer("t2").decide_transfer("t2").transfer_outcome("t2")
    s.close("other")
    assert s.clue.status == "closed"


# -- rule 6: interviews and accountability -------------------------------------------------------------------
def test_close_with_a_scheduled_interview_is_refused() -> None:
    s = substantiated().schedule_interview()
    s.refuse(errors.CloseWithOpenInterview, "ClueClosed", s.close_data("other"), approved=True)
    s.do("InterviewCancelled", {"interview_id": s.id("i1"), "reason": "改为书面督办"}, approved=True)
    s.close("other")


def test_close_with_an_open_commitment_is_refused() -> None:
    s = substantiated().schedule_interview().hold_interview(commitments=("c1", "c2"))
    s.fulfil("i1", "c1")
    s.refuse(errors.CloseWithOpenInterview, "ClueClosed", s.close_data("other"), approved=True)
    s.fulfil("i1", "c2")
    assert all(ob["status"] == "completed" for ob in s.clue.obligations.values()
               if ob["type"] == "interview_commitment")
    s.close("other")


def accountability_referred() -> Story:
    s = substantiated().transfer_out().refer_accountability()
    return s.acknowledge_transfer().decide_transfer().transfer_outcome()


def test_close_with_open_accountability_is_refused_unless_transferred_closed() -> None:
    s = accountability_referred()
    assert s.clue.status == "under_verification"
    s.refuse(errors.CloseWithOpenAccountability, "ClueClosed", s.close_data("other"), approved=True)
    s.decide_accountability()
    s.close("other")


def test_transferred_closed_carries_open_accountability() -> None:
    s = accountability_referred()
    s.close("transferred_closed")
    assert s.clue.status == "closed"


# -- rules 7 and 18: closure type consistent with finding ----------------------------------------------------
def test_rectified_without_a_closed_rectified_notice_is_refused() -> None:
    s = substantiated()
    s.refuse(errors.CloseWithoutFinding, "ClueClosed", s.close_data("rectified"), approved=True)
    s.issue()
    s.do("NoticeWithdrawn", {"notice_id": s.id("n1"), "reason": "文书有误"}, approved=True)
    s.refuse(errors.CloseWithoutFinding, "ClueClosed", s.close_data("rectified"), approved=True)


@pytest.mark.parametrize("conclusion", [None, "substantiated", "partially_substantiated"])
def test_unfounded_without_an_unsubstantiated_finding_is_refused(conclusion: str | None) -> None:
    s = walk("under_verification")
    if conclusion:
        s.finding(conclusion)
    s.refuse(errors.CloseWithoutFinding, "ClueClosed", s.close_data("unfounded"), approved=True)
    s.finding("unsubstantiated")  # latest wins
    s.close("unfounded")


@pytest.mark.parametrize("conclusion", ["substantiated", "partially_substantiated"])
def test_withdrawn_after_a_substantiated_finding_is_refused(conclusion: str) -> None:
    s = walk("under_verification").finding(conclusion)
    data = {**s.close_data("withdrawn"), "withdrawal_document": doc("撤回申请")}
    s.refuse(errors.WithdrawAfterFinding, "ClueClosed", data, approved=True)


def test_withdrawn_needs_a_withdrawal_document() -> None:
    s = walk("case_opened")
    s.refuse(errors.ValidationFailed, "ClueClosed", s.close_data("withdrawn"), approved=True)
    s.do("ClueClosed", {**s.close_data("withdrawn"), "withdrawal_document": doc("撤回申请")}, approved=True)
    assert s.clue.closure_type == "withdrawn"


def test_nothing_pending_and_merged_only_via_merge() -> None:
    s = walk("case_opened")
    s.refuse(errors.InvalidTransition, "ClueClosed", s.close_data("merged"), approved=True)
    s.do("ClueAssigned", {"assignment_id": s.id("as1"), "assignee_user_id": "u-staff-1", "role_on_clue": "assistant"},
         actor=SUPERVISOR)
    s.refuse(errors.InvalidTransition, "ClueClosed", s.close_data("other"), approved=True)  # (g) pending assignment
    s.do("AssignmentAccepted", {"assignment_id": s.id("as1")})
    ob = s.obligation("verification_period")
    s.do("DeadlineExtensionRequested", {"obligation_id": ob["obligation_id"], "reason": "案情复杂",
                                        "requested": {"length": 30, "unit": "calendar_day"}})
    s.refuse(errors.InvalidTransition, "ClueClosed", s.close_data("other"), approved=True)  # (g) pending extension
    s.do("DeadlineExtensionDenied", {"obligation_id": ob["obligation_id"], "reason": "无正当理由"},
         actor=SUPERVISOR, approved=SUPERVISOR2)
    s.close("other")


# -- §5.4 happy paths ----------------------------------------------------------------------------------------
def test_checklist_happy_path_rectified() -> None:
    s = substantiated().rectify()
    s.close("rectified", approved=SUPERVISOR2)  # the lead is u-staff-2
    closed = s.last("ClueClosed")
    assert s.clue.status == "closed" and s.clue.closure_type == "rectified"
    assert closed.data["checklist_result"] and all(closed.data["checklist_result"].values())
    assert s.obligation("feedback_result")["status"] == "open"
    for ob_type in ("screening", "case_opening", "verification_period", "rectification_report",
                    "rectification_verification"):
        assert s.obligation(ob_type)["status"] == "completed"


def test_checklist_happy_path_transferred_closed_like_d6() -> None:
    s = Story("2024-04-08 09:00", agencies=("A03",)).register(when="2024-04-09 09:00")
    s.screen(when="2024-04-12 09:00").open_case(when="2024-04-15 09:00").start_verification()
    s.finding(when="2024-05-20 09:00")
    s.propose("t1", when="2024-05-21 09:00")
    s.approve_transfer("t1", when="2024-05-22 09:00").send("t1", when="2024-05-23 09:00")
    types = [type(e).__name__ for e in s.events]
    assert types[-2:] == ["PartnerShareGranted", "TransferSent"]  # share written just before the first send
    s.issue(when="2024-05-24 09:00")
    s.serve(when="2024-05-27 09:00").acknowledge_transfer("t1", when="2024-05-28 09:00")
    s.report(when="2024-06-20 09:00").decide_transfer("t1", when="2024-06-25 09:00")
    s.verify_rectification(when="2024-06-28 09:00")
    assert s.clue.status == "transferred"
    s.close("transferred_closed", when="2024-09-13 09:00")
    assert s.clue.status == "closed" and s.clue.transfers[s.id("t1")]["status"] == "decided"


# -- rule 8: notices -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", ["closed", "screened_out"])
def test_notice_service_or_reminder_on_a_closed_clue_is_refused(status: str) -> None:
    s = walk(status)
    s.refuse(errors.NoticeOnClosedClue, "RectificationNoticeIssued", s.notice_data("n9", "supervision_suggestion"),
             approved=True)
    s.refuse(errors.NoticeOnClosedClue, "NoticeServed", {"notice_id": s.id("n9"), "method": "direct",
                                                          "service_receipt": doc()})
    target = s.obligation("feedback_result" if status == "closed" else "feedback_not_accepted")["obligation_id"]
    s.refuse(errors.NoticeOnClosedClue, "ReminderIssued", {"target": target, "reminder_kind": "urge",
                                                            "response_period": {"length": 5, "unit": "working_day"},
                                                            "document": doc()})


@pytest.mark.parametrize("notice_type", ["rectification_notice", "supervision_opinion", "supervision_decision"])
@pytest.mark.parametrize("conclusion", [None, "unsubstantiated"])
def test_finding_requiring_notice_without_a_substantiated_finding_is_refused(notice_type: str,
                                                                            conclusion: str | None) -> None:
    s = walk("under_verification")
    if conclusion:
        s.finding(conclusion)
    s.refuse(errors.NoticeWithoutFinding, "RectificationNoticeIssued", s.notice_data("n1", notice_type),
             approved=True)
    s.finding("partially_substantiated")
    s.issue("n1", notice_type)
    assert s.clue.status == "rectifying"


@pytest.mark.parametrize("notice_type", ["supervision_suggestion", "work_tip_letter"])
def test_other_notice_types_need_no_finding(notice_type: str) -> None:
    s = walk("case_opened")
    s.issue("n1", notice_type)
    assert s.clue.status == "rectifying"


# -- rule 14 -------------------------------------------------------------------------------------------------
def test_verification_without_a_pending_report_is_refused() -> None:
    s = substantiated()
    s.issue()
    verify = {"notice_id": s.id("n1"), "result": "accepted", "method": "site_check", "reasons": "到位"}
    s.refuse(errors.VerifyWithoutReport, "RectificationVerified", verify, approved=True)
    s.serve()
    s.refuse(errors.VerifyWithoutReport, "RectificationVerified", verify, approved=True)
    s.report().verify_rectification(result="rejected")
    s.refuse(errors.VerifyWithoutReport, "RectificationVerified", verify, approved=True)
    s.report().verify_rectification()
    s.refuse(errors.VerifyWithoutReport, "RectificationVerified", verify, approved=True)


# -- rule 9: transfers ---------------------------------------------------------------------------------------
def test_scenario_2_discipline_transfer_without_finding_report() -> None:
    s = substantiated()
    s.propose("t1", materials=[material("transfer_letter"), material("clue_materials")])
    err = s.refuse(errors.TransferMissingMaterials, "TransferApproved", {"transfer_id": s.id("t1")},
                   actor=SUPERVISOR, approved=SUPERVISOR2)
    assert "finding_report" in err.message
    s.do("TransferMaterialsAttached", {"transfer_id": s.id("t1"), "materials": [material("finding_report")]})
    s.approve_transfer("t1", actor=SUPERVISOR, approved=SUPERVISOR2).send("t1")
    assert s.clue.transfers[s.id("t1")]["status"] == "sent" and s.clue.shares == {"hq-jwjw": True}


CRIME = ("transfer_letter", "investigation_report", "seized_items_list")


@pytest.mark.parametrize("missing", [*CRIME, "inspection_appraisal", "other_crime_materials"])
@pytest.mark.parametrize("how", ["absent", "declared_not_applicable"])
def test_scenario_8_suspected_crime_materials(missing: str, how: str) -> None:
    s = substantiated()
    materials = [material(m) for m in (*CRIME, "inspection_appraisal") if m != missing]
    materials.append(material("other_crime_materials", not_applicable="无其他涉案材料"))
    materials = [m for m in materials if m["material_type"] != missing]
    if how == "declared_not_applicable":
        materials.append(material(missing, not_applicable="不适用"))
    s.propose("t1", kind="suspected_crime", target="public_security", materials=materials)
    if how == "declared_not_applicable" and missing not in CRIME:  # attached or declared: both fine
        s.approve_transfer("t1")
        return
    s.refuse(errors.TransferMissingMaterials, "TransferApproved", {"transfer_id": s.id("t1")},
             actor=SUPERVISOR, approved=SUPERVISOR2)


def test_scenario_8_complete_suspected_crime_transfer_to_public_security() -> None:
    s = substantiated()
    materials = [material(m) for m in (*CRIME, "inspection_appraisal")]
    materials.append(material("other_crime_materials", not_applicable="无其他涉案材料"))
    s.propose("t1", kind="suspected_crime", target="public_security", materials=materials, when="2024-03-07 10:00")
    approval_ob = s.obligation("transfer_approval")
    assert approval_ob["due_date"] == "2024-03-11"  # 3 calendar days, 03-10 Sunday rolled to Monday
    s.approve_transfer("t1", when="2024-03-08 15:00")
    sending = s.obligation("transfer_sending")
    assert approval_ob["status"] == "completed"
    assert datetime.fromisoformat(sending["due_at"]) == s.now + timedelta(hours=24)
    s.send("t1", when="2024-03-09 10:00")
    assert sending["status"] == "completed" and s.clue.status == "transferred"
    s.acknowledge_transfer("t1").decide_transfer("t1", "not_filed", when="2024-03-12 10:00")
    contest = s.obligation("contest_filing")
    assert contest["status"] == "open" and contest["due_date"] == "2024-03-15"
    s.do("TransferDecisionContested", {"transfer_id": s.id("t1"), "route": "procuratorate_supervision"},
         approved=True)
    assert contest["status"] == "completed"


def test_sending_before_approval_is_refused() -> None:
    s = substantiated()
    s.propose("t1")
    send = {"transfer_id": s.id("t1"), "sent_via": "official_letter", "transfer_letter": doc()}
    s.refuse(errors.TransferNotApproved, "TransferSent", send)
    s.do("TransferRejected", {"transfer_id": s.id("t1"), "reason": "证据不足"}, actor=SUPERVISOR)
    s.refuse(errors.TransferNotApproved, "TransferSent", send)


# -- rule 19 and merges --------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", ["closed", "screened_out"])
def test_reopening_a_terminal_clue_restarts_verification(status: str) -> None:
    s = walk(status).reopen()
    assert s.clue.status == "reopened" and s.obligation("verification_period")["status"] == "open"


def merge(survivor: Story, *absorbed: Story) -> None:
    c = survivor.command("CluesMerged", {"survivor_clue_id": str(survivor.clue.id),
                                         "absorbed_clue_ids": [str(a.clue.id) for a in absorbed]}, approved=True)
    survivor.clue.merge(c, [a.clue for a in absorbed])
    survivor.flush()
    for a in absorbed:
        a.flush()


def test_merge_d2_into_d1_closes_the_absorbed_clue_merged() -> None:
    d1 = Story("2024-01-15 09:00", channel="hotline_12345", agencies=("A02",)).register()
    d1.screen(when="2024-01-19 09:00")
    d2 = Story("2024-01-17 09:00", channel="media", agencies=("A02",)).register()
    d2.screen(when="2024-01-19 10:00")
    merge(d1, d2)
    assert d2.clue.status == "closed" and d2.clue.closure_type == "merged"
    assert d2.clue.merged_into == str(d1.clue.id) and d1.clue.merged == [str(d2.clue.id)]
    assert [type(e).__name__ for e in d2.events[-2:]] == ["CluesMerged", "ClueClosed"]
    assert d2.events[-1].data["closure_type"] == "merged"
    assert not d2.clue.open_obligations() and d1.clue.status == "screened_valid"
    d1.open_case()  # the survivor carries on
    c = d1.command("CluesUnmerged", {"survivor_clue_id": str(d1.clue.id), "absorbed_clue_id": str(d2.clue.id),
                                     "reason": "并非同一事项"}, approved=True)
    d1.clue.unmerge(c, [d2.clue])
    assert d2.clue.status == "reopened" and d1.clue.merged == []


def test_merge_refuses_an_absorbed_clue_with_an_open_transfer_or_another_bureau() -> None:
    survivor, other = walk("screened_valid"), walk("under_verification").finding()
    other.propose("t1")
    with pytest.raises(errors.CloseWithOpenTransfer):
        merge(survivor, other)
    foreign = walk("registered")
    foreign.clue_no = "XZ-JD-2024-0001"
    foreign.clue.clue_no = foreign.clue_no
    with pytest.raises(errors.InvalidTransition):
        merge(survivor, foreign)
    assert survivor.clue.collect_events() == [] and other.clue.collect_events() == []


def test_unmerge_on_a_suspended_survivor_is_refused() -> None:
    d1, d2 = walk("screened_valid"), walk("registered")
    merge(d1, d2)
    d1.suspend()
    c = d1.command("CluesUnmerged", {"survivor_clue_id": str(d1.clue.id), "absorbed_clue_id": str(d2.clue.id),
                                     "reason": "并非同一事项"}, approved=True)
    d1.expect(errors.ClueSuspended, lambda: d1.clue.unmerge(c, [d2.clue]))
