"""Payloads of interview (约谈) and accountability (问责) events (domain.md §4.4)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from domain.catalogue import STAFF, command
from domain.values import DocRef, Hex64, SanctionType, ShortText, Strict, Text, Token


class Interviewer(Strict):
    position: ShortText
    org_id: str


class Participant(Strict):
    position: ShortText
    org_id: str
    role: Literal["interviewer", "interviewee", "recorder", "observer"]


class Commitment(Strict):
    commitment_id: UUID
    text: Text
    due_date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")


class InterviewScheduled(Strict):
    interview_id: UUID
    interview_type: Literal["admonitory", "rectification", "accountability", "guidance"]
    interviewee_org_id: str
    interviewee_position: ShortText
    interviewer: Interviewer
    scheduled_at: AwareDatetime
    location: ShortText
    notice_doc: DocRef


class InterviewRescheduled(Strict):
    interview_id: UUID
    new_scheduled_at: AwareDatetime


class InterviewCancelled(Strict):
    interview_id: UUID
    reason: Text


class InterviewHeld(Strict):
    interview_id: UUID
    participants: list[Participant] = Field(min_length=2)
    minutes_hash: Hex64
    commitments: list[Commitment] = Field(default_factory=list)


class CommitmentFulfilled(Strict):
    interview_id: UUID
    commitment_id: UUID
    evidence: DocRef


class AccountabilityReferred(Strict):
    accountability_id: UUID
    target_org_id: str
    target_person_tokens: list[Token] = Field(default_factory=list)
    recommended: list[SanctionType] = Field(min_length=1)
    via_transfer_id: UUID


class AccountabilityDecided(Strict):
    accountability_id: UUID
    decided_by_org_id: str
    measures: list[SanctionType] = Field(min_length=1)
    decision_doc: DocRef


command("scheduleInterview", "InterviewScheduled", "Clue", "schedule_interview", InterviewScheduled, STAFF)
command("rescheduleInterview", "InterviewRescheduled", "Clue", "reschedule_interview", InterviewRescheduled, STAFF)
command("cancelInterview", "InterviewCancelled", "Clue", "cancel_interview", InterviewCancelled, STAFF)
command("holdInterview", "InterviewHeld", "Clue", "hold_interview", InterviewHeld, STAFF)
command("fulfilCommitment", "CommitmentFulfilled", "Clue", "fulfil_commitment", CommitmentFulfilled, STAFF)
command("referAccountability", "AccountabilityReferred", "Clue", "refer_accountability", AccountabilityReferred,
        STAFF)
command("decideAccountability", "AccountabilityDecided", "Clue", "decide_accountability", AccountabilityDecided,
        STAFF)
