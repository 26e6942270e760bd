"""Payloads of notice, deadline and notification events (domain.md §4.3, §4.4 NotificationPublished)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator

from domain.catalogue import AL, STAFF, SYS, command
from domain.values import DocRef, NoticeType, Period, ShortText, Strict, Text


class RectificationNoticeIssued(Strict):
    notice_id: UUID
    notice_type: NoticeType
    doc_number: ShortText
    recipient_org_id: str
    problem_refs: list[str] = Field(default_factory=list, max_length=200)
    requirements: Text
    rectification_period: Period | None = None  # default per notice type (§6.2 row 17)
    requires_report: bool = True
    document: DocRef


class NoticeServed(Strict):
    notice_id: UUID
    method: Literal["direct", "mail", "electronic", "platform"]
    service_receipt: DocRef


class DeadlineExtensionRequested(Strict):
    obligation_id: UUID
    requested: Period
    reason: Text


class DeadlineExtensionGranted(Strict):
    obligation_id: UUID
    granted: Period
    new_due_date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")  # recomputed; must match


class DeadlineExtensionDenied(Strict):
    obligation_id: UUID
    reason: Text


class RectificationReported(Strict):
    notice_id: UUID
    report: DocRef
    completion: Literal["complete", "partial"]
    measures: Text


class RectificationVerified(Strict):
    notice_id: UUID
    result: Literal["accepted", "rejected"]
    method: Literal["document_review", "site_check", "case_file_recheck"]
    reasons: Text
    re_rectification_period: Period | None = None

    @model_validator(mode="after")
    def _period_iff_rejected(self) -> RectificationVerified:
        if self.result == "accepted" and self.re_rectification_period is not None:
            raise ValueError("re_rectification_period is only for a rejected verification")
        return self


class NoticeOverdue(Strict):
    notice_id: UUID
    obligation_id: UUID
    due_at: AwareDatetime


class NoticeEscalated(Strict):
    notice_id: UUID
    level: int = Field(ge=1, le=5)
    escalation_type: Literal["reminder_chain", "listed_supervision", "interview", "superseding_notice",
                             "accountability", "report_to_government"]
    reason: Text


class ReminderIssued(Strict):
    target: UUID  # a notice, transfer or obligation id
    reminder_kind: Literal["urge", "supervise", "listed_supervision"]
    response_period: Period
    document: DocRef


class NoticeWithdrawn(Strict):
    notice_id: UUID
    reason: Text


class NotificationPublished(Strict):
    notification_id: UUID
    scope: Literal["internal", "government_wide", "public"]
    tone: Literal["criticism", "commendation", "informational"]
    doc_number: ShortText
    document: DocRef
    subject_org_ids: list[str] = Field(default_factory=list)
    refs: list[str] = Field(default_factory=list)


_HOLDERS = ("Clue", "ReviewBatch", "ReconsiderationCase")
for _agg in _HOLDERS:
    _s = {"Clue": "", "ReviewBatch": "InBatch", "ReconsiderationCase": "InReconsideration"}[_agg]
    command(f"issueNotice{_s}", "RectificationNoticeIssued", _agg, "issue_notice", RectificationNoticeIssued, STAFF)
    command(f"serveNotice{_s}", "NoticeServed", _agg, "serve_notice", NoticeServed, (*STAFF, AL))
    command(f"requestExtension{_s}", "DeadlineExtensionRequested", _agg, "request_extension",
            DeadlineExtensionRequested, (*STAFF, AL))
    command(f"grantExtension{_s}", "DeadlineExtensionGranted", _agg, "grant_extension", DeadlineExtensionGranted,
            ("supervisor",))
    command(f"denyExtension{_s}", "DeadlineExtensionDenied", _agg, "deny_extension", DeadlineExtensionDenied,
            ("supervisor",))
    command(f"reportRectification{_s}", "RectificationReported", _agg, "report_rectification",
            RectificationReported, (*STAFF, AL))
    command(f"verifyRectification{_s}", "RectificationVerified", _agg, "verify_rectification",
            RectificationVerified, STAFF)
    command(f"markNoticeOverdue{_s}", "NoticeOverdue", _agg, "mark_overdue", NoticeOverdue, (SYS,))
    command(f"escalateNotice{_s}", "NoticeEscalated", _agg, "escalate_notice", NoticeEscalated, STAFF)
    command(f"issueReminder{_s}", "ReminderIssued", _agg, "issue_reminder", ReminderIssued, STAFF)
    command(f"withdrawNotice{_s}", "NoticeWithdrawn", _agg, "withdraw_notice", NoticeWithdrawn, STAFF)
command("publishNotification", "NotificationPublished", "Clue", "publish_notification", NotificationPublished, STAFF)
command("publishNotificationInBatch", "NotificationPublished", "ReviewBatch", "publish_notification",
        NotificationPublished, STAFF)
