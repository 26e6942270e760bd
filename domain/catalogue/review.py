"""Payloads of the ReviewBatch events: 案卷评查 and inspection campaigns (domain.md §4.6).

Batch notices (review_suggestion, work_tip_letter, inspection_feedback) and NotificationPublished are
registered in ``notice.py`` (``issueNoticeInBatch`` …, ``publishNotificationInBatch``).
"""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import Field, field_validator, model_validator

from domain.catalogue import AL, STAFF, command
from domain.values import DocRef, ProblemCategory, ShortText, Strict, Text

BATCH_NO = r"^[A-Z0-9]{2,8}-RB-\d{4}-\d{2}$"
BatchKind = Literal["case_file_review", "self_inspection", "rule_of_law_inspection", "special_inspection_followup"]
Grade = Literal["excellent", "good", "pass", "fail"]
GRADE_FLOORS: tuple[tuple[float, str], ...] = ((90, "excellent"), (80, "good"), (60, "pass"), (0, "fail"))  # GP


def grade_for(score: float) -> str:
    """The grade a score earns: excellent ≥ 90, good ≥ 80, pass ≥ 60, fail < 60 (GP)."""
    return next(grade for floor, grade in GRADE_FLOORS if score >= floor)


def _unique(values: list, what: str) -> list:
    if len(set(values)) != len(values):
        raise ValueError(f"{what} must not repeat")
    return values


class PeriodCovered(Strict):
    start_on: date
    end_on: date

    @model_validator(mode="after")
    def _ordered(self) -> PeriodCovered:
        if self.end_on < self.start_on:
            raise ValueError("end_on is before start_on")
        return self


class Team(Strict):
    team_id: UUID
    leader_position: ShortText
    member_user_ids: list[str] = Field(min_length=1, max_length=50)


class ReviewBatchOpened(Strict):
    batch_no: str | None = Field(default=None, pattern=BATCH_NO)  # assigned gaplessly by the ledger when omitted
    batch_kind: BatchKind
    title: ShortText
    period_covered: PeriodCovered
    scope_org_ids: list[str] = Field(min_length=1, max_length=200)
    plan: DocRef
    teams: list[Team] = Field(min_length=1, max_length=50)
    standard: Text | None = None

    @model_validator(mode="after")
    def _distinct(self) -> ReviewBatchOpened:
        _unique(self.scope_org_ids, "scope_org_ids")
        _unique([t.team_id for t in self.teams], "team_id")
        return self


class SampledFile(Strict):
    case_file_id: UUID
    agency_id: str
    case_ref: ShortText
    enforcement_type: Literal["license", "penalty", "compulsion", "inspection", "other"]
    closed_on: date


class CaseFilesSampled(Strict):
    files: list[SampledFile] = Field(min_length=1, max_length=1000)
    sampling: Literal["random", "targeted"]

    @model_validator(mode="after")
    def _distinct(self) -> CaseFilesSampled:
        _unique([f.case_file_id for f in self.files], "case_file_id")
        return self


class CaseFileReviewed(Strict):
    case_file_id: UUID
    reviewer_user_ids: list[str] = Field(min_length=2, max_length=10)
    score: float = Field(ge=0, le=100)
    grade: Grade
    review_form: DocRef | None = None  # 评查表; forms_filled counts the reviews carrying one
    problem_ids: list[UUID] = Field(default_factory=list, max_length=500)

    @field_validator("score")
    @classmethod
    def _one_decimal(cls, score: float) -> float:
        if abs(score * 10 - round(score * 10)) > 1e-6:
            raise ValueError("score has at most one decimal place")
        return round(score, 1)

    @model_validator(mode="after")
    def _consistent(self) -> CaseFileReviewed:
        _unique(self.reviewer_user_ids, "reviewer_user_ids")
        if self.grade != grade_for(self.score):
            raise ValueError(f"score {self.score} earns grade {grade_for(self.score)}, not {self.grade}")
        return self


class UnitInspected(Strict):
    agency_id: str
    team_id: UUID
    methods: list[Literal["hearing_report", "individual_talk", "document_review", "site_visit"]] = Field(
        min_length=1, max_length=4)


class ProblemFound(Strict):
    problem_id: UUID
    agency_id: str
    case_file_id: UUID | None = None
    category: ProblemCategory
    severity: Literal["minor", "general", "serious"]
    description: Text
    source: Literal["reviewer", "self_report", "inspection"]
    escalated_to_clue_id: UUID | None = None


class ReportedCounts(Strict):
    files_reviewed: int = Field(ge=0)
    problems_found: int = Field(ge=0)
    notices_issued: int = Field(ge=0)
    forms_filled: int = Field(ge=0)
    units_inspected: int = Field(ge=0)


class WaivedFile(Strict):
    case_file_id: UUID
    reason: ShortText


class ReviewBatchClosed(Strict):
    reported_counts: ReportedCounts
    report: DocRef
    waived_files: list[WaivedFile] = Field(default_factory=list, max_length=1000)

    @model_validator(mode="after")
    def _distinct(self) -> ReviewBatchClosed:
        _unique([w.case_file_id for w in self.waived_files], "waived case_file_id")
        return self


command("openReviewBatch", "ReviewBatchOpened", "ReviewBatch", "open", ReviewBatchOpened, STAFF, creates=True)
command("sampleCaseFiles", "CaseFilesSampled", "ReviewBatch", "sample_files", CaseFilesSampled, STAFF)
command("reviewCaseFile", "CaseFileReviewed", "ReviewBatch", "review_file", CaseFileReviewed, STAFF)
command("inspectUnit", "UnitInspected", "ReviewBatch", "inspect_unit", UnitInspected, STAFF)
command("recordProblem", "ProblemFound", "ReviewBatch", "record_problem", ProblemFound, (*STAFF, AL))
command("closeReviewBatch", "ReviewBatchClosed", "ReviewBatch", "close", ReviewBatchClosed, STAFF)
