"""Synthetic clues (问题线索) of the ``stress`` and ``scale`` profiles: intake by channel, screening, case, verification,
finding, notices (on time, extended, overdue with 催办/约谈, rejected and re-rectified), transfers to 纪委监委 or 公安,
closure and reporter feedback — every step a command the domain rules accept.

``draw_clue`` fixes every random choice of a clue up front, so ``planned_events`` knows exactly how many events it
will record (the ``scale`` profile fills its budgets exactly); ``clue_flow`` then plays it, reading due dates and
obligation ids from the clue as the ledger holds it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.identity import identity_stream_id
from infra.demo.synthetic_world import (CST, ISSUES, Bureau, Flow, Step, add_working_days, doc, hex64, summary,
                                        token, working_day_before)

CHANNELS = {"hotline_12345": 70, "letter_visit": 10, "online_platform": 8, "discipline_inspection_referral": 3,
            "reconsideration_case": 3, "case_file_review": 2, "inspection": 2, "media": 1, "npc_cppcc": 0.5,
            "self_initiated": 0.5}  # §12.2 stress_city
INBOUND = {"discipline_inspection_referral": ("discipline_inspection", "jwjw"),
           "reconsideration_case": ("reconsideration_office", "fyb")}
INTERNAL = ("case_file_review", "inspection", "self_initiated")
NOTICE_TYPES = {"rectification_notice": ("整改通知书", "整"), "supervision_opinion": ("监督意见书", "意"),
                "supervision_suggestion": ("监督建议书", "建"), "work_tip_letter": ("工作提示函", "提")}
SCREEN_OUT = {"invalid": ("no_substantive_content", "反映内容不具体,无具体时间、地点和事实,无法核查"),
              "out_of_scope": ("not_administrative_enforcement", "反映事项不属于行政执法行为,不属监督范围"),
              "duplicate": ("duplicate", "与此前登记的线索反映同一事项,作重复件处理")}
OVERDUE, EXTENDED, REJECTED = 0.15, 0.08, 0.08


@dataclass
class NoticeDraw:
    kind: str
    unit: str
    overdue: bool = False
    escalate: bool = False
    interview: bool = False
    extension: bool = False
    rejected: bool = False
    reminder: bool = False  # a 催办 before the deadline


@dataclass
class ClueDraw:
    key: str
    profile: str
    bureau: Bureau
    channel: str
    unit: str
    issue: int
    screen: str  # valid, invalid, out_of_scope, duplicate
    reporter: dict[str, Any]
    sealed: bool
    duplicate_of: str | None = None
    transfer: str | None = None  # discipline, police
    assistant: bool = False
    evidence: int = 2
    suspended: bool = False  # 中止 during verification (awaiting another authority), then resumed
    extended: bool = False  # the verification period extended by 30 days (statutory, supervisor-approved)
    conclusion: str = "substantiated"
    notices: list[NoticeDraw] = field(default_factory=list)
    start: datetime | None = None

    @property
    def stream(self) -> UUID:
        return clue_stream(self.profile, self.key)

    @property
    def contact(self) -> bool:
        """Feedback to the reporter is owed (and given) when they can be reached and are not anonymous."""
        return bool(self.reporter["contactable"]) and self.reporter["kind"] != "anonymous"


def clue_stream(profile: str, key: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"svledger:{profile}:clue:{key}")


def draw_clue(rng: random.Random, profile: str, key: str, bureau: Bureau, channel: str, screen: str,
              transfer: str | None, *, seal: bool, previous: str | None) -> ClueDraw:
    unit = rng.choice(sorted(bureau.units))
    named = channel in ("hotline_12345", "letter_visit") or (channel == "online_platform" and rng.random() < 0.5)
    if named:
        tok = token(profile, f"reporter:{key}") if seal else None  # scale: identities stay in the source systems
        reporter = {"kind": "named", "contactable": True, "real_name_report": channel == "letter_visit"
                    and rng.random() < 0.5, **({"reporter_token": tok} if tok else {})}
    elif channel == "online_platform":
        reporter = {"kind": "anonymous", "contactable": False}
    elif channel in INTERNAL:
        reporter = {"kind": "internal", "contactable": False}
    else:
        reporter = {"kind": "organization", "contactable": channel == "npc_cppcc"}
    if screen == "duplicate" and previous is None:
        screen = "invalid"
    c = ClueDraw(key, profile, bureau, channel, unit, rng.randrange(len(ISSUES)), screen, reporter,
                 sealed=seal and "reporter_token" in reporter, duplicate_of=previous if screen == "duplicate" else None,
                 transfer=transfer if screen == "valid" else None)
    if screen != "valid":
        return c
    c.assistant, c.evidence = rng.random() < 0.7, rng.randint(3, 9)
    c.suspended, c.extended = rng.random() < 0.05, rng.random() < 0.1
    if transfer:
        return c
    c.conclusion = rng.choices(("substantiated", "partially_substantiated", "unsubstantiated"), (65, 20, 15))[0]
    if c.conclusion == "unsubstantiated":
        return c
    others = [u for u in sorted(bureau.units) if u != unit]
    for k in range(rng.choices((1, 2, 3), (50, 35, 15))[0]):  # one notice per responsible unit
        n = NoticeDraw(rng.choices(list(NOTICE_TYPES), (60, 20, 15, 5))[0], unit if k == 0 else rng.choice(others))
        if rng.random() < OVERDUE:
            n.overdue, n.escalate = True, rng.random() < 0.5
            n.interview = n.escalate and rng.random() < 0.5
        else:
            n.extension = rng.random() < EXTENDED
            n.rejected = rng.random() < REJECTED
            n.reminder = not n.extension and rng.random() < 0.25
        c.notices.append(n)
    return c


def planned_events(c: ClueDraw) -> int:
    """Exactly the number of events ``clue_flow`` records for ``c`` (mirrors it step by step)."""
    n = c.sealed + 1 + (c.channel in INBOUND) + 1 + c.reporter["contactable"] + 1
    if c.screen != "valid":
        return n + c.contact
    acceptance = c.contact and (c.channel == "letter_visit" or bool(c.reporter.get("real_name_report")))
    n += acceptance + 1 + c.contact + 2 + 2 * c.assistant + 1 + c.evidence + 2 * c.suspended + c.extended + 1
    closing = 1 + c.contact + (c.channel in INBOUND)
    if c.transfer:
        return n + 1 + (c.transfer == "discipline") + 1 + 2 + 1 + 1 + 1 + closing
    for x in c.notices:
        n += 5 + 2 * x.extension + 2 * x.rejected + x.reminder
        n += (2 + x.escalate + 3 * x.interview) if x.overdue else 0
    return n + closing


def clue_flow(c: ClueDraw, session: Any, rng: random.Random) -> Iterator[Step]:
    """The clue's commands in time order (``yield`` returns each result)."""
    b, f, p = c.bureau, Flow(rng, c.stream, c.start), c.profile
    staff = rng.sample(b.staff, 2)
    lead, helper = staff
    sup, sup2 = rng.sample(b.supervisors, 2)
    unit_name = b.units[c.unit]

    def d(name: str, number: str | None = None, sensitivity: str = "S1") -> dict[str, Any]:
        return doc(p, f"clue:{c.key}:{name}:{number or ''}", name, number, sensitivity=sensitivity)

    def uid(name: str) -> str:
        return str(uuid5(c.stream, name))

    intake = b.integration if c.channel == "hotline_12345" else lead
    rep = c.reporter.get("reporter_token")
    if c.sealed:
        seal = {"person_token": rep, "person_role": "reporter", "key_id": f"kms:{b.code.lower()}/vault",
                "vault_record_hash": hex64(p, "vault", rep)}
        yield f.step("sealIdentity", seal, intake, stream=identity_stream_id(rep))
    meta: dict[str, Any] = {}
    if c.channel == "hotline_12345":
        meta["external_refs"] = [{"system": "hotline_12345", "ref": f"{b.code}12345-{c.start:%Y%m%d}-{c.key[-4:]}"}]
    yield f.step("receiveClue", {"channel": c.channel, "subject_agency_ids": [c.unit], "reporter": c.reporter,
                                 "summary": summary(c.channel, unit_name, c.issue)}, intake, **meta)
    if c.channel in INBOUND:
        kind, suffix = INBOUND[c.channel]
        yield f.step("receiveInboundTransfer", {"sender_org_id": b.partner(suffix), "sender_kind": kind,
                                                "transfer_letter": d("问题线索移交函")}, lead)
    yield f.step("registerClue", {}, lead, at=f.later(0, 1))
    via = {"hotline_12345": ("platform", "hotline_platform"), "letter_visit": ("letter", rep or "letter_office"),
           "online_platform": ("platform", "online_platform"), "npc_cppcc": ("letter", "npc_liaison_office")}
    method, recipient = via.get(c.channel, ("letter", "reporter"))
    if c.reporter["contactable"]:
        yield f.step("acknowledgeReceipt", {"method": method, "recipient": recipient}, intake)
    screen_at = f.later(2, 7)
    if c.screen != "valid":
        code, reason = SCREEN_OUT[c.screen]
        data = {"outcome": c.screen, "reason_code": code, "reason": reason}
        if c.duplicate_of:
            data["duplicate_of_clue_id"] = c.duplicate_of
        yield f.step("screenClue", data, lead, sup, at=screen_at)
        if c.contact:
            yield f.step("sendReporterFeedback", {"feedback_kind": "not_accepted_notice", "recipient": recipient,
                                                  "method": method, "delivery": "delivered"}, lead, at=f.later(1, 4))
        return
    yield f.step("screenClue", {"outcome": "valid", "reason_code": "other",
                                "reason": "反映具体执法行为,有明确的被反映单位和事实,属行政执法监督范围"}, lead, at=screen_at)
    if c.contact and (c.channel == "letter_visit" or c.reporter.get("real_name_report")):
        yield f.step("sendReporterFeedback", {"feedback_kind": "acceptance_notice", "recipient": recipient,
                                              "method": method, "delivery": "delivered"}, lead)
    yield f.step("openSupervisionCase", {"case_kind": "individual", "lead_user_id": lead["user_id"]}, lead, sup,
                 at=f.later(1, 3))
    if c.contact:
        yield f.step("sendReporterFeedback", {"feedback_kind": "progress", "recipient": recipient, "method": method,
                                              "delivery": "delivered"}, intake)
    for who, role in ([(lead, "lead"), (helper, "assistant")] if c.assistant else [(lead, "lead")]):
        aid = uid(f"assignment:{who['user_id']}")
        yield f.step("assignClue", {"assignment_id": aid, "assignee_user_id": who["user_id"], "role_on_clue": role},
                     sup)
        yield f.step("acceptAssignment", {"assignment_id": aid}, who)
    yield f.step("startVerification", {"methods": ["document_review", "site_visit"],
                                       "team_user_ids": [lead["user_id"], helper["user_id"]]}, lead, at=f.later(1, 3))
    for k in range(c.evidence):
        if k == 1 and c.extended:
            ob = _due(session, c.stream, "verification_period", "clue")
            yield f.step("grantExtension", {"obligation_id": ob["obligation_id"],
                                            "granted": {"length": 30, "unit": "calendar_day"}}, sup, sup2)
        if k == c.evidence // 2 and c.suspended:
            resume = add_working_days(f.t.date(), rng.randint(5, 15))
            yield f.step("suspendClue", {"reason_code": "awaiting_other_authority",
                                         "expected_resume_on": resume.isoformat()}, lead, sup)
            yield f.step("resumeClue", {"reason": "有关机关已作出认定,恢复核查"}, lead, at=f.on(resume))
        yield f.step("recordEvidence", {"evidence_id": uid(f"evidence:{k}"), "kind": ("statement", "case_file",
                                        "photo", "document", "video", "data_extract")[k % 6],
                                        "documents": [d(f"核查材料{k + 1}", sensitivity="S2")],
                                        "description": f"调取{unit_name}相关执法材料并制作笔录(第{k + 1}组)"},
                     rng.choice([lead, helper]), at=f.later(0, 2))
    categories, text = ISSUES[c.issue]
    finding = uid("finding")
    verdict = {"substantiated": "问题属实", "partially_substantiated": "问题部分属实", "unsubstantiated": "问题不属实"}
    yield f.step("recordFinding", {"finding_id": finding, "conclusion": c.conclusion,
                                   "problem_categories": [] if c.conclusion == "unsubstantiated" else categories,
                                   "responsible_agency_ids": list(dict.fromkeys(
                                       [c.unit, *(x.unit for x in c.notices)])) if c.conclusion != "unsubstantiated"
                                   else [],
                                   "summary": f"经核查,反映的{text}{verdict[c.conclusion]}。"}, lead, sup,
                 at=f.later(2, 8))
    if c.transfer:
        yield from _transfer(c, f, d, uid, lead, sup, sup2)
        closure = ("transferred_closed", "已移送有权机关并作出处理,予以办结")
    elif c.conclusion == "unsubstantiated":
        closure = ("unfounded", "经核查反映问题不属实,予以办结")
    else:
        for i, x in enumerate(c.notices):
            yield from _notice(c, f, session, d, uid(f"notice:{i}"), finding, x, lead, sup, sup2, rng)
        closure = ("rectified", "问题属实,整改到位,予以办结")
    yield f.step("closeClue", {"closure_type": closure[0], "closure_reason": closure[1],
                               "closure_report": d("问题线索办结报告")}, lead, sup, at=f.later(1, 5))
    if c.contact:
        yield f.step("sendReporterFeedback", {"feedback_kind": "result", "recipient": recipient, "method": method,
                                              "delivery": "delivered", "satisfaction": rng.choice(
                                                  ["satisfied", "satisfied", "basically_satisfied"])}, lead,
                     at=f.later(1, 5))
    if c.channel in INBOUND:
        sender = b.partner(INBOUND[c.channel][1])
        yield f.step("sendReporterFeedback", {"feedback_kind": "result", "recipient": sender, "method": "letter",
                                              "delivery": "delivered", "document": d("问题线索办理结果函")}, lead)


def _transfer(c: ClueDraw, f: Flow, d: Any, uid: Any, lead: dict[str, str], sup: dict[str, str],
              sup2: dict[str, str]) -> Iterator[Step]:
    b, tid = c.bureau, uid("transfer")
    if c.transfer == "discipline":
        target = {"target_type": "discipline_inspection", "target_org_id": b.partner("jwjw"),
                  "transfer_kind": "official_misconduct"}
        materials = [{"material_type": "transfer_letter", "doc": d("问题线索移送函")},
                     {"material_type": "clue_materials", "doc": d("问题线索材料", sensitivity="S2")}]
    else:
        target = {"target_type": "public_security", "target_org_id": b.partner("gaj"),
                  "transfer_kind": "suspected_crime"}
        materials = [{"material_type": t, "doc": d(name, sensitivity="S2")} for t, name in (
            ("transfer_letter", "涉嫌犯罪案件移送书"), ("investigation_report", "涉嫌犯罪案件调查报告"),
            ("seized_items_list", "涉案物品清单"), ("inspection_appraisal", "检验鉴定意见"))]
        materials.append({"material_type": "other_crime_materials", "not_applicable_reason": "无其他涉案材料"})
    yield f.step("proposeTransfer", {"transfer_id": tid, **target, "materials": materials,
                                     "report_doc": d("关于移送问题线索的请示")}, lead, at=f.later(1, 3))
    if c.transfer == "discipline":
        yield f.step("attachTransferMaterials", {"transfer_id": tid, "materials": [
            {"material_type": "finding_report", "doc": d("核查认定报告", sensitivity="S2")}]}, lead)
    yield f.step("approveTransfer", {"transfer_id": tid}, sup, sup2, at=f.later(0, 1))
    number = f"{b.city[0]}司监移〔{f.t.year}〕{b.next_no('transfer', f.t.year)}号"
    yield f.step("sendTransfer", {"transfer_id": tid, "sent_via": "official_letter",
                                  "transfer_letter": d("问题线索移送函", number),
                                  "partner_summary": f"{b.units[c.unit]}执法人员涉嫌违纪违法,经核查基本属实,移送审查处理。"},
                 lead, at=f.later(0, 1))
    yield f.step("acknowledgeTransfer", {"transfer_id": tid, "receipt": d("签收回执")}, lead, at=f.later(1, 4))
    decision = "preliminary_verification" if c.transfer == "discipline" else "case_filed"
    yield f.step("receiveTransferDecision", {"transfer_id": tid, "decision": decision,
                                             "decision_doc": d("问题线索处置情况告知书")}, lead, at=f.later(3, 15))
    outcome = {"outcome": "sanctions", "sanctions": ["admonishment_talk"]} if c.transfer == "discipline" else {
        "outcome": "prosecuted", "sanctions": ["criminal_liability"]}
    yield f.step("reportTransferOutcome", {"transfer_id": tid, **outcome, "final": True,
                                           "outcome_doc": d("处理结果通报")}, lead, at=f.later(10, 40))


def _due(session: Any, stream: UUID, ob_type: str, subject: str) -> dict[str, Any]:
    agg = session.get(stream)
    return next(ob for ob in agg.obligations.values() if ob["type"] == ob_type and ob.get("subject") == subject
                and ob["status"] in ("open", "paused"))


def _notice(c: ClueDraw, f: Flow, session: Any, d: Any, nid: str, finding: str, x: NoticeDraw, lead: dict[str, str],
            sup: dict[str, str], sup2: dict[str, str], rng: random.Random) -> Iterator[Step]:
    b, liaison = c.bureau, c.bureau.liaison(x.unit)
    name, mark = NOTICE_TYPES[x.kind]
    year = f.later(1, 4).year
    number = f"{b.city[0]}司监{mark}〔{year}〕{b.next_no(x.kind, year)}号"
    yield f.step("issueNotice", {"notice_id": nid, "notice_type": x.kind, "doc_number": number,
                                 "recipient_org_id": x.unit, "problem_refs": [finding],
                                 "requirements": "立即纠正存在的问题,举一反三完善制度,在规定期限内书面报告整改情况。",
                                 "document": d(f"行政执法监督{name}", number)}, lead, sup, at=f.t)
    yield f.step("serveNotice", {"notice_id": nid, "method": "direct", "service_receipt": d(f"送达回证({number})")},
                 lead, at=f.later(1, 3))
    ob = _due(session, c.stream, "rectification_report", nid)
    due = datetime.fromisoformat(ob["due_at"])
    if x.overdue:
        yield f.step("markNoticeOverdue", {"notice_id": nid, "obligation_id": ob["obligation_id"],
                                           "due_at": ob["due_at"]}, b.scheduler, at=f.exactly(due),
                     idempotency_key=f"overdue:{ob['obligation_id']}:{ob['due_at']}")
        yield f.step("issueReminder", {"target": nid, "reminder_kind": "urge",
                                       "response_period": {"length": 5, "unit": "working_day"},
                                       "document": d("行政执法监督催办通知单", f"{b.city[0]}司监催〔{due.year}〕"
                                                     f"{b.next_no('urge', due.year)}号")}, lead, at=f.later(0, 1))
        if x.escalate:
            yield f.step("escalateNotice", {"notice_id": nid, "level": 1, "escalation_type": "interview" if x.interview
                                            else "reminder_chain", "reason": "整改期限届满仍未报告整改情况"},
                         lead, sup2, at=f.later(2, 5))
        if x.interview:
            iid, commitment = str(uuid5(UUID(nid), "interview")), str(uuid5(UUID(nid), "commitment"))
            scheduled_at = f.later(1, 2)
            held = datetime.combine(add_working_days(scheduled_at.date(), rng.randint(3, 6)), time(9, 30), CST)
            yield f.step("scheduleInterview", {"interview_id": iid, "interview_type": "admonitory",
                                               "interviewee_org_id": x.unit, "interviewee_position": "主要负责人",
                                               "interviewer": {"position": "分管副局长", "org_id": b.code},
                                               "scheduled_at": held.isoformat(),
                                               "location": "市司法局会议室", "notice_doc": d("约谈通知书")}, lead, sup2,
                         at=scheduled_at)
            people = [{"position": "分管副局长", "org_id": b.code, "role": "interviewer"},
                      {"position": "主要负责人", "org_id": x.unit, "role": "interviewee"}]
            promise = {"commitment_id": commitment, "text": "10个工作日内完成整改并书面报告",
                       "due_date": add_working_days(held.date(), 10).isoformat()}
            yield f.step("holdInterview", {"interview_id": iid, "minutes_hash": hex64(c.profile, "minutes", iid),
                                           "participants": people, "commitments": [promise]},
                         lead, at=f.exactly(held + timedelta(minutes=rng.randint(60, 150))))
        yield from _report(c, f, nid, number, liaison, f.later(2, 6), rng)
        if x.interview:
            yield f.step("fulfilCommitment", {"interview_id": iid, "commitment_id": commitment,
                                              "evidence": d(f"关于{number}的整改报告")}, lead)
    else:
        if x.reminder:
            yield f.step("issueReminder", {"target": nid, "reminder_kind": "urge",
                                           "response_period": {"length": 5, "unit": "working_day"},
                                           "document": d("行政执法监督催办通知单", f"{b.city[0]}司监催〔{f.t.year}〕"
                                                         f"{b.next_no('urge', f.t.year)}号")}, lead, at=f.later(5, 10))
        if x.extension:
            ask = f.on(max(f.t.date(), working_day_before((due - timedelta(days=rng.randint(6, 12))).date())))
            yield f.step("requestExtension", {"obligation_id": ob["obligation_id"],
                                              "requested": {"length": 20, "unit": "calendar_day"},
                                              "reason": "整改涉及制度修订,需履行集体讨论程序,申请延长整改期限"}, liaison, at=ask)
            yield f.step("grantExtension", {"obligation_id": ob["obligation_id"],
                                            "granted": {"length": 20, "unit": "calendar_day"}}, sup, sup2)
            due = datetime.fromisoformat(_due(session, c.stream, "rectification_report", nid)["due_at"])
        latest = (due - timedelta(days=4)).astimezone(CST).date()
        when = max(f.t.date(), latest - timedelta(days=rng.randint(0, 10)))
        yield from _report(c, f, nid, number, liaison, f.on(when), rng)
    if x.rejected:
        yield f.step("verifyRectification", {"notice_id": nid, "result": "rejected", "method": "document_review",
                                             "reasons": "整改措施未落实到位,相关制度尚未修订",
                                             "re_rectification_period": {"length": 15, "unit": "working_day"}},
                     lead, at=f.later(2, 6))
        yield from _report(c, f, nid, number, liaison, f.later(3, 10), rng)
    yield f.step("recordEvidence", {"evidence_id": str(uuid5(UUID(nid), "site-check")), "kind": "photo",
                                    "documents": [d(f"整改现场核查照片({number})", sensitivity="S2")],
                                    "description": "赴被监督单位现场核查整改落实情况"}, lead, at=f.later(1, 4))
    yield f.step("verifyRectification", {"notice_id": nid, "result": "accepted", "method": "site_check",
                                         "reasons": "审查整改报告并现场核查,整改措施落实到位"}, lead, sup, at=f.later(1, 3))


def _report(c: ClueDraw, f: Flow, nid: str, number: str, liaison: dict[str, str], at: datetime,
            rng: random.Random) -> Iterator[Step]:
    yield f.step("reportRectification", {"notice_id": nid, "completion": "complete",
                                         "report": doc(c.profile, f"clue:{c.key}:report:{nid}:{at:%Y%m%d}",
                                                       f"关于{number}的整改报告"),
                                         "measures": rng.choice(("逐项建立整改台账,完善执法制度,组织执法人员专题培训。",
                                                                 "纠正违法行为,对相关责任人员批评教育,建立长效机制。"))},
                 liaison, at=at)
