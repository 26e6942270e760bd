"""Chinese labels of events, statuses and fields, as the catalogue of domain.md §4 names them."""

from __future__ import annotations

EVENT_LABELS = {
    "ClueReceived": "收到线索", "InboundTransferReceived": "收到移交", "ClueRegistered": "登记",
    "ReceiptAcknowledged": "回执", "ClueScreened": "筛查", "SupervisionCaseOpened": "立案", "ClueAssigned": "分派",
    "AssignmentAccepted": "接受分派", "AssignmentDeclined": "拒绝分派", "CluesMerged": "合并", "CluesUnmerged": "撤销合并",
    "VerificationStarted": "核查", "EvidenceRecorded": "证据", "FindingRecorded": "认定", "ClueSuspended": "中止",
    "ClueResumed": "恢复", "PartnerShareGranted": "共享", "PartnerShareRevoked": "撤销共享",
    "TransferProposed": "拟移送", "TransferMaterialsAttached": "补充材料", "TransferApproved": "批准移送",
    "TransferRejected": "不批准移送", "TransferSent": "移送", "TransferAcknowledged": "签收", "TransferForwarded": "转送",
    "TransferDecisionReceived": "处理决定", "TransferDecisionContested": "提请复议", "TransferOutcomeReported": "处理结果",
    "RectificationNoticeIssued": "制发文书", "NoticeServed": "送达", "DeadlineExtensionRequested": "申请延期",
    "DeadlineExtensionGranted": "准予延期", "DeadlineExtensionDenied": "不予延期", "RectificationReported": "整改报告",
    "RectificationVerified": "整改核验", "NoticeOverdue": "逾期", "NoticeEscalated": "升级督办", "ReminderIssued": "催办",
    "NoticeWithdrawn": "撤回", "InterviewScheduled": "约谈安排", "InterviewRescheduled": "约谈改期",
    "InterviewCancelled": "取消约谈", "InterviewHeld": "约谈", "CommitmentFulfilled": "承诺履行",
    "AccountabilityReferred": "问责建议", "AccountabilityDecided": "问责决定", "NotificationPublished": "通报",
    "ClueClosed": "办结", "ReporterFeedbackSent": "答复反馈", "ObjectionRecorded": "异议", "ObjectionResolved": "异议处理",
    "ClueReopened": "重新办理", "EventCorrected": "更正", "EventVoided": "作废",
    "ReviewBatchOpened": "启动评查", "CaseFilesSampled": "抽取案卷", "CaseFileReviewed": "评查", "UnitInspected": "实地督察",
    "ProblemFound": "发现问题", "ReviewBatchClosed": "评查结束",
    "ReconsiderationApplicationReceived": "收到复议申请", "ReconsiderationSupplementRequested": "补正通知",
    "ReconsiderationAcceptanceDecided": "受理审查", "ReconsiderationSuspended": "复议中止",
    "ReconsiderationResumed": "复议恢复", "ReconsiderationClosed": "复议办结", "DecisionCopied": "抄告",
    "OrgRegistered": "单位登记", "OrgRenamed": "单位更名", "OrgRestructured": "机构改革", "OrgDeactivated": "单位撤销",
    "LiaisonAppointed": "指定联络员", "LiaisonRevoked": "撤销联络员", "StaffAffiliationRecorded": "登记任职关系",
    "StaffAffiliationEnded": "结束任职关系", "UserRegistered": "用户登记", "RoleGranted": "授予角色",
    "RoleRevoked": "撤销角色", "ConfigChanged": "配置变更", "CalendarYearPublished": "发布年度日历",
    "IdentitySealed": "身份封存", "IdentityUnsealRequested": "申请解封", "IdentityUnsealApproved": "批准解封",
    "IdentityUnsealDenied": "不予解封", "IdentityDisclosed": "身份披露", "IdentityShredded": "加密销毁",
    "RecordViewed": "查阅记录", "RecordExported": "导出记录", "CheckpointRecorded": "检查点",
}

STATUS_LABELS = {
    "received": "已收到", "registered": "已登记", "screened_valid": "有效线索", "screened_out": "已筛除",
    "case_opened": "已立案", "under_verification": "核查中", "rectifying": "整改中", "transferred": "已移送",
    "suspended": "中止", "reopened": "重新办理", "closed": "已办结",
}


def event_label(event_type: str) -> str:
    return EVENT_LABELS.get(event_type, event_type)
