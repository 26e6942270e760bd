"""History rules on the Clue aggregate: corrections and voids (rule 17, scenario 4) and a refused
command that must leave nothing behind (objection upheld on a clue that is no longer closed)."""

from __future__ import annotations

import pytest

from domain import errors
from domain.base import value_hash
from tests.builders import SUPERVISOR, doc
from tests.unit.clue_story import Story, walk


def substantiated() -> Story:
    return walk("under_verification").finding()


# -- rule 17: corrections and voids (scenario 4) -------------------------------------------------------------
def correction(target: object, path: str, old: object, new: object) -> dict[str, object]:
    return {"target_event_id": target.meta["event_id"], "reason": "笔误",  # type: ignore[attr-defined]
            "changes": [{"path": path, "old_value_hash": value_hash(old), "new_value": new}]}


def test_scenario_4_correcting_a_finding() -> None:
    s = substantiated()
    finding = s.last("FindingRecorded")
    s.refuse(errors.CorrectionOfStructuralField, "EventCorrected",
             correction(finding, "conclusion", "substantiated", "unsubstantiated"), approved=True)
    s.refuse(errors.CorrectionOfStructuralField, "EventCorrected",
             correction(finding, "finding_id", finding.data["finding_id"], s.id("x")), approved=True)
    s.refuse(errors.CorrectionOfStructuralField, "EventCorrected",
             correction(finding, "responsible_agency_ids", ["A03"], ["A04"]), approved=True)
    fix = correction(finding, "summary", finding.data["summary"], "执法过程简单粗暴,未出示执法证件,态度恶劣")
    s.refuse(errors.SelfApprovalForbidden, "EventCorrected", fix, actor=SUPERVISOR, approved=SUPERVISOR)
    s.refuse(errors.ApprovalRequired, "EventCorrected", fix)
    s.refuse(errors.ValidationFailed, "EventCorrected", correction(finding, "summary", "别的文字", "x"), approved=True)
    s.do("EventCorrected", fix, approved=True)
    assert s.clue.corrections[finding.meta["event_id"]][0]["changes"][0]["new_value"].endswith("态度恶劣")
    assert s.clue.finding["summary"] == finding.data["summary"]  # the stored event itself never changes


def test_void_with_dependents_is_refused() -> None:
    s = substantiated()
    s.issue()
    s.serve()
    issued = s.last("RectificationNoticeIssued")
    s.refuse(errors.VoidHasDependents, "EventVoided", {"target_event_id": issued.meta["event_id"], "reason": "x"},
             approved=True)
    s.do("EvidenceRecorded", {"evidence_id": s.id("e1"), "kind": "document", "documents": [doc()],
                              "description": "询问笔录"})
    s.do("EventVoided", {"target_event_id": s.last("EvidenceRecorded").meta["event_id"], "reason": "重复"},
         approved=True)


@pytest.mark.parametrize("target", ["ClueReceived", "ClueRegistered", "ClueScreened", "SupervisionCaseOpened",
                                    "ClueClosed"])
def test_status_events_cannot_be_voided(target: str) -> None:
    """Fixed in 440055c (Clue.status_events): only informational events may be voided."""
    s = walk("closed")
    s.refuse(errors.VoidHasDependents, "EventVoided", {"target_event_id": s.last(target).meta["event_id"],
                                                       "reason": "x"}, approved=True)


def test_the_finding_a_notice_relies_on_cannot_be_voided() -> None:
    s = substantiated()
    s.issue()
    s.refuse(errors.VoidHasDependents, "EventVoided", {"target_event_id": s.last("FindingRecorded").meta["event_id"],
                                                       "reason": "x"}, approved=True)


def test_objection_upheld_on_a_reopened_clue_records_nothing() -> None:
    s = walk("closed")
    s.do("ReporterFeedbackSent", {"feedback_kind": "result", "recipient": "hotline_platform", "method": "platform",
                                  "delivery": "delivered"})
    s.do("ObjectionRecorded", {"objection_id": s.id("o1"), "from_token": "pt_" + "b" * 26, "grounds": "不服处理结果"})
    s.reopen()  # reopened on new evidence while the objection is under review
    s.refuse(errors.ReopenNotClosed, "ObjectionResolved", {"objection_id": s.id("o1"), "result": "upheld",
                                                           "explanation": "异议成立"}, approved=True)
