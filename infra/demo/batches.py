"""Review batches of ``demo_2024`` (domain.md §12.1 "Batches"; seed figures Q2–Q7).

HQ-RB-2024-01/02 monthly case-file reviews (Q5), -03 the annual review (Q6, reviewed in Part B), -04
自查自纠 (Q7), -05 专项督察回头看 work tip letters (Q2), -06 法治督察 (Q3, Q4). Batch numbers are gapless in
opening order, so the annual review and the self-inspection are opened (plans issued) in April, before the
follow-up campaign whose letters went out on 04-22; their activity keeps the dates of §12.1.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from domain.catalogue.review import grade_for
from infra.demo.batch_texts import (
    CASE_FILE_PROBLEMS,
    CASE_REF_PREFIX,
    ENFORCEMENT_TYPES,
    INSPECTION_FEEDBACK,
    MEASURES,
    REVIEW_SUGGESTION,
    SELF_REPORTED,
    SEVERITY_POINTS,
    WORK_TIP,
)
from infra.demo.plan import CALENDAR, CST, Plan, d, obligation_of, working_days
from infra.demo.registry import SCHEDULER, STAFF, SUP1, SUP2, UNITS, liaison

ST1, ST2, ST3, ST4, ST5, ST6 = STAFF


def spread(n: int, days: list[date]) -> list[date]:
    """n dates spread evenly (in order) over ``days``."""
    return [days[i * len(days) // n] for i in range(n)]


class Batch:
    """Buffers a batch stream's steps by day, then plans them in time order with free slots of each day."""

    def __init__(self, plan: Plan, code: str) -> None:
        self.plan, self.code, self.id = plan, code, plan.uid("batch", code)
        plan.ids.setdefault("batches", {})[code] = str(self.id)
        self.pending: list[tuple[date, int, datetime | None, dict[str, Any]]] = []

    def __call__(self, command: str, data: Any, day: str | date | datetime, who: dict[str, str],
                 *approvers: dict[str, str], key: str, **meta: Any) -> None:
        at = day if isinstance(day, datetime) else None
        when = at.date() if at else (d(day) if isinstance(day, str) else day)
        self.pending.append((when, len(self.pending), at, {"command": command, "input": data, "actor": who,
                                                           "approvers": approvers, "key": f"{self.code}:{key}",
                                                           **meta}))

    def flush(self) -> None:
        for when, _, at, step in sorted(self.pending, key=lambda p: (p[0], p[2] is None, p[1])):
            self.plan.add(step.pop("command"), step.pop("input"), at=at or self.plan.slot(when),
                          stream=self.id, **{"actor": step.pop("actor"), **step})
        self.pending.clear()

    def uid(self, *parts: Any) -> str:
        return self.plan.sid("batch", self.code, *parts)

    def doc(self, name: str, key: str, number: str | None = None, **kw: Any) -> dict[str, Any]:
        return self.plan.doc(name, f"{self.code}:{key}", number=number, **kw)

    def open(self, day: str, who: dict[str, str], approver: dict[str, str], *, kind: str, title: str,
             scope: list[str], covered: tuple[str, str], teams: list[tuple[str, list[dict[str, str]]]],
             standard: str | None = None) -> None:
        data = {"batch_kind": kind, "title": title, "scope_org_ids": scope,
                "period_covered": {"start_on": covered[0], "end_on": covered[1]},
                "plan": self.doc(f"{title}工作方案", "plan"),
                "teams": [{"team_id": self.uid("team", n), "leader_position": leader,
                           "member_user_ids": [m["user_id"] for m in members]}
                          for n, (leader, members) in enumerate(teams, 1)]}
        if standard:
            data["standard"] = standard
        self("openReviewBatch", data, day, who, approver, key="open")

    def notice(self, n: int, *, kind: str, number: str, doc_name: str, recipient: str, requirements: str,
               issue: str, serve: str, report: str | date, verify: str | date, who: dict[str, str],
               approver: dict[str, str], refs: list[str] = (), serve_by: dict[str, str] | None = None) -> str:
        nid = self.uid("notice", n)
        self("issueNoticeInBatch", {"notice_id": nid, "notice_type": kind, "doc_number": number,
                                    "recipient_org_id": recipient, "problem_refs": list(refs),
                                    "requirements": requirements,
                                    "document": self.doc(doc_name, f"notice:{n}", number)},
             issue, who, approver, key=f"notice:{n}:issue")
        self("serveNoticeInBatch", {"notice_id": nid, "method": "direct",
                                    "service_receipt": self.doc(f"送达回证({number})", f"receipt:{n}")},
             serve, serve_by or who, key=f"notice:{n}:serve")
        self("reportRectificationInBatch", {"notice_id": nid, "completion": "complete",
                                            "report": self.doc(f"关于{number}的整改报告", f"report:{n}"),
                                            "measures": MEASURES[n % len(MEASURES)]},
             report, liaison(recipient), key=f"notice:{n}:report")
        self("verifyRectificationInBatch", {"notice_id": nid, "result": "accepted", "method": "document_review",
                                            "reasons": "审查整改报告及佐证材料,整改措施落实到位"},
             verify, who, approver, key=f"notice:{n}:verify")
        return nid

    def close(self, day: str, who: dict[str, str], approver: dict[str, str], counts: dict[str, int],
              title: str) -> None:
        counts = {"files_reviewed": 0, "problems_found": 0, "notices_issued": 0, "forms_filled": 0,
                  "units_inspected": 0, **counts}
        self("closeReviewBatch", {"reported_counts": counts, "report": self.doc(f"{title}情况报告", "report")},
             day, who, approver, key="close")


def sample_and_review(b: Batch, files: list[tuple[str, int]], *, sample_day: str, review_days: list[date],
                      reviewers: list[dict[str, str]], year: int, first_no: int,
                      last_closed: date) -> dict[str, list[str]]:
    """Sample ``files`` ((agency, problem count) each), then record each file's problems and its review
    with a 评查表. Returns the problem ids per agency."""
    sampled, by_agency = [], {}
    for i, (agency, _) in enumerate(files):
        sampled.append({"case_file_id": b.uid("file", i), "agency_id": agency, "enforcement_type":
                        ENFORCEMENT_TYPES[i % len(ENFORCEMENT_TYPES)],
                        "case_ref": f"{CASE_REF_PREFIX[agency]}〔{year}〕{first_no + 37 * i % 400:04d}号",
                        "closed_on": (last_closed - timedelta(days=23 * i % 180)).isoformat()})
    b("sampleCaseFiles", {"files": sampled, "sampling": "random"}, sample_day, reviewers[0], key="sample")
    for i, ((agency, count), day) in enumerate(zip(files, spread(len(files), review_days), strict=True)):
        ids, points = [], 0.0
        for k in range(count):
            category, severity, text = CASE_FILE_PROBLEMS[(i * 5 + k) % len(CASE_FILE_PROBLEMS)]
            pid = b.uid("problem", i, k)
            ids.append(pid)
            points += SEVERITY_POINTS[severity]
            b("recordProblem", {"problem_id": pid, "agency_id": agency, "case_file_id": sampled[i]["case_file_id"],
                                "category": category, "severity": severity, "description": text,
                                "source": "reviewer"}, day, reviewers[i % len(reviewers)], key=f"problem:{i}:{k}")
        score = round(100 - points - (i % 3) * 1.5, 1)
        pair = [reviewers[i % len(reviewers)], reviewers[(i + 1) % len(reviewers)]]
        b("reviewCaseFile", {"case_file_id": sampled[i]["case_file_id"],
                             "reviewer_user_ids": [r["user_id"] for r in pair],
                             "score": score, "grade": grade_for(score), "problem_ids": ids,
                             "review_form": b.doc(f"行政执法案卷评查表({sampled[i]['case_ref']})", f"form:{i}")},
          day, pair[0], key=f"review:{i}")
        by_agency.setdefault(agency, []).extend(ids)
    return by_agency


def monthly(plan: Plan, n: int, agencies: list[str], *, open_day: str, sample_day: str, review: tuple[str, str],
            issue: str, serve: str, close: str, follow_up: list[tuple[str, str]]) -> None:
    code, month = f"RB-2024-{n:02d}", {1: "3", 2: "4"}[n]
    b = Batch(plan, code)
    title = f"2024年{month}月行政执法案卷月度评查"
    team = [ST1, ST3, ST4] if n == 1 else [ST2, ST4, ST5]
    b.open(open_day, team[0], SUP1, kind="case_file_review", title=title, scope=agencies,
           covered=("2023-07-01", "2024-02-29"), teams=[("行政执法协调监督科科长", team)],
           standard="《汉渠市行政执法案卷评查办法》评查标准(百分制)")
    pattern = {0: (7, 8, 7), 1: (8, 8, 7)}
    files = [(a, c) for j, a in enumerate(agencies) for c in pattern[j % 2]]
    problems = sample_and_review(b, files, sample_day=sample_day, review_days=working_days(*review), reviewers=team,
                                 year=2023, first_no=101 + 50 * n, last_closed=date(2024, 2, 20))
    for j, agency in enumerate(agencies):
        number = f"汉司评建〔2024〕{4 * (n - 1) + j + 1}号"
        b.notice(j, kind="review_suggestion", number=number, doc_name="行政执法案卷评查建议书", recipient=agency,
                 requirements=REVIEW_SUGGESTION, issue=issue, serve=serve, report=follow_up[j][0],
                 verify=follow_up[j][1], who=team[0], approver=SUP1, refs=problems[agency])
    b.close(close, team[0], SUP1, {"files_reviewed": 12, "problems_found": 90, "notices_issued": 4,
                                   "forms_filled": 12}, title)
    b.flush()


def annual(plan: Plan) -> None:
    b = Batch(plan, "RB-2024-03")
    units = [f"A{i:02d}" for i in range(1, 19)]  # 15 units × 3 files + 3 units × 2 files = 51
    team = [ST1, ST2, ST3, ST4, ST5]
    title = "2024年度行政执法案卷评查"
    b.open("2024-04-08", ST3, SUP2, kind="case_file_review", title=title, scope=units,
           covered=("2023-01-01", "2023-12-31"), teams=[("市司法局案卷评查小组组长(分管副局长)", team)],
           standard="《汉渠市行政执法案卷评查办法》评查标准(百分制)")
    files = [(u, (1, 2, 3, 2)[k % 4]) for j, u in enumerate(units) for k in range(3 if j < 15 else 2)]
    sample_and_review(b, files, sample_day="2024-06-20", review_days=working_days("2024-07-22", "2024-08-30"),
                      reviewers=team, year=2023, first_no=11, last_closed=date(2023, 12, 22))
    problems = sum(c for _, c in files)
    b("publishNotificationInBatch", {"notification_id": b.uid("notification"), "scope": "government_wide",
                                     "tone": "informational", "doc_number": "汉司通〔2024〕9号",
                                     "document": b.doc("关于2024年度行政执法案卷评查情况的通报", "notification",
                                                       "汉司通〔2024〕9号"),
                                     "subject_org_ids": units}, "2024-09-05", ST3, SUP2, key="notification")
    b.close("2024-09-06", ST3, SUP2, {"files_reviewed": 51, "problems_found": problems, "forms_filled": 51}, title)
    b.flush()


def self_inspection(plan: Plan) -> None:
    b = Batch(plan, "RB-2024-04")
    units = list(UNITS)  # 28 units: A01–A23 report 2 problems, A24–A28 one (23 × 2 + 5 × 1 = 51)
    title = "2024年行政执法突出问题自查自纠"
    b.open("2024-04-10", ST4, SUP1, kind="self_inspection", title=title, scope=units,
           covered=("2023-01-01", "2024-06-30"), teams=[("行政执法协调监督科科长", [ST4, ST5])])
    reports = [(u, k) for j, u in enumerate(units) for k in range(2 if j < 23 else 1)]
    on_paper = {"A06", "A13", "A19", "A22", "A26"}  # paper 自查表 keyed in by staff on the unit's behalf
    for n, ((unit, k), day) in enumerate(zip(reports, spread(len(reports), working_days("2024-05-06", "2024-06-28")),
                                            strict=True)):
        category, severity, text = SELF_REPORTED[(n * 7) % len(SELF_REPORTED)]
        data = {"problem_id": b.uid("problem", unit, k), "agency_id": unit, "category": category,
                "severity": severity, "description": text, "source": "self_report"}
        if unit in on_paper:
            b("recordProblem", data, day, ST4, key=f"problem:{unit}:{k}",
              on_behalf_of={"org_id": unit, "user_id": liaison(unit)["user_id"],
                            "basis": "单位报送纸质自查表,由监督科代为录入"})
        else:
            b("recordProblem", data, day, liaison(unit), key=f"problem:{unit}:{k}")
    b.close("2024-11-29", ST4, SUP1, {"problems_found": 51}, title)
    b.flush()


def follow_up(plan: Plan) -> None:
    b = Batch(plan, "RB-2024-05")
    units = [f"A{i:02d}" for i in range(12, 29)]  # 17 recipients
    title = "“一规划两方案”贯彻落实情况专项督察“回头看”"
    b.open("2024-04-15", ST5, SUP1, kind="special_inspection_followup", title=title, scope=units,
           covered=("2023-01-01", "2024-03-31"), teams=[("市委依法治市办秘书科科长", [ST5, ST6])])
    reports = spread(16, working_days("2024-05-06", "2024-05-14"))
    late = units.index("A24")
    for j, unit in enumerate(units):
        if j == late:
            report, verify = "2024-05-20", "2024-05-24"
        else:
            report = reports[j if j < late else j - 1]
            verify = CALENDAR.add_working_days(report, 3).date
        b.notice(j, kind="work_tip_letter", number=f"汉法督提〔2024〕{j + 1}号", doc_name="工作提示函",
                 recipient=unit, requirements=WORK_TIP, issue="2024-04-22", serve="2024-04-23", report=report,
                 verify=verify, who=ST5, approver=SUP1)
    notice = b.uid("notice", late)

    def overdue(ledger: Any) -> dict[str, Any]:
        ob = obligation_of(ledger, b.id, "rectification_report", notice)
        return {"notice_id": notice, "obligation_id": ob["obligation_id"], "due_at": ob["due_at"]}

    def overdue_key(ledger: Any) -> dict[str, Any]:
        ob = obligation_of(ledger, b.id, "rectification_report", notice)
        return {"idempotency_key": f"overdue:{ob['obligation_id']}:{ob['due_at']}"}

    b("markNoticeOverdueInBatch", overdue, datetime.combine(d("2024-05-16"), time(0), CST), SCHEDULER,
      key="overdue:A24", recorded=datetime.combine(d("2024-05-16"), time(0, 3), CST), lazy_meta=overdue_key)
    b("issueReminderInBatch", {"target": notice, "reminder_kind": "urge",
                               "response_period": {"length": 5, "unit": "working_day"},
                               "document": b.doc("工作提示函催办通知单", "reminder", "汉法督催〔2024〕1号")},
      "2024-05-16", ST5, key="reminder:A24")
    b.close("2024-05-31", ST5, SUP1, {"notices_issued": 17}, title)
    b.flush()


def rule_of_law(plan: Plan) -> None:
    b = Batch(plan, "RB-2024-06")
    units = ["A01", "A02", "A03", "A04", "A07", "A10", "A11", "A12", "A13", "T01", "T02", "T03"]  # 9 + 3 = 12
    title = "2024年度法治督察"
    teams = [("督查组组长(市委办副主任)", [ST1, ST2]), ("督查组组长(市政府办副主任)", [ST3, ST6]),
             ("督查组组长(市委依法治市办副主任)", [ST5, ST4])]  # u-staff-6 (seconded from A03) not on A03's team
    b.open("2024-05-13", ST1, SUP2, kind="rule_of_law_inspection", title=title, scope=units,
           covered=("2023-01-01", "2024-04-30"), teams=teams)
    for j, (unit, day) in enumerate(zip(units, spread(12, working_days("2024-05-20", "2024-05-31")), strict=True)):
        leader, members = teams[j % 3]
        b("inspectUnit", {"agency_id": unit, "team_id": b.uid("team", j % 3 + 1),
                          "methods": ["hearing_report", "individual_talk", "document_review"]},
          day, members[0], key=f"inspect:{unit}")
    reports = spread(12, working_days("2024-07-01", "2024-07-12"))
    for j, unit in enumerate(units):
        verify = min(CALENDAR.add_working_days(reports[j], 2).date, d("2024-07-17"))
        b.notice(j, kind="inspection_feedback", number=f"汉法督反〔2024〕{j + 1}号", doc_name="法治督察反馈意见",
                 recipient=unit, requirements=INSPECTION_FEEDBACK, issue="2024-06-14", serve="2024-06-17",
                 report=reports[j], verify=verify, who=ST1, approver=SUP2)
    b("publishNotificationInBatch", {"notification_id": b.uid("notification"), "scope": "government_wide",
                                     "tone": "criticism", "doc_number": "汉法督通〔2024〕1号",
                                     "document": b.doc("关于2024年度法治督察情况的通报", "notification",
                                                       "汉法督通〔2024〕1号"),
                                     "subject_org_ids": units}, "2024-06-14", ST1, SUP2, key="notification")
    b.close("2024-06-21", ST1, SUP2, {"notices_issued": 12, "units_inspected": 12}, title)
    b.flush()


def load_batches(plan: Plan) -> None:
    monthly(plan, 1, ["A01", "A02", "A03", "A04"], open_day="2024-03-04", sample_day="2024-03-05",
            review=("2024-03-11", "2024-03-22"), issue="2024-03-26", serve="2024-03-28", close="2024-03-29",
            follow_up=[("2024-04-18", "2024-04-23"), ("2024-04-22", "2024-04-25"), ("2024-04-24", "2024-04-29"),
                       ("2024-04-26", "2024-05-07")])
    monthly(plan, 2, ["A05", "A06", "A07", "A08"], open_day="2024-04-01", sample_day="2024-04-02",
            review=("2024-04-08", "2024-04-19"), issue="2024-04-25", serve="2024-04-28", close="2024-04-29",
            follow_up=[("2024-05-17", "2024-05-22"), ("2024-05-20", "2024-05-24"), ("2024-05-22", "2024-05-28"),
                       ("2024-05-24", "2024-05-31")])
    annual(plan)  # opened 04-08: HQ-RB-2024-03
    self_inspection(plan)  # opened 04-10: HQ-RB-2024-04
    follow_up(plan)  # opened 04-15: HQ-RB-2024-05
    rule_of_law(plan)  # opened 05-13: HQ-RB-2024-06
