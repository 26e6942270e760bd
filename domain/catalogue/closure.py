"""Payloads of closure, reporter feedback, objection and reopening events (domain.md §4.5)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from domain.catalogue import INT, STAFF, command
from domain.values import DocRef, Strict, Text


class ClueClosed(Strict):
    closure_type: Literal["rectified", "unfounded", "transferred_closed", "merged", "withdrawn", "other"]
    closure_reason: Text
    closure_report: DocRef
    withdrawal_document: DocRef | None = None  # required for closure_type withdrawn (§5.4 j)


class ReporterFeedbackSent(Strict):
    feedback_kind: Literal["acceptance_notice", "not_accepted_notice", "progress", "extension_notice", "result",
                           "objection_reply"]
    recipient: str = Field(min_length=1, max_length=64)  # a reporter token or hotline_platform
    method: Literal["sms", "letter", "phone", "platform", "in_person"]
    delivery: Literal["delivered", "failed"]
    document: DocRef | None = None
    satisfaction: Literal["satisfied", "basically_satisfied", "dissatisfied"] | None = None


class ObjectionRecorded(Strict):
    objection_id: UUID
    from_token: str = Field(min_length=1, max_length=64)
    grounds: Text
    new_evidence: list[DocRef] = Field(default_factory=list)


class ObjectionResolved(Strict):
    objection_id: UUID
    result: Literal["upheld", "dismissed"]
    explanation: Text


class ClueReopened(Strict):
    reason_code: Literal["objection_upheld", "new_evidence", "superior_instruction", "transfer_returned", "unmerge",
                         "closure_error"]


command("closeClue", "ClueClosed", "Clue", "close", ClueClosed, STAFF)
command("sendReporterFeedback", "ReporterFeedbackSent", "Clue", "send_feedback", ReporterFeedbackSent, (*STAFF, INT))
command("recordObjection", "ObjectionRecorded", "Clue", "record_objection", ObjectionRecorded, STAFF)
command("resolveObjection", "ObjectionResolved", "Clue", "resolve_objection", ObjectionResolved, STAFF)
command("reopenClue", "ClueReopened", "Clue", "reopen", ClueReopened, STAFF)
