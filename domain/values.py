"""Shared value types of the catalogue (domain.md §3, §4.0): enums, DocRef, actor, approvals."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Role = Literal["supervision_staff", "supervisor", "discipline_partner", "auditor", "agency_liaison", "admin",
               "system_scheduler", "system_api", "integration_12345"]
HUMAN_ROLES = ("supervision_staff", "supervisor", "discipline_partner", "auditor", "agency_liaison", "admin")
SYSTEM_ROLES = ("system_scheduler", "system_api", "integration_12345")

ClueChannel = Literal["hotline_12345", "letter_visit", "online_platform", "discipline_inspection_referral",
                      "reconsideration_case", "litigation", "case_file_review", "inspection", "media", "npc_cppcc",
                      "self_initiated", "other"]
ScreenOutcome = Literal["valid", "invalid", "duplicate", "out_of_scope"]
ScreenReason = Literal["no_substantive_content", "insufficient_information", "civil_dispute",
                       "not_administrative_enforcement", "other_procedure_required", "other_authority_competent",
                       "duplicate", "other"]
ProblemCategory = Literal[
    "campaign_style", "one_size_fits_all", "rough", "violent", "excessive", "mechanical", "profit_driven",
    "inaction", "arbitrary_action", "inadequate_performance", "weak_regulation", "incomplete_rules",
    "lax_team_management", "low_competence", "discretion_benchmark", "three_systems_publicity",
    "three_systems_recording", "three_systems_legal_review", "facts_unclear", "evidence_insufficient",
    "law_misapplied", "misclassification", "procedure_illegal", "document_nonstandard", "archiving",
    "certification", "wrong_form_of_act", "other"]
NoticeType = Literal["rectification_notice", "supervision_opinion", "supervision_decision", "supervision_suggestion",
                     "work_tip_letter", "review_suggestion", "inspection_feedback", "reconsideration_opinion",
                     "reconsideration_suggestion"]
FINDING_REQUIRED_NOTICE_TYPES = ("rectification_notice", "supervision_opinion", "supervision_decision")
TransferTarget = Literal["discipline_inspection", "public_security", "procuratorate", "other_agency"]
TransferKind = Literal["official_misconduct", "suspected_crime", "jurisdiction", "accountability"]
SanctionType = Literal["admonishment_talk", "criticism_notice", "warning", "demerit", "major_demerit", "demotion",
                       "removal_from_post", "expulsion", "removed_from_enforcement", "certificate_revoked",
                       "party_discipline", "criminal_liability", "no_action"]
Sensitivity = Literal["S0", "S1", "S2", "S3"]
ExternalSystem = Literal["hotline_12345", "discipline_inspection", "public_security", "procuratorate",
                         "reconsideration_office", "supervision_office", "court", "other"]

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Hex64 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Token = Annotated[str, StringConstraints(pattern=r"^pt_[a-z2-7]{26}$")]


class Strict(BaseModel):
    """Base of every payload: unknown fields are refused, values are JSON-native once dumped."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DocRef(Strict):
    doc_id: str = Field(min_length=1, max_length=64)
    name: ShortText
    doc_type: ShortText
    doc_number: ShortText | None = None
    content_hash: Hex64
    size_bytes: int = Field(ge=0)
    mime: ShortText
    storage_ref: ShortText
    sensitivity: Sensitivity = "S1"
    supersedes_doc_id: str | None = None


class Actor(Strict):
    user_id: str = Field(min_length=1, max_length=64)
    role: Role
    org_id: str = Field(min_length=1, max_length=64)


class Approval(Strict):
    approver_user_id: str = Field(min_length=1, max_length=64)
    approver_role: Role
    decided_at: str
    comment: ShortText | None = None


class LegalBasis(Strict):
    instrument: ShortText
    article: ShortText | None = None


class ExternalRef(Strict):
    system: ExternalSystem
    ref: ShortText


class Backdate(Strict):
    reason: ShortText
    approved_by: str | None = None


class OnBehalfOf(Strict):
    org_id: str
    user_id: str | None = None
    basis: ShortText


class Period(Strict):
    """PeriodSpec (§4): ``{length, unit}`` or ``{fixed_due_date}``."""

    length: int | None = Field(default=None, gt=0, le=3650)
    unit: Literal["calendar_day", "working_day", "hour"] | None = None
    fixed_due_date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")

    @model_validator(mode="after")
    def _one_form(self) -> Period:
        if (self.fixed_due_date is None) == (self.length is None or self.unit is None):
            raise ValueError("give either length and unit, or fixed_due_date")
        return self
