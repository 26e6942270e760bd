"""ReviewBatch (domain.md §4.6, §13 scenario 6): sampling, reviews, problems, batch notices, counts check."""

from __future__ import annotations

from uuid import uuid4

import pytest
from pydantic import ValidationError

from domain import errors
from domain.base import value_hash
from domain.catalogue import AL, load_all
from domain.review_batch import ReviewBatch
from domain.values import Actor
from tests.builders import SUPERVISOR, cmd, doc

AGENCIES = ("A01", "A02", "A03", "A04")
PROBLEMS_PER_FILE = {"A01": (7, 8, 7), "A02": (8, 8, 7), "A03": (7, 8, 7), "A04": (8, 8, 7)}  # 22/23/22/23 = 90
TEAM = str(uuid4())
LIAISON_A01 = Actor(user_id="u-liaison-a01", role="agency_liaison", org_id="A01")
RIGHT = {"files_reviewed": 12, "problems_found": 90, "notices_issued": 4, "forms_filled": 12, "units_inspected": 0}


def open_batch(kind: str = "case_file_review", when: str = "2024-03-01 09:00", **kw) -> ReviewBatch:
    data = {"batch_no": "HQ-RB-2024-01", "batch_kind": kind, "title": "2024年3月行政执法案卷月度评查",
            "period_covered": {"start_on": "2023-01-01", "end_on": "2023-12-31"}, "scope_org_ids": list(AGENCIES),
            "plan": doc("评查方案"), "teams": [{"team_id": TEAM, "leader_position": "科长",
                                              "member_user_ids": ["u-staff-1", "u-staff-2"]}]}
    kw.setdefault("approved", True)
    return ReviewBatch.open(cmd("ReviewBatchOpened", data, when, **kw), stream_id=uuid4())


def a_file(agency: str, n: int = 1) -> dict:
    return {"case_file_id": str(uuid4()), "agency_id": agency, "case_ref": f"{agency}-罚字-{n}",
            "enforcement_type": "penalty", "closed_on": "2023-11-30"}


def sample(batch: ReviewBatch, files: list[dict], when: str = "2024-03-04 10:00") -> None:
    batch.sample_files(cmd("CaseFilesSampled", {"files": files, "sampling": "random"}, when))


def review(batch: ReviewBatch, case_file_id: str, when: str = "2024-03-05 10:00", **extra) -> None:
    data = {"case_file_id": case_file_id, "reviewer_user_ids": ["u-staff-1", "u-staff-2"], "score": 85.5,
            "grade": "good", "review_form": doc("行政执法案卷评查表"), **extra}
    batch.review_file(cmd("CaseFileReviewed", data, when))


def problem(agency: str, case_file_id: str | None = None, source: str = "reviewer", **extra) -> dict:
    data = {"problem_id": str(uuid4()), "agency_id": agency, "category": "document_nonstandard",
            "severity": "general", "description": "文书制作不规范", "source": source, **extra}
    return {**data, "case_file_id": case_file_id} if case_file_id else data


def notice(agency: str, n: int, notice_type: str = "review_suggestion") -> dict:
    return {"notice_id": str(uuid4()), "notice_type": notice_type, "doc_number": f"汉渠司评建〔2024〕{n}号",
            "recipient_org_id": agency, "requirements": "对照评查表逐项整改", "document": doc("行政执法案卷评查建议书")}


def close_cmd(counts: dict, when: str = "2024-03-27 10:00", waived: list | None = None, **kw):
    data = {"reported_counts": counts, "report": doc("评查报告")}
    if waived:
        data["waived_files"] = [{"case_file_id": w, "reason": "案卷已移交档案馆"} for w in waived]
    kw.setdefault("approved", True)
    return cmd("ReviewBatchClosed", data, when, **kw)


def run_march(batch: ReviewBatch) -> list[dict]:
    """RB-2024-01: A01–A04 × 3 files, 12 reviews with 评查表, 90 problems, 4 review_suggestion."""
    files = [a_file(a, i) for a in AGENCIES for i in range(3)]
    sample(batch, files)
    for f, count in zip(files, [c for a in AGENCIES for c in PROBLEMS_PER_FILE[a]], strict=True):
        review(batch, f["case_file_id"])
        for _ in range(count):
            batch.record_problem(cmd("ProblemFound", problem(f["agency_id"], f["case_file_id"]), "2024-03-06 10:00"))
    notices = [notice(a, i + 1) for i, a in enumerate(AGENCIES)]
    for n in notices:
        batch.issue_notice(cmd("RectificationNoticeIssued", n, "2024-03-26 10:00", approved=True))
    return notices


def replay(agg: ReviewBatch) -> ReviewBatch:
    rebuilt = None
    for ev in agg.collect_events():
        rebuilt = ev.mutate(rebuilt)
    return rebuilt


def event_id(agg: ReviewBatch, event_type: str) -> str:
    return next(eid for eid, e in agg.index.items() if e["type"] == event_type)


# -- scenario 6 ----------------------------------------------------------------------------------------------
def test_scenario_6_counts_mismatch_then_close_and_notices_followed_up_after_close():
    batch = open_batch()
    notices = run_march(batch)
    assert batch.derived_counts() == RIGHT
    with pytest.raises(errors.BatchCountsMismatch) as exc:
        batch.close(close_cmd({**RIGHT, "problems_found": 91}))
    assert exc.value.details["mismatches"] == {"problems_found": {"reported": 91, "derived": 90}}
    assert batch.status == "open"
    batch.close(close_cmd(RIGHT))
    assert batch.status == "closed" and batch.batch_no == "HQ-RB-2024-01"
    for n in notices:  # served 03-28 → due 04-28 (a Sunday 调休 working day), after the close
        batch.serve_notice(cmd("NoticeServed", {"notice_id": n["notice_id"], "method": "direct",
                                                "service_receipt": doc("送达回证")}, "2024-03-28 10:00"))
    dues = {ob["due_date"] for ob in batch.open_obligations("rectification_report")}
    assert dues == {"2024-04-28"}
    n = notices[0]
    batch.report_rectification(cmd("RectificationReported", {"notice_id": n["notice_id"], "report": doc("整改报告"),
                                   "completion": "complete", "measures": "已整改"}, "2024-04-10 10:00",
                                   actor=LIAISON_A01))
    batch.verify_rectification(cmd("RectificationVerified", {"notice_id": n["notice_id"], "result": "accepted",
                                   "method": "case_file_recheck", "reasons": "整改到位"}, "2024-04-15 10:00",
                                   approved=True))
    assert batch.notices[n["notice_id"]]["status"] == "closed_rectified"


def test_replay_from_pending_events_rebuilds_the_same_state():
    batch = open_batch()
    run_march(batch)
    batch.close(close_cmd(RIGHT))
    rebuilt = replay(batch)
    assert type(rebuilt) is ReviewBatch and rebuilt.id == batch.id and rebuilt.version == batch.version
    assert rebuilt.status == "closed" and rebuilt.derived_counts() == RIGHT
    assert rebuilt.files == batch.files and rebuilt.reviews == batch.reviews and rebuilt.notices == batch.notices
    assert len(rebuilt.problems) == 90


# -- opening and four eyes -----------------------------------------------------------------------------------
def test_open_needs_approval_not_self_not_conflicted():
    with pytest.raises(errors.ApprovalRequired):
        open_batch(approved=False)
    with pytest.raises(errors.SelfApprovalForbidden):
        open_batch(actor=SUPERVISOR, approved=SUPERVISOR)
    with pytest.raises(errors.ConflictOfInterest):
        open_batch(conflicted={SUPERVISOR.user_id})


def test_batch_no_pattern_and_optional():
    data = {"batch_no": "HQ-RB-24-1", "batch_kind": "self_inspection", "title": "t",
            "period_covered": {"start_on": "2024-01-01", "end_on": "2024-06-30"}, "scope_org_ids": ["A01"],
            "plan": doc(), "teams": [{"team_id": TEAM, "leader_position": "科长", "member_user_ids": ["u"]}]}
    with pytest.raises(ValidationError):
        cmd("ReviewBatchOpened", data, "2024-05-06 09:00", approved=True)
    del data["batch_no"]
    batch = ReviewBatch.open(cmd("ReviewBatchOpened", data, "2024-05-06 09:00", approved=True), stream_id=uuid4())
    assert batch.batch_no is None and batch.batch_kind == "self_inspection"


# -- sampling and reviews --------------------------------------------------------------------------------------
def test_sampling_only_in_an_open_case_file_review_batch():
    with pytest.raises(errors.InvalidTransition):
        sample(open_batch("self_inspection"), [a_file("A01")])
    batch = open_batch()
    f = a_file("A01")
    sample(batch, [f])
    with pytest.raises(errors.ValidationFailed):
        sample(batch, [f])
    with pytest.raises(errors.ValidationFailed):
        sample(batch, [a_file("A99")])
    with pytest.raises(errors.OccurredBeforePredecessor):
        sample(batch, [a_file("A02")], when="2024-02-28 10:00")


def test_review_only_sampled_and_once():
    batch = open_batch()
    f = a_file("A01")
    sample(batch, [f])
    with pytest.raises(errors.NotFound):
        review(batch, str(uuid4()))
    with pytest.raises(errors.OccurredBeforePredecessor):
        review(batch, f["case_file_id"], when="2024-03-03 10:00")
    review(batch, f["case_file_id"])
    with pytest.raises(errors.InvalidTransition):
        review(batch, f["case_file_id"])


@pytest.mark.parametrize("extra", [{"score": 89.9, "grade": "excellent"}, {"score": 59.9, "grade": "pass"},
                                   {"score": 85.55, "grade": "good"}, {"score": 100.5, "grade": "excellent"},
                                   {"reviewer_user_ids": ["u-staff-1"]},
                                   {"reviewer_user_ids": ["u-staff-1", "u-staff-1"]}])
def test_review_payload_rules(extra):
    data = {"case_file_id": str(uuid4()), "reviewer_user_ids": ["u-staff-1", "u-staff-2"], "score": 85.5,
            "grade": "good", **extra}
    with pytest.raises(ValidationError):
        cmd("CaseFileReviewed", data, "2024-03-05 10:00")


@pytest.mark.parametrize("score,grade", [(90, "excellent"), (80, "good"), (60, "pass"), (59.9, "fail"), (0, "fail")])
def test_grade_boundaries(score, grade):
    batch = open_batch()
    f = a_file("A02")
    sample(batch, [f])
    review(batch, f["case_file_id"], score=score, grade=grade)
    assert batch.is_reviewed(f["case_file_id"])


# -- inspections and problems -------------------------------------------------------------------------------------
def inspect(batch: ReviewBatch, agency: str = "A01", team: str = TEAM) -> None:
    batch.inspect_unit(cmd("UnitInspected", {"agency_id": agency, "team_id": team,
                                             "methods": ["hearing_report", "site_visit"]}, "2024-05-20 10:00"))


def test_units_inspected_only_in_inspection_batches():
    with pytest.raises(errors.InvalidTransition):
        inspect(open_batch())
    for kind in ("rule_of_law_inspection", "special_inspection_followup"):
        batch = open_batch(kind)
        inspect(batch)
        assert batch.derived_counts()["units_inspected"] == 1
    with pytest.raises(errors.NotFound):
        inspect(batch, team=str(uuid4()))
    with pytest.raises(errors.ValidationFailed):
        inspect(batch, agency="T09")


def test_liaison_records_only_its_own_self_report():
    batch = open_batch("self_inspection")
    batch.record_problem(cmd("ProblemFound", problem("A01", source="self_report"), "2024-03-05 10:00",
                             actor=LIAISON_A01))
    with pytest.raises(errors.NotAuthorized):
        batch.record_problem(cmd("ProblemFound", problem("A02", source="self_report"), "2024-03-05 10:00",
                                 actor=LIAISON_A01))
    with pytest.raises(errors.NotAuthorized):
        batch.record_problem(cmd("ProblemFound", problem("A01"), "2024-03-05 10:00", actor=LIAISON_A01))
    batch.record_problem(cmd("ProblemFound", problem("A02", source="self_report"), "2024-03-05 10:00"))  # on behalf
    assert batch.derived_counts()["problems_found"] == 2


def test_problem_rules():
    batch = open_batch()
    f = a_file("A01")
    sample(batch, [f])
    p = problem("A01", f["case_file_id"])
    batch.record_problem(cmd("ProblemFound", p, "2024-03-05 10:00"))
    with pytest.raises(errors.ValidationFailed):
        batch.record_problem(cmd("ProblemFound", p, "2024-03-05 10:00"))
    with pytest.raises(errors.NotFound):
        batch.record_problem(cmd("ProblemFound", problem("A01", str(uuid4())), "2024-03-05 10:00"))
    with pytest.raises(errors.ValidationFailed):
        batch.record_problem(cmd("ProblemFound", problem("A02", f["case_file_id"]), "2024-03-05 10:00"))


# -- closing ------------------------------------------------------------------------------------------------------
def test_close_needs_every_sampled_file_reviewed_or_waived():
    batch = open_batch()
    files = [a_file("A01", i) for i in range(2)]
    sample(batch, files)
    review(batch, files[0]["case_file_id"])
    counts = {**RIGHT, "files_reviewed": 1, "problems_found": 0, "notices_issued": 0, "forms_filled": 1}
    with pytest.raises(errors.InvalidTransition):
        batch.close(close_cmd(counts))
    with pytest.raises(errors.ValidationFailed):
        batch.close(close_cmd(counts, waived=[files[0]["case_file_id"]]))
    with pytest.raises(errors.NotFound):
        batch.close(close_cmd(counts, waived=[str(uuid4())]))
    with pytest.raises(errors.ApprovalRequired):
        batch.close(close_cmd(counts, waived=[files[1]["case_file_id"]], approved=False))
    with pytest.raises(errors.SelfApprovalForbidden):
        batch.close(close_cmd(counts, waived=[files[1]["case_file_id"]], actor=SUPERVISOR, approved=SUPERVISOR))
    batch.close(close_cmd(counts, waived=[files[1]["case_file_id"]]))
    assert batch.status == "closed" and list(batch.waived) == [files[1]["case_file_id"]]


def test_forms_filled_counts_reviews_with_a_form():
    batch = open_batch()
    files = [a_file("A03", i) for i in range(2)]
    sample(batch, files)
    review(batch, files[0]["case_file_id"])
    batch.review_file(cmd("CaseFileReviewed", {"case_file_id": files[1]["case_file_id"], "score": 91,
                                               "reviewer_user_ids": ["u-staff-1", "u-staff-2"],
                                               "grade": "excellent"}, "2024-03-05 11:00"))
    counts = {"files_reviewed": 2, "problems_found": 0, "notices_issued": 0, "forms_filled": 1, "units_inspected": 0}
    assert batch.derived_counts() == counts
    with pytest.raises(errors.BatchCountsMismatch):
        batch.close(close_cmd({**counts, "forms_filled": 2}))
    batch.close(close_cmd(counts))


def test_nothing_new_after_close_but_follow_up_of_issued_notices():
    batch = open_batch("rule_of_law_inspection")
    inspect(batch)
    n = notice("A01", 1, "inspection_feedback")
    batch.issue_notice(cmd("RectificationNoticeIssued", n, "2024-05-21 10:00", approved=True))
    counts = {"files_reviewed": 0, "problems_found": 0, "notices_issued": 1, "forms_filled": 0, "units_inspected": 1}
    with pytest.raises(errors.OccurredBeforePredecessor):
        batch.close(close_cmd(counts, when="2024-05-20 12:00"))
    batch.close(close_cmd(counts, when="2024-06-14 10:00"))
    with pytest.raises(errors.InvalidTransition):
        batch.record_problem(cmd("ProblemFound", problem("A01", source="inspection"), "2024-06-15 10:00"))
    with pytest.raises(errors.InvalidTransition):
        inspect(batch)
    with pytest.raises(errors.InvalidTransition):
        batch.issue_notice(cmd("RectificationNoticeIssued", notice("A02", 2, "inspection_feedback"),
                               "2024-06-15 10:00", approved=True))
    with pytest.raises(errors.InvalidTransition):
        batch.close(close_cmd(counts, when="2024-06-16 10:00"))
    batch.serve_notice(cmd("NoticeServed", {"notice_id": n["notice_id"], "method": "direct",
                                            "service_receipt": doc("送达回证")}, "2024-06-17 10:00"))
    assert batch.open_obligations("rectification_report")[0]["due_date"] == "2024-07-17"
    batch.publish_notification(cmd("NotificationPublished", {
        "notification_id": str(uuid4()), "scope": "government_wide", "tone": "criticism",
        "doc_number": "汉渠督通〔2024〕1号", "document": doc("督察通报")}, "2024-06-18 10:00", approved=True))
    assert len(batch.notifications) == 1


def test_batch_notice_types_and_doc_numbers():
    batch = open_batch()
    with pytest.raises(errors.ValidationFailed):
        batch.issue_notice(cmd("RectificationNoticeIssued", notice("A01", 1, "rectification_notice"),
                               "2024-03-26 10:00", approved=True))
    batch.issue_notice(cmd("RectificationNoticeIssued", notice("A01", 1), "2024-03-26 10:00", approved=True))
    with pytest.raises(errors.DuplicateDocNumber):
        batch.issue_notice(cmd("RectificationNoticeIssued", notice("A02", 1), "2024-03-26 10:00", approved=True))
    with pytest.raises(errors.ApprovalRequired):
        batch.issue_notice(cmd("RectificationNoticeIssued", notice("A02", 2), "2024-03-26 10:00"))


# -- corrections -----------------------------------------------------------------------------------------------------
def test_voided_events_leave_the_counts_and_closed_batches_keep_theirs():
    batch = open_batch()
    f = a_file("A04")
    sample(batch, [f])
    batch.record_problem(cmd("ProblemFound", problem("A04"), "2024-03-05 10:00"))
    pid = event_id(batch, "ProblemFound")
    batch.void_event(cmd("EventVoided", {"target_event_id": pid, "reason": "重复录入"}, "2024-03-06 10:00",
                         approved=True))
    assert batch.derived_counts()["problems_found"] == 0
    review(batch, f["case_file_id"])
    with pytest.raises(errors.VoidHasDependents):  # the sampled file is reviewed
        batch.void_event(cmd("EventVoided", {"target_event_id": event_id(batch, "CaseFilesSampled"),
                                             "reason": "抽样错误"}, "2024-03-06 11:00", approved=True))
    counts = {"files_reviewed": 1, "problems_found": 0, "notices_issued": 0, "forms_filled": 1, "units_inspected": 0}
    batch.close(close_cmd(counts))
    with pytest.raises(errors.VoidHasDependents):
        batch.void_event(cmd("EventVoided", {"target_event_id": event_id(batch, "CaseFileReviewed"),
                                             "reason": "评查有误"}, "2024-03-28 10:00", approved=True))
    with pytest.raises(errors.CorrectionOfStructuralField):
        batch.correct_event(cmd("EventCorrected", {
            "target_event_id": event_id(batch, "ReviewBatchClosed"), "reason": "笔误",
            "changes": [{"path": "reported_counts.problems_found", "old_value_hash": value_hash(0), "new_value": 1}]},
            "2024-03-28 10:00", approved=True))


# -- catalogue ---------------------------------------------------------------------------------------------------------
def test_commands_registered():
    specs = load_all()
    names = {"openReviewBatch": "ReviewBatchOpened", "sampleCaseFiles": "CaseFilesSampled",
             "reviewCaseFile": "CaseFileReviewed", "inspectUnit": "UnitInspected", "recordProblem": "ProblemFound",
             "closeReviewBatch": "ReviewBatchClosed"}
    for name, ev in names.items():
        spec = specs[name]
        assert spec.event == ev and spec.aggregate == "ReviewBatch" and callable(getattr(ReviewBatch, spec.handler))
        assert spec.payload.__name__ == ev and spec.creates == (name == "openReviewBatch")
        assert (AL in spec.who) == (name == "recordProblem")
