"""Payloads of the Clue intake and handling events (domain.md §4.1)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator

from domain.catalogue import INT, STAFF, SV, command
from domain.values import (ClueChannel, DocRef, ProblemCategory, ScreenOutcome, ScreenReason, ShortText, Strict,
                           Text, Token)

CLUE_NO = r"^[A-Z0-9]{2,8}-JD-\d{4}-\d{4}$"
CASE_NO = r"^[A-Z0-9]{2,8}-LA-\d{4}-\d{4}$"


class Reporter(Strict):
    kind: Literal["named", "anonymous", "organization", "internal"]
    reporter_token: Token | None = None
    contactable: bool
    real_name_report: bool = False


class ClueReceived(Strict):
    channel: ClueChannel
    summary: Text
    subject_agency_ids: list[str] = Field(default_factory=list, max_length=50)
    reporter: Reporter
    external_due_at: AwareDatetime | None = None


class InboundTransferReceived(Strict):
    sender_org_id: str
    sender_kind: Literal["discipline_inspection", "hotline_12345", "reconsideration_office", "supervision_office",
                         "superior", "other"]
    requested_reply_by: AwareDatetime | None = None
    transfer_letter: DocRef


class ClueRegistered(Strict):
    clue_no: str | None = Field(default=None, pattern=CLUE_NO)  # assigned gaplessly by the ledger when omitted


class ReceiptAcknowledged(Strict):
    method: Literal["sms", "letter", "phone", "platform", "in_person"]
    recipient: str = Field(min_length=1, max_length=64)


class ClueScreened(Strict):
    outcome: ScreenOutcome
    reason_code: ScreenReason
    reason: Text
    duplicate_of_clue_id: UUID | None = None
    redirect_org_id: str | None = None

    @model_validator(mode="after")
    def _duplicate_iff(self) -> ClueScreened:
        if (self.outcome == "duplicate") != (self.duplicate_of_clue_id is not None):
            raise ValueError("duplicate_of_clue_id is required exactly when outcome is duplicate")
        return self


class SupervisionCaseOpened(Strict):
    case_no: str | None = Field(default=None, pattern=CASE_NO)  # assigned by the ledger when omitted
    case_kind: Literal["individual", "systemic"]
    lead_user_id: str


class ClueAssigned(Strict):
    assignment_id: UUID
    assignee_user_id: str
    role_on_clue: Literal["lead", "assistant"]


class AssignmentAccepted(Strict):
    assignment_id: UUID


class AssignmentDeclined(Strict):
    assignment_id: UUID
    reason: Literal["conflict_of_interest", "workload", "other"]


class VerificationStarted(Strict):
    methods: list[Literal["document_review", "site_visit", "staff_interview", "materials_request", "hearing"]] = (
        Field(min_length=1))
    team_user_ids: list[str] = Field(min_length=1)


class EvidenceRecorded(Strict):
    evidence_id: UUID
    kind: Literal["document", "photo", "audio", "video", "statement", "case_file", "data_extract"]
    documents: list[DocRef] = Field(min_length=1)
    description: Text


class FindingRecorded(Strict):
    finding_id: UUID
    conclusion: Literal["substantiated", "partially_substantiated", "unsubstantiated"]
    problem_categories: list[ProblemCategory] = Field(default_factory=list)
    responsible_agency_ids: list[str] = Field(default_factory=list)
    responsible_person_tokens: list[Token] = Field(default_factory=list)
    violated_provisions: list[ShortText] = Field(default_factory=list)
    summary: Text

    @model_validator(mode="after")
    def _categories(self) -> FindingRecorded:
        if self.conclusion != "unsubstantiated" and not self.problem_categories:
            raise ValueError("problem_categories needs at least one entry unless unsubstantiated")
        return self


class ClueSuspended(Strict):
    reason_code: Literal["awaiting_litigation", "awaiting_other_authority", "reporter_unreachable", "force_majeure",
                         "other"]
    expected_resume_on: str | None = None


class ClueResumed(Strict):
    reason: Text


class PartnerShareGranted(Strict):
    partner_org_id: str
    partner_summary: str = Field(min_length=1, max_length=1000)


class PartnerShareRevoked(Strict):
    partner_org_id: str
    reason: Text


class CluesMerged(Strict):
    survivor_clue_id: UUID
    absorbed_clue_ids: list[UUID] = Field(min_length=1, max_length=20)


class CluesUnmerged(Strict):
    survivor_clue_id: UUID
    absorbed_clue_id: UUID
    reason: Text


command("receiveClue", "ClueReceived", "Clue", "receive", ClueReceived, (*STAFF, INT), creates=True)
command("receiveInboundTransfer", "InboundTransferReceived", "Clue", "receive_inbound", InboundTransferReceived,
        (*STAFF, INT))
command("registerClue", "ClueRegistered", "Clue", "register", ClueRegistered, STAFF)
command("acknowledgeReceipt", "ReceiptAcknowledged", "Clue", "acknowledge", ReceiptAcknowledged, (*STAFF, INT))
command("screenClue", "ClueScreened", "Clue", "screen", ClueScreened, STAFF)
command("openSupervisionCase", "SupervisionCaseOpened", "Clue", "open_case", SupervisionCaseOpened, STAFF)
command("assignClue", "ClueAssigned", "Clue", "assign", ClueAssigned, (SV,))
command("acceptAssignment", "AssignmentAccepted", "Clue", "accept_assignment", AssignmentAccepted, STAFF)
command("declineAssignment", "AssignmentDeclined", "Clue", "decline_assignment", AssignmentDeclined, STAFF)
command("startVerification", "VerificationStarted", "Clue", "start_verification", VerificationStarted, STAFF)
command("recordEvidence", "EvidenceRecorded", "Clue", "record_evidence", EvidenceRecorded, STAFF)
command("recordFinding", "FindingRecorded", "Clue", "record_finding", FindingRecorded, STAFF)
command("suspendClue", "ClueSuspended", "Clue", "suspend", ClueSuspended, STAFF)
command("resumeClue", "ClueResumed", "Clue", "resume", ClueResumed, STAFF)
command("grantPartnerShare", "PartnerShareGranted", "Clue", "grant_share", PartnerShareGranted, STAFF)
command("revokePartnerShare", "PartnerShareRevoked", "Clue", "revoke_share", PartnerShareRevoked, (SV,))
command("mergeClues", "CluesMerged", "Clue", "merge", CluesMerged, STAFF,
        related="absorbed_clue_ids")
command("unmergeClues", "CluesUnmerged", "Clue", "unmerge", CluesUnmerged, STAFF,
        related="absorbed_clue_id")

