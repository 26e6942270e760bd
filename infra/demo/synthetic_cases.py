"""Synthetic review batches (案卷评查, 法治督察, 自查自纠), 行政复议 cases and access-log views of the ``stress`` and
``scale`` profiles. As for clues, ``draw_*`` fixes the random choices and ``*_events`` counts the events exactly."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.access_log import access_log_stream_id
from domain.catalogue.review import grade_for
from infra.demo.batch_texts import (CASE_FILE_PROBLEMS, ENFORCEMENT_TYPES, INSPECTION_FEEDBACK, MEASURES,
                                    REVIEW_SUGGESTION, SELF_REPORTED, SEVERITY_POINTS, WORK_TIP)
from infra.demo.synthetic_world import CST, Bureau, Flow, Step, doc, hex64, token

BATCH_KINDS = {"case_file_review": ("行政执法案卷评查", "review_suggestion", "评查建议书"),
               "rule_of_law_inspection": ("法治督察", "inspection_feedback", "督察反馈意见书"),
               "self_inspection": ("行政执法突出问题自查自纠", "work_tip_letter", "工作提示函")}
OUTCOMES = {"upheld": 38, "claim_rejected": 8, "mediated": 18, "settled_withdrawn": 22, "terminated": 4, "changed": 3,
            "revoked": 3, "confirmed_illegal": 3, "ordered_to_perform": 1}
ACTS = ("administrative_penalty", "administrative_penalty", "information_disclosure", "administrative_compulsion",
        "administrative_license", "inaction", "work_injury_determination")


@dataclass
class BatchDraw:
    key: str
    profile: str
    bureau: Bureau
    kind: str
    units: list[str]
    problems: list[tuple[str, int]]  # (unit, problems): per sampled file, inspected unit or self-reporting unit
    notices: list[str] = field(default_factory=list)  # recipient units
    start: datetime | None = None

    @property
    def stream(self) -> UUID:
        return uuid5(NAMESPACE_URL, f"svledger:{self.profile}:batch:{self.key}")


def draw_batch(rng: random.Random, profile: str, key: str, bureau: Bureau, kind: str) -> BatchDraw:
    units = rng.sample(sorted(bureau.units), min(len(bureau.units), rng.randint(3, 6)))
    if kind == "case_file_review":
        problems = [(u, rng.randint(0, 4)) for u in units for _ in range(rng.randint(2, 4))]
    else:
        problems = [(u, rng.randint(1, 3)) for u in units]
    with_problems = list(dict.fromkeys(u for u, n in problems if n))
    return BatchDraw(key, profile, bureau, kind, units, problems, with_problems[:rng.randint(1, 3)])


def batch_events(b: BatchDraw) -> int:
    per_entry = 1 if b.kind != "self_inspection" else 0  # a review or an inspection per entry
    return 1 + (b.kind == "case_file_review") + sum(per_entry + n for _, n in b.problems) + 4 * len(b.notices) + 1


def batch_flow(b: BatchDraw, session: Any, rng: random.Random) -> Iterator[Step]:
    bu, f, year = b.bureau, Flow(rng, b.stream, b.start), b.start.year
    title, notice_type, notice_name = BATCH_KINDS[b.kind]
    team = rng.sample(bu.staff, 3)
    sup, sup2 = rng.sample(bu.supervisors, 2)
    team_id = str(uuid5(b.stream, "team"))

    def d(name: str, number: str | None = None) -> dict[str, Any]:
        return doc(b.profile, f"batch:{b.key}:{name}:{number or ''}", name, number)

    yield f.step("openReviewBatch", {"batch_kind": b.kind, "title": f"{year}年{b.start.month}月{title}",
                                     "scope_org_ids": b.units,
                                     "period_covered": {"start_on": f"{year - 1}-07-01", "end_on": f"{year - 1}-12-31"},
                                     "plan": d(f"{title}工作方案"), "teams": [{"team_id": team_id, "leader_position": "科长",
                                     "member_user_ids": [m["user_id"] for m in team]}]}, team[0], sup)
    counts = {"files_reviewed": 0, "problems_found": 0, "notices_issued": len(b.notices), "forms_filled": 0,
              "units_inspected": 0}
    files = [{"case_file_id": str(uuid5(b.stream, f"file:{i}")), "agency_id": u, "case_ref": f"{u}执罚〔{year - 1}〕"
              f"{100 + 37 * i % 800}号", "enforcement_type": ENFORCEMENT_TYPES[i % len(ENFORCEMENT_TYPES)],
              "closed_on": (b.start.date() - timedelta(days=40 + 11 * i % 150)).isoformat()}
             for i, (u, _) in enumerate(b.problems)]
    if b.kind == "case_file_review":
        yield f.step("sampleCaseFiles", {"files": files, "sampling": "random"}, team[0], at=f.later(1, 2))
    for i, (unit, n) in enumerate(b.problems):
        at = f.later(0, 1)
        if b.kind == "rule_of_law_inspection":
            methods = ["hearing_report", "individual_talk", "document_review"]
            yield f.step("inspectUnit", {"agency_id": unit, "team_id": team_id, "methods": methods}, team[0], at=at)
            counts["units_inspected"] += 1
        ids, points = [], 0.0
        for k in range(n):
            table = CASE_FILE_PROBLEMS if b.kind == "case_file_review" else SELF_REPORTED
            category, severity, text = table[(i * 5 + k) % len(table)]
            pid = str(uuid5(b.stream, f"problem:{i}:{k}"))
            ids.append(pid)
            points += SEVERITY_POINTS[severity]
            data = {"problem_id": pid, "agency_id": unit, "category": category, "severity": severity,
                    "description": text, "source": {"case_file_review": "reviewer", "rule_of_law_inspection":
                                                    "inspection", "self_inspection": "self_report"}[b.kind]}
            if b.kind == "case_file_review":
                data["case_file_id"] = files[i]["case_file_id"]
            who = bu.liaison(unit) if b.kind == "self_inspection" else team[k % 3]
            yield f.step("recordProblem", data, who)
            counts["problems_found"] += 1
        if b.kind == "case_file_review":
            score = round(max(40.0, 100 - points - (i % 3) * 1.5), 1)
            yield f.step("reviewCaseFile", {"case_file_id": files[i]["case_file_id"], "score": score,
                                            "grade": grade_for(score), "problem_ids": ids,
                                            "reviewer_user_ids": [team[i % 3]["user_id"], team[(i + 1) % 3]["user_id"]],
                                            "review_form": d("行政执法案卷评查表", files[i]["case_ref"])}, team[i % 3])
            counts["files_reviewed"] += 1
            counts["forms_filled"] += 1
    mark = {"review_suggestion": "评", "inspection_feedback": "督", "work_tip_letter": "提"}[notice_type]
    text = {"review_suggestion": REVIEW_SUGGESTION, "inspection_feedback": INSPECTION_FEEDBACK,
            "work_tip_letter": WORK_TIP}[notice_type]
    for j, unit in enumerate(b.notices):
        nid = str(uuid5(b.stream, f"notice:{j}"))
        number = f"{bu.city[0]}司监{mark}〔{f.t.year}〕{bu.next_no(notice_type, f.t.year)}号"
        yield f.step("issueNoticeInBatch", {"notice_id": nid, "notice_type": notice_type, "doc_number": number,
                                            "recipient_org_id": unit, "requirements": text,
                                            "document": d(notice_name, number)}, team[0], sup, at=f.later(0, 2))
        yield f.step("serveNoticeInBatch", {"notice_id": nid, "method": "direct",
                                            "service_receipt": d(f"送达回证({number})")}, team[1], at=f.later(1, 2))
        yield f.step("reportRectificationInBatch", {"notice_id": nid, "completion": "complete",
                                                    "report": d(f"关于{number}的整改报告"),
                                                    "measures": MEASURES[j % len(MEASURES)]},
                     bu.liaison(unit), at=f.later(3, 8))
        yield f.step("verifyRectificationInBatch", {"notice_id": nid, "result": "accepted", "method": "document_review",
                                                    "reasons": "审查整改报告及佐证材料,整改措施落实到位"},
                     team[0], sup, at=f.later(1, 3))
    yield f.step("closeReviewBatch", {"reported_counts": counts, "report": d(f"{title}情况报告")}, team[0], sup2,
                 at=f.later(1, 3))


@dataclass
class ReconDraw:
    key: str
    profile: str
    bureau: Bureau
    respondent: str
    supplement: bool
    decision: str  # accepted or a refusal
    procedure: str = "ordinary"
    outcome: str | None = None
    copy: str | None = None  # direct, special_letter
    notice: bool = False
    start: datetime | None = None

    @property
    def stream(self) -> UUID:
        return uuid5(NAMESPACE_URL, f"svledger:{self.profile}:recon:{self.key}")


def draw_recon(rng: random.Random, profile: str, key: str, bureau: Bureau) -> ReconDraw:
    r = ReconDraw(key, profile, bureau, rng.choice(sorted(bureau.units)), rng.random() < 0.1,
                  "accepted" if rng.random() < 0.83 else rng.choice(["not_accepted"] * 4 + ["deemed_withdrawn"]))
    if r.decision == "accepted":
        r.outcome = rng.choices(list(OUTCOMES), list(OUTCOMES.values()))[0]
        quick = r.outcome in ("mediated", "settled_withdrawn") and rng.random() < 0.5
        r.procedure = "simplified" if quick else "ordinary"
        r.copy = rng.choices([None, "direct", "special_letter"], (65, 30, 5))[0]
        r.notice = r.outcome in ("changed", "revoked", "confirmed_illegal") and rng.random() < 0.5
    return r


def recon_events(r: ReconDraw) -> int:
    return 1 + r.supplement + 1 + (r.decision == "accepted") * (1 + (r.copy is not None) + 4 * r.notice)


def recon_flow(r: ReconDraw, session: Any, rng: random.Random) -> Iterator[Step]:
    b, f = r.bureau, Flow(rng, r.stream, r.start)
    who = rng.choice(b.staff)
    sup, sup2 = rng.sample(b.supervisors, 2)

    def d(name: str, number: str | None = None, sensitivity: str = "S1") -> dict[str, Any]:
        return doc(r.profile, f"recon:{r.key}:{name}:{number or ''}", name, number, sensitivity=sensitivity)

    act_date = r.start.date() - timedelta(days=rng.randint(10, 50))
    yield f.step("receiveReconsiderationApplication", {
        "applicant_tokens": [token(r.profile, f"applicant:{r.key}")], "respondent_org_id": r.respondent,
        "received_via": rng.choice(["in_person", "mail", "online", "online"]),
        "application": d("行政复议申请书", sensitivity="S2"),
        "contested_act": {"act_type": rng.choice(ACTS), "act_date": act_date.isoformat(),
                          "doc_number": f"{r.respondent}决字〔{act_date.year}〕{rng.randint(1, 900)}号"}}, who)
    if r.supplement:
        yield f.step("requestReconsiderationSupplement", {"items": ["申请人身份证明材料", "行政行为的相关证据材料"],
                                                          "notice": d("行政复议申请补正通知书")}, who, at=f.later(1, 3))
    basis = [{"instrument": "中华人民共和国行政复议法(2023修订)", "article": "第三十条"}]
    decided = f.later(2, 4)
    if r.decision != "accepted":
        yield f.step("decideReconsiderationAcceptance", {"decision": r.decision, "decision_doc": d("不予受理行政复议申请决定书")},
                     who, sup, at=decided, legal_basis=basis)
        return
    recon_no = f"{b.city}政复〔{decided.year}〕{b.next_no('recon', decided.year)}号"
    yield f.step("decideReconsiderationAcceptance", {"decision": "accepted", "procedure": r.procedure,
                                                     "recon_no": recon_no, "decision_doc": d("行政复议受理通知书", recon_no)},
                 who, sup, at=decided, legal_basis=basis)
    limit = 22 if r.procedure == "simplified" else 50
    yield f.step("closeReconsideration", {"outcome": r.outcome, "decision_doc": d("行政复议决定书", recon_no)}, who, sup2,
                 at=f.on(decided.date() + timedelta(days=rng.randint(limit // 2, limit))))
    if r.copy:
        yield f.step("copyDecision", {"mode": r.copy, "copied_to_org_id": r.respondent,
                                      "document": d("行政复议决定抄告单" if r.copy == "direct" else "行政复议决定抄告函")},
                     who, at=f.later(1, 3))
    if r.notice:
        nid, year = str(uuid5(r.stream, "notice")), f.later(1, 3).year
        number = f"{b.city[0]}复意〔{year}〕{b.next_no('reconsideration_opinion', year)}号"
        yield f.step("issueNoticeInReconsideration", {
            "notice_id": nid, "notice_type": "reconsideration_opinion", "doc_number": number,
            "recipient_org_id": r.respondent, "requirements": "依法纠正违法行政行为,规范执法程序,60日内报告整改情况。",
            "document": d("行政复议意见书", number)}, who, sup, at=f.t)
        yield f.step("serveNoticeInReconsideration", {"notice_id": nid, "method": "direct",
                                                      "service_receipt": d(f"送达回证({number})")}, who, at=f.later(1, 2))
        yield f.step("reportRectificationInReconsideration", {
            "notice_id": nid, "completion": "complete", "report": d(f"关于{number}的整改报告"),
            "measures": MEASURES[len(r.key) % len(MEASURES)]}, b.liaison(r.respondent), at=f.later(10, 30))
        yield f.step("verifyRectificationInReconsideration", {
            "notice_id": nid, "result": "accepted", "method": "document_review", "reasons": "整改措施落实到位"},
            who, sup, at=f.later(2, 5))


def views_flow(profile: str, log_bureau: str, day: date, count: int, bureaus: list[Bureau],
               resources: dict[str, list[str]], rng: random.Random, late: bool = False) -> Iterator[Step]:
    """``count`` RecordViewed entries (``system_api``) in the day's AccessLog stream, spread over 08:30–17:30 (or,
    ``late``, from 17:30 on: the top-up of the last day)."""
    stream = access_log_stream_id(log_bureau, day)
    start = datetime.combine(day, datetime.min.time(), CST) + timedelta(hours=17 if late else 8, minutes=30)
    step = 1 if late else max(1, 32_000 // max(count, 1))
    for i in range(count):
        b = bureaus[(i + day.toordinal()) % len(bureaus)]
        viewer = b.staff[i % len(b.staff)]
        seen = resources.get(b.code) or [f"org:{b.code}"]
        resource = seen[-1 - rng.randrange(min(len(seen), 50))]
        at = start + timedelta(seconds=i * step + rng.randrange(step))
        yield Step("recordView", {"viewer": viewer, "resources": [resource], "field_classes": ["S2"],
                                  "purpose": "线索办理", "query_hash": hex64(profile, "view", day, i)},
                   at, b.api, stream)
