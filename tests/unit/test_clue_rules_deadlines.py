"""Deadlines through the Clue aggregate (§6, rules 15–16): scenario 1 (D1), NoticeOverdue, reminders,
escalation, suspension pausing/resumption, extensions (D4) — pure domain, no store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from domain import errors, obligations
from domain.values import Actor
from tests.builders import SUPERVISOR, SUPERVISOR2, at, doc
from tests.unit.clue_story import LIAISON, SCHEDULER, Story


def overdue_data(s: Story, ob: dict[str, Any], due_at: str | None = None) -> dict[str, Any]:
    return {"notice_id": s.id("n1"), "obligation_id": ob["obligation_id"], "due_at": due_at or ob["due_at"]}


def d1_served() -> Story:
    """D1 (HQ-JD-2024-0001) up to the 整改通知书 served on Sunday 2024-02-04 (调休 working day)."""
    s = Story("2024-01-15 09:00", channel="hotline_12345", agencies=("A02",))
    s.register(when="2024-01-15 10:00")
    s.do("ReceiptAcknowledged", {"method": "platform", "recipient": "hotline_platform"})
    s.screen(when="2024-01-19 09:00").open_case(when="2024-01-22 09:00").start_verification()
    s.finding(when="2024-02-01 09:00")
    s.issue(when="2024-02-02 09:00")
    return s.serve(when="2024-02-04 10:00")


def test_scenario_1_d1_from_service_to_closure() -> None:
    s = d1_served()
    ob = s.obligation("rectification_report")
    assert (ob["due_date"], ob["due_at"]) == ("2024-03-05", "2024-03-06T00:00:00+08:00")
    assert ob["pausable"] and ob["obligor"] == "agency"
    assert not obligations.is_overdue(ob, at("2024-03-05 23:59"))
    s.refuse(errors.InvalidTransition, "NoticeEscalated", {   # not overdue yet, not rejected
        "notice_id": s.id("n1"), "level": 1, "escalation_type": "reminder_chain", "reason": "拖延"},
        approved=True, when="2024-03-01 09:00")
    # at as_of 03-06: rectifying and overdue; NoticeOverdue only from the scheduler, at due_at, with its key
    assert s.clue.status == "rectifying" and obligations.is_overdue(ob, at("2024-03-06 00:00"))
    key = f"overdue:{ob['obligation_id']}:{ob['due_at']}"
    kw = {"actor": SCHEDULER, "recorded": "2024-03-06 00:00"}
    s.refuse(errors.ValidationFailed, "NoticeOverdue", overdue_data(s, ob), when="2024-03-06 00:05", key=key, **kw)
    s.refuse(errors.ValidationFailed, "NoticeOverdue", overdue_data(s, ob), when="2024-03-06 00:00",
             key=f"overdue:{ob['obligation_id']}", **kw)
    s.refuse(errors.ValidationFailed, "NoticeOverdue", overdue_data(s, ob, "2024-03-05T00:00:00+08:00"),
             when="2024-03-06 00:00", key=key, **kw)
    s.refuse(errors.InvalidTransition, "NoticeOverdue", overdue_data(s, ob), when="2024-03-06 00:00", key=key,
             actor=SCHEDULER, recorded="2024-03-05 23:00")  # the scheduler cannot run ahead of due_at
    s.do("NoticeOverdue", overdue_data(s, ob), when="2024-03-06 00:00", key=key, **kw)
    overdue = s.last("NoticeOverdue")
    assert overdue.meta["occurred_at"] == "2024-03-06T00:00:00+08:00" and overdue.meta["idempotency_key"] == key
    # 催办 03-06 (due 03-13), escalation 03-14, 警示约谈 03-20
    s.do("ReminderIssued", {"target": s.id("n1"), "reminder_kind": "urge", "document": doc("催办通知单"),
                            "response_period": {"length": 5, "unit": "working_day"}}, when="2024-03-06 09:00")
    reminder = s.obligation("reminder_response")
    assert reminder["due_date"] == "2024-03-13" and reminder["subject"] == s.id("n1")
    s.do("NoticeEscalated", {"notice_id": s.id("n1"), "level": 1, "escalation_type": "interview",
                             "reason": "逾期未报告整改情况"}, approved=True, when="2024-03-14 09:00")
    assert s.clue.notices[s.id("n1")]["escalation_level"] == 1
    s.schedule_interview(when="2024-03-15 09:00").hold_interview(when="2024-03-20 09:00")
    s.report(when="2024-03-28 09:00")  # late: at/after due_at
    assert ob["status"] == "completed" and datetime.fromisoformat(ob["completed_at"]) >= \
        datetime.fromisoformat(ob["due_at"])
    assert reminder["status"] == "completed"
    assert s.obligation("rectification_verification")["status"] == "open"
    s.verify_rectification(when="2024-04-03 09:00")
    s.close("rectified", when="2024-04-22 09:00")
    feedback = s.obligation("feedback_result")
    assert feedback["due_date"] == "2024-05-14"
    s.do("ReporterFeedbackSent", {"feedback_kind": "result", "recipient": "hotline_platform", "method": "platform",
                                  "delivery": "delivered", "satisfaction": "satisfied"}, when="2024-04-24 09:00")
    assert feedback["status"] == "completed" and s.clue.status == "closed"


def test_overdue_escalation_also_follows_a_rejected_verification() -> None:
    s = d1_served()
    s.report(when="2024-02-20 09:00").verify_rectification(result="rejected", when="2024-02-22 09:00")
    s.do("NoticeEscalated", {"notice_id": s.id("n1"), "level": 2, "escalation_type": "listed_supervision",
                             "reason": "整改不到位"}, approved=True, when="2024-02-23 09:00")
    assert s.clue.notices[s.id("n1")]["listed"]


def test_a_reminder_needs_an_open_target() -> None:
    s = d1_served()
    s.refuse(errors.InvalidTransition, "ReminderIssued", {
        "target": s.id("nothing"), "reminder_kind": "urge", "document": doc(),
        "response_period": {"length": 5, "unit": "working_day"}})


# -- suspension pauses, resumption moves pausable obligations (§6.1 "paused") --------------------------------
def test_suspension_pauses_a_calendar_obligation_and_resumption_adds_the_days() -> None:
    s = Story("2024-03-04 09:00").register().screen().open_case(when="2024-03-11 10:00").start_verification()
    ob = s.obligation("verification_period")
    assert ob["due_date"] == "2024-05-10"
    ack = s.obligation("acknowledgment")  # not pausable (row 2), and overdue anyway
    s.suspend(when="2024-03-18 10:00")
    assert ob["status"] == "paused" and ack["status"] == "open"
    pauses = s.last("ClueSuspended").meta["deadline_refs"]
    assert {r["obligation_id"] for r in pauses} == {ob["obligation_id"]}
    s.resume(when="2024-03-28 10:00")
    assert ob["status"] == "open" and ob["due_date"] == "2024-05-20"  # + 10 days paused
    assert ob["due_at"] == "2024-05-21T00:00:00+08:00" and ack["due_date"] == "2024-03-06"


def test_suspension_pauses_a_working_day_obligation_and_resumption_restarts_the_remainder() -> None:
    s = Story("2024-03-04 09:00").register(when="2024-03-04 10:00")
    ob = s.obligation("screening")
    assert ob["due_date"] == "2024-03-18"
    s.suspend(when="2024-03-06 10:00")  # 03-05 and 03-06 elapsed (the suspension day counts): 8 remain
    assert ob["status"] == "paused"
    s.resume(when="2024-03-11 10:00")
    assert ob["status"] == "open" and ob["due_date"] == "2024-03-21"


def test_an_already_overdue_obligation_is_not_paused() -> None:
    s = Story("2024-03-04 09:00", channel="letter_visit").register().screen(when="2024-03-04 15:00")
    opening, handling = s.obligation("case_opening"), s.obligation("letter_visit_handling")
    assert opening["due_date"] == "2024-03-11"
    s.suspend(when="2024-03-14 10:00")
    assert opening["status"] == "open" and handling["status"] == "paused"
    s.resume(when="2024-03-20 10:00")
    assert opening["due_date"] == "2024-03-11" and obligations.is_overdue(opening, at("2024-03-20 10:00"))


# -- extensions (rule 15), D4 --------------------------------------------------------------------------------
def d4_served() -> Story:
    """D4: letter_visit against A01, valid 03-11, 执法监督意见书 served 04-15."""
    s = Story("2024-03-04 09:00", channel="letter_visit", agencies=("A01",))
    s.register(when="2024-03-06 09:00").screen(when="2024-03-11 09:00").open_case(when="2024-03-13 09:00")
    s.start_verification().finding(when="2024-04-10 09:00")
    s.issue("n1", "supervision_opinion", when="2024-04-12 09:00")
    return s.serve(when="2024-04-15 09:00")


def test_d4_letter_visit_handling_extended_by_30_days() -> None:
    s = d4_served()
    ob = s.obligation("letter_visit_handling")
    assert ob["due_date"] == "2024-05-10"
    grant = {"obligation_id": ob["obligation_id"], "granted": {"length": 30, "unit": "calendar_day"}}
    s.refuse(errors.ApprovalRequired, "DeadlineExtensionGranted", grant, actor=SUPERVISOR, when="2024-05-08 09:00")
    s.refuse(errors.ValidationFailed, "DeadlineExtensionGranted", {**grant, "new_due_date": "2024-06-09"},
             actor=SUPERVISOR, approved=SUPERVISOR2, when="2024-05-08 09:00")
    s.refuse(errors.ExtensionLimitExceeded, "DeadlineExtensionGranted",
             {**grant, "granted": {"length": 45, "unit": "calendar_day"}}, actor=SUPERVISOR, approved=SUPERVISOR2,
             when="2024-05-08 09:00")
    s.do("DeadlineExtensionGranted", grant, actor=SUPERVISOR, approved=SUPERVISOR2, when="2024-05-08 09:00")
    assert s.last("DeadlineExtensionGranted").data["new_due_date"] == "2024-06-11"  # 06-09 Sun, 06-10 端午
    assert (ob["due_date"], ob["due_at"], ob["extensions"]) == ("2024-06-11", "2024-06-12T00:00:00+08:00", 1)
    assert ob["original_due_at"] == "2024-05-11T00:00:00+08:00"
    s.refuse(errors.ExtensionLimitExceeded, "DeadlineExtensionGranted",
             {**grant, "granted": {"length": 5, "unit": "calendar_day"}}, actor=SUPERVISOR, approved=SUPERVISOR2)
    s.report(when="2024-05-10 09:00").verify_rectification(when="2024-05-20 09:00")
    s.close("rectified", when="2024-05-27 09:00")
    s.do("ReporterFeedbackSent", {"feedback_kind": "result", "recipient": "pt_" + "a" * 26, "method": "letter",
                                  "delivery": "delivered"}, when="2024-05-29 09:00")
    assert ob["status"] == "completed"


def request(s: Story, ob: dict[str, Any], days: int = 15) -> dict[str, Any]:
    return {"obligation_id": ob["obligation_id"], "requested": {"length": days, "unit": "calendar_day"},
            "reason": "整改涉及多部门,需延期"}


@pytest.mark.parametrize("when", ["2024-05-16 00:00", "2024-05-20 09:00"])
def test_extension_requested_at_or_after_due_is_refused(when: str) -> None:
    s = d4_served()
    ob = s.obligation("rectification_report")
    assert ob["due_at"] == "2024-05-16T00:00:00+08:00"
    s.refuse(errors.ExtensionAfterDue, "DeadlineExtensionRequested", request(s, ob), when=when, actor=LIAISON_A01)


LIAISON_A01 = Actor(user_id="u-liaison-a01", role="agency_liaison", org_id="A01")


def test_extension_request_grant_and_limits() -> None:
    s = d4_served()
    ob = s.obligation("rectification_report")
    s.refuse(errors.NotAuthorized, "DeadlineExtensionRequested", request(s, ob), actor=LIAISON)  # A03's liaison
    s.refuse(errors.ExtensionLimitExceeded, "DeadlineExtensionRequested", request(s, ob, days=31),
             actor=LIAISON_A01)
    s.do("DeadlineExtensionRequested", request(s, ob), actor=LIAISON_A01, when="2024-05-06 09:00")
    assert ob["extension_pending"]
    s.refuse(errors.InvalidTransition, "DeadlineExtensionRequested", request(s, ob), actor=LIAISON_A01)
    s.do("DeadlineExtensionGranted", {"obligation_id": ob["obligation_id"],
                                      "granted": {"length": 15, "unit": "calendar_day"}},
         actor=SUPERVISOR, approved=SUPERVISOR2, when="2024-05-07 09:00")
    assert ob["due_date"] == "2024-05-30" and not ob["extension_pending"]  # 05-15 + 15
    s.refuse(errors.ExtensionLimitExceeded, "DeadlineExtensionRequested", request(s, ob, days=5), actor=LIAISON_A01)


def test_extension_grant_without_a_request_is_refused_for_ordinary_obligations() -> None:
    s = d4_served()
    ob = s.obligation("rectification_report")
    s.refuse(errors.InvalidTransition, "DeadlineExtensionGranted", {
        "obligation_id": ob["obligation_id"], "granted": {"length": 10, "unit": "calendar_day"}},
        actor=SUPERVISOR, approved=SUPERVISOR2)


def test_a_31_day_extension_is_refused_even_when_rolling_hides_it() -> None:
    s = d4_served()
    ob = s.obligation("letter_visit_handling")  # due 05-10: +30 → 06-09 Sun → 06-11; +31 → 06-10 端午 → 06-11
    s.refuse(errors.ExtensionLimitExceeded, "DeadlineExtensionGranted", {
        "obligation_id": ob["obligation_id"], "granted": {"length": 31, "unit": "calendar_day"}},
        actor=SUPERVISOR, approved=SUPERVISOR2, when="2024-05-08 09:00")
