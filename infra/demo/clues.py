"""Clues D1–D8 of ``demo_2024`` (domain.md §12.1 table; scenarios 1, 2, 3, 5, 9, 10 start from them).

Part A (to 2024-07-18) and Part B (D7 verified 07-24 / closed 07-31, D6 outcome 09-10 / closed 09-13).
Two documented backdates: D1's NoticeServed (occurred Sunday 02-04, a 调休 working day; recorded 02-06)
and D4's ClueReceived (occurred 03-04, recorded 03-06, so its registration completes late).
"""

from __future__ import annotations

import hashlib
from typing import Any

from domain.identity import identity_stream_id
from infra.demo.plan import Plan, obligation_of, t
from infra.demo.registry import (
    GOVERNMENT,
    INT,
    JWJW,
    RECON_OFFICE,
    SCHEDULER,
    STAFF,
    SUP1,
    SUP2,
    liaison,
)

ST1, ST2, ST3, ST4, ST5, ST6 = STAFF
VIDEO, KMS_KEY = "video/mp4", "kms:hq/vault/2024"


class Clue:
    """Plans the steps of one clue stream (``at`` as 'YYYY-MM-DD HH:MM' business time)."""

    def __init__(self, plan: Plan, code: str) -> None:
        self.plan, self.code, self.id = plan, code, plan.uid("clue", code)
        plan.ids.setdefault("clues", {})[code] = str(self.id)

    def __call__(self, command: str, data: Any, when: str, who: dict[str, str], *approvers: dict[str, str],
                 **meta: Any) -> None:
        self.plan.add(command, data, at=t(when), actor=who, stream=self.id, approvers=approvers,
                      key=f"{self.code}:{command}:{when}", **meta)

    def uid(self, name: str) -> str:
        return self.plan.sid("clue", self.code, name)

    def doc(self, name: str, number: str | None = None, **kw: Any) -> dict[str, Any]:
        return self.plan.doc(name, f"{self.code}:{name}", number=number, **kw)

    def assign(self, when: str, user: dict[str, str], role: str, accepted_at: str) -> None:
        aid = self.uid(f"assignment:{user['user_id']}")
        self("assignClue", {"assignment_id": aid, "assignee_user_id": user["user_id"], "role_on_clue": role},
             when, SUP1)
        self("acceptAssignment", {"assignment_id": aid}, accepted_at, user)


def seal(plan: Plan, token: str, role: str, when: str, who: dict[str, str]) -> None:
    record = hashlib.sha256(f"vault-record:{token}".encode()).hexdigest()
    plan.add("sealIdentity", {"person_token": token, "person_role": role, "key_id": KMS_KEY,
                              "vault_record_hash": record},
             at=t(when), actor=who, stream=identity_stream_id(token), key=f"identity:{token}")


def reporter(token: str | None, *, real_name: bool = False, kind: str = "named") -> dict[str, Any]:
    if token is None:
        return {"kind": kind, "contactable": False}
    return {"kind": kind, "reporter_token": token, "contactable": True, "real_name_report": real_name}


def hotline_ref(ticket: str) -> list[dict[str, str]]:
    return [{"system": "hotline_12345", "ref": ticket}]


def valid(reason: str) -> dict[str, str]:
    return {"outcome": "valid", "reason_code": "other", "reason": reason}


def d1_d2(plan: Plan) -> None:
    d1, d2 = Clue(plan, "D1"), Clue(plan, "D2")
    rep = plan.token("reporter", "D1")
    seal(plan, rep, "reporter", "2024-01-15 09:05", INT)
    d1("receiveClue", {"channel": "hotline_12345", "subject_agency_ids": ["A02"], "reporter": reporter(rep),
                       "summary": "12345热线工单:市民反映1月13日晚在东湖夜市,城市管理执法人员清理占道经营时推搡摊主、"
                                  "强行收缴商品,态度粗暴,要求依法查处。"},
       "2024-01-15 09:10", INT, external_refs=hotline_ref("HQ12345-20240115-0387"))
    d1("registerClue", {}, "2024-01-15 09:40", ST1)
    d1("acknowledgeReceipt", {"method": "platform", "recipient": "hotline_platform"}, "2024-01-15 10:05", INT)
    d2("receiveClue", {"channel": "media", "subject_agency_ids": ["A02"],
                       "reporter": reporter(None, kind="organization"),
                       "summary": "汉渠融媒报道:东湖夜市城管执法人员与摊主发生肢体冲突,现场视频在网络传播,"
                                  "引发社会关注。"}, "2024-01-17 09:20", ST3)
    d2("registerClue", {}, "2024-01-17 09:50", ST3)
    d1("screenClue", valid("反映具体执法行为,事实较明确,属行政执法监督范围"), "2024-01-19 10:00", ST1)
    d2("screenClue", valid("与HQ-JD-2024-0001反映同一执法事件,有效,拟合并办理"), "2024-01-19 10:20", ST1)
    d1("openSupervisionCase", {"case_kind": "individual", "lead_user_id": ST1["user_id"]}, "2024-01-22 09:30",
       ST1, SUP1)
    d1("mergeClues", {"survivor_clue_id": str(d1.id), "absorbed_clue_ids": [str(d2.id)]}, "2024-01-22 10:30",
       ST1, SUP1)
    d1.assign("2024-01-22 11:00", ST1, "lead", "2024-01-22 11:20")
    d1.assign("2024-01-22 11:30", ST2, "assistant", "2024-01-22 14:00")
    d1("startVerification", {"methods": ["document_review", "site_visit", "staff_interview"],
                             "team_user_ids": [ST1["user_id"], ST2["user_id"]]}, "2024-01-23 09:30", ST1)
    d1("recordEvidence", {"evidence_id": d1.uid("evidence:video"), "kind": "video",
                          "documents": [d1.doc("执法记录仪视频(1月13日东湖夜市)", mime=VIDEO, sensitivity="S2"),
                                        d1.doc("群众提供的现场视频", mime=VIDEO, sensitivity="S2")],
                          "description": "调取执法记录仪视频及群众拍摄视频,显示执法人员推搡摊主并强行收缴商品"},
       "2024-01-25 15:00", ST2)
    d1("recordEvidence", {"evidence_id": d1.uid("evidence:statement"), "kind": "statement",
                          "documents": [d1.doc("执法人员询问笔录", sensitivity="S2")],
                          "description": "对当班执法人员3人、摊主2人制作询问笔录"}, "2024-01-29 10:00", ST1)
    d1("recordFinding", {"finding_id": d1.uid("finding"), "conclusion": "substantiated",
                         "problem_categories": ["rough", "violent"], "responsible_agency_ids": ["A02"],
                         "violated_provisions": ["《中华人民共和国行政处罚法》第五条", "《城市管理执法办法》第二十九条"],
                         "summary": "执法人员在清理占道经营中未先行教育劝导,推搡当事人、强行收缴商品且未出具清单,"
                                    "简单粗暴执法问题属实。"}, "2024-02-01 10:00", ST1, SUP1)
    notice, number = d1.uid("notice"), "汉司监整〔2024〕1号"
    d1("issueNotice", {"notice_id": notice, "notice_type": "rectification_notice", "doc_number": number,
                       "recipient_org_id": "A02", "problem_refs": [d1.uid("finding")],
                       "requirements": "立即纠正简单粗暴执法行为,退还违规收缴物品,对涉事人员批评教育,开展执法规范化"
                                       "培训,自送达之日起30日内书面报告整改情况。",
                       "document": d1.doc("行政执法监督整改通知书", number)}, "2024-02-02 10:00", ST1, SUP1)
    d1("serveNotice", {"notice_id": notice, "method": "direct", "service_receipt": d1.doc("送达回证(整改通知书)")},
       "2024-02-04 10:00", ST2, recorded=t("2024-02-06 09:30"),
       backdate={"reason": "2月4日(调休工作日)直接送达,送达回证2月6日退回后补录"})

    def overdue(ledger: Any) -> dict[str, Any]:
        ob = obligation_of(ledger, d1.id, "rectification_report", notice)
        return {"notice_id": notice, "obligation_id": ob["obligation_id"], "due_at": ob["due_at"]}

    def overdue_key(ledger: Any) -> dict[str, Any]:
        ob = obligation_of(ledger, d1.id, "rectification_report", notice)
        return {"idempotency_key": f"overdue:{ob['obligation_id']}:{ob['due_at']}"}

    plan.add("markNoticeOverdue", overdue, at=t("2024-03-06 00:00"), actor=SCHEDULER, stream=d1.id,
             recorded=t("2024-03-06 00:03"), key="D1:overdue", lazy_meta=overdue_key)
    d1("issueReminder", {"target": notice, "reminder_kind": "urge",
                         "response_period": {"length": 5, "unit": "working_day"},
                         "document": d1.doc("行政执法监督催办通知单", "汉司监催〔2024〕1号")}, "2024-03-06 09:30", ST1)
    d1("escalateNotice", {"notice_id": notice, "level": 1, "escalation_type": "interview",
                          "reason": "整改期限届满且催办期满仍未报告整改情况,提请分管副市长约谈单位主要负责人"},
       "2024-03-14 09:30", ST1, SUP2)
    interview = d1.uid("interview")
    d1("scheduleInterview", {"interview_id": interview, "interview_type": "admonitory", "interviewee_org_id": "A02",
                             "interviewee_position": "局长(主要负责人)",
                             "interviewer": {"position": "分管副市长", "org_id": GOVERNMENT},
                             "scheduled_at": "2024-03-20T09:30:00+08:00", "location": "市政府第三会议室",
                             "notice_doc": d1.doc("警示约谈通知书")}, "2024-03-15 10:00", ST1, SUP2)
    commitment = d1.uid("commitment")
    d1("holdInterview", {"interview_id": interview, "minutes_hash": hashlib.sha256(b"D1 interview minutes").hexdigest(),
                         "participants": [{"position": "分管副市长", "org_id": GOVERNMENT, "role": "interviewer"},
                                          {"position": "局长", "org_id": "A02", "role": "interviewee"},
                                          {"position": "分管副局长", "org_id": "HQ", "role": "observer"},
                                          {"position": "行政执法协调监督科科员", "org_id": "HQ", "role": "recorder"}],
                         "commitments": [{"commitment_id": commitment, "due_date": "2024-04-03",
                                          "text": "10个工作日内完成整改并书面报告,涉事执法人员调离一线岗位"}]},
       "2024-03-20 11:30", ST1)
    report = d1.doc("关于东湖夜市执法问题的整改报告")
    d1("reportRectification", {"notice_id": notice, "report": report, "completion": "complete",
                               "measures": "退还收缴商品并赔礼道歉;涉事3名执法人员停岗培训,1人调离一线;全局开展"
                                           "文明执法专题培训,修订夜市管理执法指引。"}, "2024-03-28 10:00", liaison("A02"))
    d1("fulfilCommitment", {"interview_id": interview, "commitment_id": commitment, "evidence": report},
       "2024-03-28 14:00", ST1)
    d1("verifyRectification", {"notice_id": notice, "result": "accepted", "method": "site_check",
                               "reasons": "现场回访摊主并抽查执法记录仪,整改措施落实到位"}, "2024-04-03 10:00", ST1, SUP1)
    d1("closeClue", {"closure_type": "rectified", "closure_reason": "问题属实,整改到位,约谈承诺已履行,予以办结",
                     "closure_report": d1.doc("问题线索办结报告")}, "2024-04-22 10:00", ST1, SUP2)
    d1("sendReporterFeedback", {"feedback_kind": "result", "recipient": "hotline_platform", "method": "platform",
                                "delivery": "delivered", "satisfaction": "satisfied"}, "2024-04-24 10:00", ST1)


def d3(plan: Plan) -> None:
    c = Clue(plan, "D3")
    rep = plan.token("reporter", "D3")
    seal(plan, rep, "reporter", "2024-02-20 09:00", INT)
    c("receiveClue", {"channel": "hotline_12345", "subject_agency_ids": [], "reporter": reporter(rep),
                      "summary": "12345热线工单:市民反映邻居在楼道堆放杂物、加装铁门影响通行,双方多次协商未果,"
                                 "要求有关部门处理。"}, "2024-02-20 09:05", INT,
      external_refs=hotline_ref("HQ12345-20240220-0112"))
    c("registerClue", {}, "2024-02-20 09:40", ST4)
    c("acknowledgeReceipt", {"method": "platform", "recipient": "hotline_platform"}, "2024-02-20 10:00", INT)
    c("screenClue", {"outcome": "out_of_scope", "reason_code": "civil_dispute",
                     "reason": "系相邻关系民事纠纷,不属于行政执法监督范围,建议通过人民调解或诉讼途径解决"},
      "2024-02-26 10:00", ST4, SUP1)
    c("sendReporterFeedback", {"feedback_kind": "not_accepted_notice", "recipient": "hotline_platform",
                               "method": "platform", "delivery": "delivered"}, "2024-02-27 10:00", INT)


def d4_d5(plan: Plan) -> None:
    c, c5 = Clue(plan, "D4"), Clue(plan, "D5")
    rep = plan.token("reporter", "D4")  # scenarios 5 and 10; D5 is the same writer's repeated letter
    plan.ids["d4_reporter_token"] = rep
    seal(plan, rep, "reporter", "2024-03-06 09:00", ST3)
    c("receiveClue", {"channel": "letter_visit", "subject_agency_ids": ["A01"],
                      "reporter": reporter(rep, real_name=True),
                      "summary": "实名来信反映:市场监督管理局对其经营的小超市销售过期食品(货值不足百元)处以五万元"
                                 "罚款,未考虑首次违法、及时改正等情节,处罚明显过重。"},
      "2024-03-04 10:00", ST3, recorded=t("2024-03-06 09:05"),
      backdate={"reason": "来信3月4日由收发室签收,登记人员外出培训,3月6日补录登记"})
    c("registerClue", {}, "2024-03-06 09:20", ST3)
    c("acknowledgeReceipt", {"method": "phone", "recipient": rep}, "2024-03-07 10:00", ST3)
    c("screenClue", valid("反映行政处罚过罚不相当,有具体事实,属监督范围"), "2024-03-11 10:00", ST3)
    c("sendReporterFeedback", {"feedback_kind": "acceptance_notice", "recipient": rep, "method": "letter",
                               "delivery": "delivered", "document": c.doc("信访事项受理告知书", sensitivity="S3")},
      "2024-03-12 10:00", ST3)
    c("openSupervisionCase", {"case_kind": "individual", "lead_user_id": ST3["user_id"]}, "2024-03-13 09:30", ST3, SUP1)
    c.assign("2024-03-13 10:00", ST3, "lead", "2024-03-13 10:30")
    c("startVerification", {"methods": ["document_review", "materials_request"], "team_user_ids": [ST3["user_id"]]},
      "2024-03-14 09:30", ST3)
    c("recordEvidence", {"evidence_id": c.uid("evidence:case_file"), "kind": "case_file",
                         "documents": [c.doc("调取的行政处罚案卷(汉市监罚〔2023〕217号)", sensitivity="S2")],
                         "description": "调取原行政处罚案卷及裁量基准适用说明"}, "2024-03-20 10:00", ST3)
    c("recordFinding", {"finding_id": c.uid("finding"), "conclusion": "substantiated",
                        "problem_categories": ["excessive", "discretion_benchmark"], "responsible_agency_ids": ["A01"],
                        "violated_provisions": ["《中华人民共和国行政处罚法》第五条", "《中华人民共和国行政处罚法》第三十三条"],
                        "summary": "对首次违法、货值较小且及时改正的当事人未适用从轻减轻情形,未说明裁量理由,"
                                   "过罚不相当问题属实。"}, "2024-04-10 10:00", ST3, SUP1)
    notice, number = c.uid("notice"), "汉司监意〔2024〕1号"
    c("issueNotice", {"notice_id": notice, "notice_type": "supervision_opinion", "doc_number": number,
                      "recipient_org_id": "A01", "problem_refs": [c.uid("finding")],
                      "requirements": "依法自行纠正该案处罚决定,规范行政裁量权基准适用,30日内书面报告整改情况。",
                      "document": c.doc("行政执法监督意见书", number)}, "2024-04-12 10:00", ST3, SUP1)
    c("serveNotice", {"notice_id": notice, "method": "direct", "service_receipt": c.doc("送达回证(监督意见书)")},
      "2024-04-15 10:00", ST3)

    def handling(ledger: Any) -> str:
        return obligation_of(ledger, c.id, "letter_visit_handling")["obligation_id"]

    c("requestExtension", lambda ledger: {"obligation_id": handling(ledger),
                                          "requested": {"length": 30, "unit": "calendar_day"},
                                          "reason": "被监督单位自行纠错程序尚未完成,需延长信访事项办理期限"},
      "2024-05-08 09:30", ST3)
    c("grantExtension", lambda ledger: {"obligation_id": handling(ledger),
                                        "granted": {"length": 30, "unit": "calendar_day"},
                                        "new_due_date": "2024-06-11"}, "2024-05-08 15:00", SUP1, SUP2)
    c("sendReporterFeedback", {"feedback_kind": "extension_notice", "recipient": rep, "method": "letter",
                               "delivery": "delivered", "document": c.doc("信访事项延期办理告知书", sensitivity="S3")},
      "2024-05-09 10:00", ST3)
    c("reportRectification", {"notice_id": notice, "report": c.doc("关于落实行政执法监督意见书的整改报告"),
                              "completion": "complete",
                              "measures": "撤销原处罚决定并重新作出警告、罚款五千元的决定;修订本局行政裁量权基准适用规则;"
                                          "组织办案人员专题学习。"}, "2024-05-10 10:00", liaison("A01"))
    c("verifyRectification", {"notice_id": notice, "result": "accepted", "method": "case_file_recheck",
                              "reasons": "复查重新作出的处罚决定及裁量说明,整改到位"}, "2024-05-20 10:00", ST3, SUP1)
    c("closeClue", {"closure_type": "rectified", "closure_reason": "过罚不相当问题属实,已自行纠正,予以办结",
                    "closure_report": c.doc("问题线索办结报告")}, "2024-05-27 10:00", ST3, SUP2)
    c("sendReporterFeedback", {"feedback_kind": "result", "recipient": rep, "method": "letter",
                               "delivery": "delivered", "satisfaction": "basically_satisfied",
                               "document": c.doc("信访事项处理意见书", sensitivity="S3")}, "2024-05-29 10:00", ST3)

    c5("receiveClue", {"channel": "letter_visit", "subject_agency_ids": ["A01"],
                       "reporter": reporter(rep, real_name=True),
                       "summary": "来信再次反映市场监督管理局对其小超市罚款过重问题,内容与3月4日来信相同。"},
       "2024-03-18 09:30", ST3)
    c5("registerClue", {}, "2024-03-18 10:00", ST3)
    c5("acknowledgeReceipt", {"method": "phone", "recipient": rep}, "2024-03-19 10:00", ST3)
    c5("screenClue", {"outcome": "duplicate", "reason_code": "duplicate", "duplicate_of_clue_id": str(c.id),
                      "reason": "与HQ-JD-2024-0004为同一事项的重复来信,已在办理中"}, "2024-03-20 10:00", ST3, SUP1)
    c5("sendReporterFeedback", {"feedback_kind": "not_accepted_notice", "recipient": rep, "method": "letter",
                                "delivery": "delivered", "document": c5.doc("信访事项不予受理告知书", sensitivity="S3")},
       "2024-03-21 10:00", ST3)


def d6(plan: Plan) -> None:
    c = Clue(plan, "D6")
    rep = plan.token("reporter", "D6")
    accused = [plan.token("accused", "D6", n) for n in (1, 2, 3)]
    seal(plan, rep, "reporter", "2024-04-08 09:00", ST4)
    c("receiveClue", {"channel": "online_platform", "subject_agency_ids": ["A03"], "reporter": reporter(rep),
                      "summary": "网络问政平台留言:交通运输局部分执法人员在货运车辆治超检查中以罚代管,罚款数额与"
                                 "“任务”挂钩,并疑似收受货运企业好处费。"}, "2024-04-08 09:10", ST4)
    c("registerClue", {}, "2024-04-08 09:40", ST4)
    c("acknowledgeReceipt", {"method": "platform", "recipient": rep}, "2024-04-08 10:00", ST4)
    c("screenClue", valid("反映逐利执法及涉嫌违纪问题,线索具体,属监督范围"), "2024-04-12 10:00", ST4)
    c("openSupervisionCase", {"case_kind": "individual", "lead_user_id": ST2["user_id"]}, "2024-04-15 09:30", ST2, SUP1)
    c.assign("2024-04-15 10:00", ST2, "lead", "2024-04-15 10:20")
    c.assign("2024-04-15 10:30", ST4, "assistant", "2024-04-15 14:00")
    c("startVerification", {"methods": ["document_review", "staff_interview", "materials_request"],
                            "team_user_ids": [ST2["user_id"], ST4["user_id"]]}, "2024-04-16 09:30", ST2)
    c("recordEvidence", {"evidence_id": c.uid("evidence:data"), "kind": "data_extract",
                         "documents": [c.doc("2023年以来治超罚没款统计表", mime="application/vnd.ms-excel",
                                             sensitivity="S2")],
                         "description": "调取治超执法罚没款数据,部分路段罚款与考核指标高度相关"}, "2024-04-25 10:00", ST2)
    c("recordEvidence", {"evidence_id": c.uid("evidence:statement"), "kind": "statement",
                         "documents": [c.doc("货运企业负责人询问笔录", sensitivity="S2")],
                         "description": "货运企业负责人陈述曾向个别执法人员支付“好处费”"}, "2024-05-09 10:00", ST4)
    for n, token in enumerate(accused):
        seal(plan, token, "accused", f"2024-05-20 09:0{n}", ST2)
    finding = c.uid("finding")
    c("recordFinding", {"finding_id": finding, "conclusion": "substantiated",
                        "problem_categories": ["profit_driven", "arbitrary_action"], "responsible_agency_ids": ["A03"],
                        "responsible_person_tokens": accused,
                        "violated_provisions": ["《中华人民共和国行政处罚法》第七十四条", "《罚没财物管理办法》第四条"],
                        "summary": "治超执法存在以罚代管、罚款与考核挂钩的逐利执法问题;3名执法人员涉嫌收受好处费,"
                                   "涉嫌违纪违法,需移送纪检监察机关。"}, "2024-05-20 10:00", ST2, SUP1)
    transfer = c.uid("transfer")
    c("proposeTransfer", {"transfer_id": transfer, "target_type": "discipline_inspection", "target_org_id": JWJW,
                          "transfer_kind": "official_misconduct", "report_doc": c.doc("关于移送问题线索的请示"),
                          "materials": [{"material_type": "transfer_letter", "doc": c.doc("问题线索移送函")},
                                        {"material_type": "clue_materials",
                                         "doc": c.doc("问题线索材料", sensitivity="S2")}]}, "2024-05-21 10:00", ST2)
    # scenario 2: the approval is refused until the finding report is attached (refusals record nothing)
    c("attachTransferMaterials", {"transfer_id": transfer, "materials": [
        {"material_type": "finding_report", "doc": c.doc("核查认定报告", sensitivity="S2")}]}, "2024-05-21 15:30", ST2)
    c("approveTransfer", {"transfer_id": transfer}, "2024-05-22 10:00", SUP1, SUP2)
    c("sendTransfer", {"transfer_id": transfer, "sent_via": "official_letter",
                       "transfer_letter": c.doc("问题线索移送函", "汉司监移〔2024〕1号"),
                       "partner_summary": "汉渠市交通运输局治超执法中以罚代管、3名执法人员涉嫌收受货运企业好处费,"
                                          "经核查基本属实,移送审查处理。"}, "2024-05-23 10:00", ST2)
    notice, number = c.uid("notice"), "汉司监整〔2024〕2号"
    c("issueNotice", {"notice_id": notice, "notice_type": "rectification_notice", "doc_number": number,
                      "recipient_org_id": "A03", "problem_refs": [finding],
                      "requirements": "立即停止将罚没收入与执法考核挂钩的做法,全面清理治超执法考核指标,30日内"
                                      "书面报告整改情况。", "document": c.doc("行政执法监督整改通知书", number)},
      "2024-05-24 10:00", ST2, SUP1)
    c("serveNotice", {"notice_id": notice, "method": "direct", "service_receipt": c.doc("送达回证(整改通知书)")},
      "2024-05-27 10:00", ST4)
    c("acknowledgeTransfer", {"transfer_id": transfer, "receipt": c.doc("纪委监委签收回执")}, "2024-05-28 10:00", ST2,
      external_refs=[{"system": "discipline_inspection", "ref": "汉纪监收〔2024〕52号"}])
    c("reportRectification", {"notice_id": notice, "report": c.doc("治超执法整改情况报告"), "completion": "complete",
                              "measures": "废止罚没款考核指标,建立治超执法案件集体讨论制度,涉事人员暂停执法资格。"},
      "2024-06-20 10:00", liaison("A03"))
    c("receiveTransferDecision", {"transfer_id": transfer, "decision": "preliminary_verification",
                                  "decision_doc": c.doc("问题线索处置情况告知书(初步核实)")}, "2024-06-25 10:00", ST2)
    c("verifyRectification", {"notice_id": notice, "result": "accepted", "method": "document_review",
                              "reasons": "审查整改报告及废止考核指标文件,整改到位"}, "2024-06-28 10:00", ST2, SUP1)
    # Part B
    c("reportTransferOutcome", {"transfer_id": transfer, "outcome": "sanctions", "final": True,
                                "sanctions": ["admonishment_talk", "admonishment_talk", "removed_from_enforcement"],
                                "outcome_doc": c.doc("纪委监委处理结果通报")}, "2024-09-10 10:00", ST2)
    c("closeClue", {"closure_type": "transferred_closed", "closure_reason": "已移送纪委监委并作出处理(诫勉谈话2人、"
                    "调离执法岗位1人),整改到位,予以办结", "closure_report": c.doc("问题线索办结报告")},
      "2024-09-13 10:00", ST2, SUP2)
    c("sendReporterFeedback", {"feedback_kind": "result", "recipient": rep, "method": "platform",
                               "delivery": "delivered", "satisfaction": "satisfied"}, "2024-09-20 10:00", ST2)


def d7_d8(plan: Plan) -> None:
    c = Clue(plan, "D7")
    corr = plan.sid("correlation", "D7")
    c("receiveClue", {"channel": "reconsideration_case", "subject_agency_ids": ["A05"],
                      "reporter": reporter(None, kind="organization"),
                      "summary": "市行政复议办公室移交:办理行政复议案件中发现,自然资源和规划局对多件政府信息公开申请"
                                 "按信访件答复,未依法作出政府信息公开答复。"}, "2024-05-06 09:10", ST5, correlation_id=corr)
    c("receiveInboundTransfer", {"sender_org_id": RECON_OFFICE, "sender_kind": "reconsideration_office",
                                 "transfer_letter": c.doc("问题线索移交函", "汉复办移〔2024〕3号")},
      "2024-05-06 09:12", ST5, correlation_id=corr,
      external_refs=[{"system": "reconsideration_office", "ref": "汉复办移〔2024〕3号"}])
    c("registerClue", {}, "2024-05-06 09:40", ST5)
    c("screenClue", valid("复议机构移交,反映执法行为形式错误,属监督范围"), "2024-05-10 10:00", ST5)
    c("openSupervisionCase", {"case_kind": "individual", "lead_user_id": ST5["user_id"]}, "2024-05-13 09:30", ST5, SUP1)
    c.assign("2024-05-13 10:00", ST5, "lead", "2024-05-13 10:20")
    c("startVerification", {"methods": ["document_review"], "team_user_ids": [ST5["user_id"]]}, "2024-05-14 09:30", ST5)
    c("recordEvidence", {"evidence_id": c.uid("evidence:replies"), "kind": "case_file",
                         "documents": [c.doc("2023年以来政府信息公开申请答复件汇编", sensitivity="S2")],
                         "description": "抽查2023年以来政府信息公开申请办理台账及答复件"}, "2024-05-22 10:00", ST5)
    finding = c.uid("finding")
    c("recordFinding", {"finding_id": finding, "conclusion": "substantiated",
                        "problem_categories": ["wrong_form_of_act", "inadequate_performance"],
                        "responsible_agency_ids": ["A05"],
                        "violated_provisions": ["《中华人民共和国政府信息公开条例》第三十六条"],
                        "summary": "对7件政府信息公开申请以信访答复形式处理,未依法作出信息公开答复,问题属实。"},
      "2024-06-12 10:00", ST5, SUP1)
    notice, number = c.uid("notice"), "汉司监建〔2024〕1号"
    c("issueNotice", {"notice_id": notice, "notice_type": "supervision_suggestion", "doc_number": number,
                      "recipient_org_id": "A05", "problem_refs": [finding],
                      "requirements": "对相关申请依法重新作出政府信息公开答复,建立申请分类甄别机制,30日内书面报告。",
                      "document": c.doc("行政执法监督建议书", number)}, "2024-06-14 10:00", ST5, SUP1)
    c("serveNotice", {"notice_id": notice, "method": "direct", "service_receipt": c.doc("送达回证(监督建议书)")},
      "2024-06-17 10:00", ST5)
    c("reportRectification", {"notice_id": notice, "report": c.doc("关于落实行政执法监督建议书的报告"),
                              "completion": "complete",
                              "measures": "对7件申请重新作出信息公开答复;制定依申请公开分类甄别规程并开展培训。"},
      "2024-07-12 10:00", liaison("A05"))
    # Part B
    c("verifyRectification", {"notice_id": notice, "result": "accepted", "method": "document_review",
                              "reasons": "审查重新作出的答复及甄别规程,整改到位"}, "2024-07-24 10:00", ST5, SUP1)
    c("closeClue", {"closure_type": "rectified", "closure_reason": "问题属实,整改到位,予以办结",
                    "closure_report": c.doc("问题线索办结报告")}, "2024-07-31 10:00", ST5, SUP2)
    c("sendReporterFeedback", {"feedback_kind": "result", "recipient": RECON_OFFICE, "method": "letter",
                               "delivery": "delivered", "document": c.doc("问题线索办理结果函")}, "2024-08-02 10:00", ST5)

    c8 = Clue(plan, "D8")
    c8("receiveClue", {"channel": "online_platform", "subject_agency_ids": [],
                       "reporter": reporter(None, kind="anonymous"),
                       "summary": "网络问政平台匿名留言:“执法部门乱来,希望管一管”,未提供具体单位、时间及事实。"},
       "2024-06-03 09:30", ST6)
    c8("registerClue", {}, "2024-06-03 10:00", ST6)
    c8("screenClue", {"outcome": "invalid", "reason_code": "no_substantive_content",
                      "reason": "留言无具体单位、时间和事实,无法核查"}, "2024-06-05 10:00", ST6, SUP1)


def load_clues(plan: Plan) -> None:
    d1_d2(plan)
    d3(plan)
    d4_d5(plan)
    d6(plan)
    d7_d8(plan)
