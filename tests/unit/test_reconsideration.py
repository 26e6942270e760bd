"""ReconsiderationCase (domain.md §4.7, §6.2 rows 22–24) and the rate rules of §7 reconsideration_stats."""

from __future__ import annotations

from typing import get_args
from uuid import uuid4

import pytest
from pydantic import ValidationError

from domain import errors
from domain import reconsideration_rules as rules
from domain.base import value_hash
from domain.catalogue import load_all
from domain.catalogue.reconsideration import Outcome
from domain.reconsideration import ReconsiderationCase
from tests.builders import SUPERVISOR, cmd, doc

TOKEN = "pt_" + "a" * 26
RESPONDENT = "A05"


def receive(when: str = "2023-12-08 10:00", legacy: bool = False) -> ReconsiderationCase:
    data = {"applicant_tokens": [TOKEN], "respondent_org_id": RESPONDENT,
            "contested_act": {"act_type": "administrative_penalty", "doc_number": "汉渠市监罚〔2023〕8号",
                              "act_date": "2023-11-20"},
            "received_via": "mail", "application": doc("行政复议申请书")}
    if legacy:
        data["legacy_import"] = True
    return ReconsiderationCase.receive(cmd("ReconsiderationApplicationReceived", data, when), stream_id=uuid4())


def decide(case: ReconsiderationCase, decision: str = "accepted", when: str = "2023-12-15 10:00",
           procedure: str | None = "ordinary", **kw) -> None:
    data = {"decision": decision, "decision_doc": doc("受理通知书")}
    if decision == "accepted" and procedure:
        data["procedure"] = procedure
    kw.setdefault("approved", True)
    case.decide_acceptance(cmd("ReconsiderationAcceptanceDecided", data, when, **kw))


def accepted(when: str = "2023-12-15 10:00", **kw) -> ReconsiderationCase:
    case = receive(kw.pop("received", "2023-12-08 10:00"), legacy=kw.pop("legacy", False))
    decide(case, when=when, **kw)
    return case


def close(case: ReconsiderationCase, outcome: str = "upheld", when: str = "2024-01-20 10:00", **kw) -> None:
    kw.setdefault("approved", True)
    case.close(cmd("ReconsiderationClosed", {"outcome": outcome, "decision_doc": doc("行政复议决定书")}, when, **kw))


def suspend(case: ReconsiderationCase, when: str, **kw) -> None:
    kw.setdefault("approved", True)
    case.suspend(cmd("ReconsiderationSuspended", {"reason": "需以相关民事案件审理结果为依据"}, when, **kw))


def resume(case: ReconsiderationCase, when: str, **kw) -> None:
    kw.setdefault("approved", True)
    case.resume(cmd("ReconsiderationResumed", {"reason": "中止原因消除"}, when, **kw))


def copy(case: ReconsiderationCase, mode: str = "direct", when: str = "2024-01-22 10:00") -> None:
    case.copy_decision(cmd("DecisionCopied", {"mode": mode, "copied_to_org_id": RESPONDENT,
                                              "document": doc("抄告函")}, when))


def recon_decision(case: ReconsiderationCase) -> dict:
    return next(ob for ob in case.obligations.values() if ob["type"] == "recon_decision")


def event_id(case: ReconsiderationCase, event_type: str) -> str:
    return next(eid for eid, e in case.index.items() if e["type"] == event_type)


# -- deadlines --------------------------------------------------------------------------------------------------
def test_accepted_2023_12_15_is_due_2024_02_18():
    case = accepted("2023-12-15 10:00")
    assert case.status == "in_review" and case.accepted_at.startswith("2023-12-15")
    ob = recon_decision(case)  # 12-15 + 60 = 02-13, a holiday, rolled to the Sunday 调休 working day
    assert (ob["due_date"], ob["status"], ob["obligor"]) == ("2024-02-18", "open", "bureau")
    assert ob["due_at"] == "2024-02-19T00:00:00+08:00"


def test_simplified_procedure_is_30_days():
    case = accepted("2024-03-01 10:00", received="2024-02-26 10:00", procedure="simplified")
    assert recon_decision(case)["due_date"] == "2024-04-01"  # 03-31 is a Sunday


def test_acceptance_review_started_and_completed():
    case = receive("2024-03-04 10:00")
    (ob,) = case.open_obligations("recon_acceptance_review")
    assert ob["due_date"] == "2024-03-11"  # 5 working days
    decide(case, when="2024-03-08 10:00")
    assert case.obligations[ob["obligation_id"]]["status"] == "completed"


def test_supplement_request_starts_the_applicants_obligation():
    case = receive("2024-03-04 10:00")
    case.request_supplement(cmd("ReconsiderationSupplementRequested", {"items": ["身份证明"], "notice": doc("补正通知书")},
                                "2024-03-05 10:00"))
    assert not case.open_obligations("recon_acceptance_review")
    (sup,) = case.open_obligations("recon_supplement")
    assert sup["obligor"] == "applicant" and sup["due_date"] == "2024-03-19"  # 10 working days
    with pytest.raises(errors.InvalidTransition):
        case.request_supplement(cmd("ReconsiderationSupplementRequested", {"items": ["证据"], "notice": doc()},
                                    "2024-03-06 10:00"))
    decide(case, "deemed_withdrawn", when="2024-03-25 10:00")
    assert case.status == "deemed_withdrawn" and case.obligations[sup["obligation_id"]]["status"] == "cancelled"
    with pytest.raises(errors.InvalidTransition):
        case.request_supplement(cmd("ReconsiderationSupplementRequested", {"items": ["证据"], "notice": doc()},
                                    "2024-03-26 10:00"))


def test_suspension_pauses_recon_decision_and_resumption_shifts_it():
    case = accepted("2024-03-01 10:00", received="2024-02-26 10:00")
    oid = recon_decision(case)["obligation_id"]
    assert recon_decision(case)["due_date"] == "2024-04-30"
    suspend(case, "2024-03-11 10:00")
    assert case.status == "suspended" and case.obligations[oid]["status"] == "paused"
    with pytest.raises(errors.InvalidTransition):
        close(case, when="2024-03-12 10:00")
    with pytest.raises(errors.InvalidTransition):
        suspend(case, "2024-03-12 10:00")
    resume(case, "2024-03-21 10:00")  # 10 days paused
    assert case.status == "in_review" and case.obligations[oid]["status"] == "open"
    assert case.obligations[oid]["due_date"] == "2024-05-10"
    with pytest.raises(errors.InvalidTransition):
        resume(case, "2024-03-22 10:00")
    close(case, when="2024-05-09 10:00")
    assert case.obligations[oid]["status"] == "completed" and case.status == "closed"


# -- acceptance decisions -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("decision", rules.NOT_ACCEPTED_DECISIONS)
def test_not_accepted_decisions_are_terminal(decision):
    case = receive()
    decide(case, decision)
    assert case.status == decision and not case.open_obligations()
    with pytest.raises(errors.InvalidTransition):
        close(case)
    with pytest.raises(errors.InvalidTransition):
        decide(case)


def test_procedure_iff_accepted():
    with pytest.raises(ValidationError):
        cmd("ReconsiderationAcceptanceDecided", {"decision": "accepted", "decision_doc": doc()}, "2023-12-15 10:00")
    with pytest.raises(ValidationError):
        cmd("ReconsiderationAcceptanceDecided", {"decision": "not_accepted", "procedure": "ordinary",
                                                 "decision_doc": doc()}, "2023-12-15 10:00")


def test_four_eyes_on_decisions():
    case = receive()
    with pytest.raises(errors.ApprovalRequired):
        decide(case, approved=False)
    with pytest.raises(errors.SelfApprovalForbidden):
        decide(case, actor=SUPERVISOR, approved=SUPERVISOR)
    with pytest.raises(errors.ConflictOfInterest):
        decide(case, conflicted={SUPERVISOR.user_id})
    with pytest.raises(errors.OccurredBeforePredecessor):
        decide(case, when="2023-12-07 10:00")
    decide(case)
    for act in (lambda **kw: suspend(case, "2024-01-02 10:00", **kw), lambda **kw: close(case, **kw)):
        with pytest.raises(errors.ApprovalRequired):
            act(approved=False)
        with pytest.raises(errors.SelfApprovalForbidden):
            act(actor=SUPERVISOR, approved=SUPERVISOR)
    suspend(case, "2024-01-02 10:00")
    with pytest.raises(errors.ApprovalRequired):
        resume(case, "2024-01-03 10:00", approved=False)


# -- closing, legacy outcomes, 抄告 --------------------------------------------------------------------------------
@pytest.mark.parametrize("outcome", sorted(rules.LEGACY_OUTCOMES))
def test_legacy_outcomes_need_legacy_import(outcome):
    case = accepted()
    with pytest.raises(errors.LegacyOutcomeForbidden):
        close(case, outcome)
    legacy = accepted(legacy=True)
    close(legacy, outcome)
    assert legacy.outcome == outcome and legacy.status == "closed"


def test_close_completes_recon_decision_and_classifies():
    case = accepted()
    close(case, "revoked", when="2024-02-01 10:00")
    assert recon_decision(case)["status"] == "completed" and case.corrected and not case.mediated
    with pytest.raises(errors.InvalidTransition):
        close(case, when="2024-02-02 10:00")


def test_decision_copied_only_when_closed():
    case = accepted()
    with pytest.raises(errors.InvalidTransition):
        copy(case)
    close(case, "mediated")
    with pytest.raises(errors.OccurredBeforePredecessor):
        copy(case, when="2024-01-19 10:00")
    copy(case)
    copy(case, "special_letter")
    assert [c["mode"] for c in case.copies] == ["direct", "special_letter"] and case.mediated


# -- notices (第七十六条) ---------------------------------------------------------------------------------------------
def recon_notice(n: int = 1, notice_type: str = "reconsideration_opinion") -> dict:
    return {"notice_id": str(uuid4()), "notice_type": notice_type, "doc_number": f"汉渠复意〔2024〕{n}号",
            "recipient_org_id": RESPONDENT, "requirements": "依法纠正", "document": doc("行政复议意见书")}


def test_notices_in_review_or_closed():
    case = receive()
    with pytest.raises(errors.InvalidTransition):
        case.issue_notice(cmd("RectificationNoticeIssued", recon_notice(), "2023-12-10 10:00", approved=True))
    decide(case)
    with pytest.raises(errors.ValidationFailed):
        case.issue_notice(cmd("RectificationNoticeIssued", recon_notice(1, "review_suggestion"), "2024-01-05 10:00",
                              approved=True))
    n = recon_notice(1)
    case.issue_notice(cmd("RectificationNoticeIssued", n, "2024-01-05 10:00", approved=True))
    close(case)
    case.issue_notice(cmd("RectificationNoticeIssued", recon_notice(2, "reconsideration_suggestion"),
                          "2024-01-21 10:00", approved=True))
    case.serve_notice(cmd("NoticeServed", {"notice_id": n["notice_id"], "method": "mail",
                                           "service_receipt": doc("送达回证")}, "2024-01-22 10:00"))
    (ob,) = case.open_obligations("rectification_report")
    assert ob["due_date"] == "2024-03-22"  # 60 calendar days


# -- corrections and replay --------------------------------------------------------------------------------------------
def test_status_events_are_not_voided_and_legacy_flag_not_corrected():
    case = accepted()
    with pytest.raises(errors.VoidHasDependents):
        case.void_event(cmd("EventVoided", {"target_event_id": event_id(case, "ReconsiderationAcceptanceDecided"),
                                            "reason": "误录"}, "2023-12-16 10:00", approved=True))
    with pytest.raises(errors.CorrectionOfStructuralField):
        case.correct_event(cmd("EventCorrected", {
            "target_event_id": event_id(case, "ReconsiderationApplicationReceived"), "reason": "补录",
            "changes": [{"path": "legacy_import", "old_value_hash": value_hash(False), "new_value": True}]},
            "2023-12-16 10:00", approved=True))


def test_replay_from_pending_events():
    case = accepted("2024-03-01 10:00", received="2024-02-26 10:00")
    suspend(case, "2024-03-11 10:00")
    resume(case, "2024-03-21 10:00")
    close(case, "settled_withdrawn", when="2024-04-01 10:00")
    copy(case, when="2024-04-02 10:00")
    rebuilt = None
    for ev in case.collect_events():
        rebuilt = ev.mutate(rebuilt)
    assert type(rebuilt) is ReconsiderationCase and rebuilt.version == case.version == 6
    assert (rebuilt.status, rebuilt.outcome, rebuilt.procedure) == ("closed", "settled_withdrawn", "ordinary")
    assert rebuilt.obligations == case.obligations and rebuilt.copies == case.copies
    assert recon_decision(rebuilt)["due_date"] == "2024-05-10"


# -- rates and catalogue ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n,d,value", [(3, 84, "3.57%"), (42, 84, "50.00%"), (22, 29, "75.86%"), (24, 95, "25.26%"),
                                       (83, 100, "83.00%"), (1, 800, "0.13%"), (1, 1600, "0.06%"), (1, 8, "12.50%"),
                                       (0, 5, "0.00%"), (5, 5, "100.00%"), (-1, 800, "-0.13%"), (0, 0, "0.00%")])
def test_rate_half_up_with_fraction(n, d, value):
    assert rules.rate(n, d) == {"value": value, "fraction": f"{n}/{d}"}


def test_change_rate_and_outcome_sets():
    assert rules.change_rate(29, 39) == {"value": "-25.64%", "fraction": "-10/39"}
    assert set(get_args(Outcome)) == set(rules.OUTCOMES)
    assert rules.CORRECTION_OUTCOMES == {"changed", "revoked", "partially_revoked", "confirmed_illegal",
                                         "confirmed_invalid", "ordered_to_perform"}
    assert rules.MEDIATION_OUTCOMES == {"mediated", "settled_withdrawn"}


def test_commands_registered():
    specs = load_all()
    handlers = {"receiveReconsiderationApplication": "receive",
                "requestReconsiderationSupplement": "request_supplement",
                "decideReconsiderationAcceptance": "decide_acceptance", "suspendReconsideration": "suspend",
                "resumeReconsideration": "resume", "closeReconsideration": "close", "copyDecision": "copy_decision"}
    for name, handler in handlers.items():
        spec = specs[name]
        assert spec.aggregate == "ReconsiderationCase" and spec.handler == handler
        assert spec.payload.__name__ == spec.event and callable(getattr(ReconsiderationCase, handler))
        assert spec.creates == (name == "receiveReconsiderationApplication")
