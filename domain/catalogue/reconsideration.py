"""Payloads of the ReconsiderationCase (行政复议) events (domain.md §4.7).

Notices of a case (reconsideration_opinion / reconsideration_suggestion, 第七十六条) are registered in
``notice.py`` (``issueNoticeInReconsideration`` …).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from domain.catalogue import STAFF, command
from domain.values import DocRef, ShortText, Strict, Text, Token

AcceptanceDecision = Literal["accepted", "not_accepted", "referred_to_competent_authority", "deemed_withdrawn",
                             "suspended_pending_litigation"]
Outcome = Literal["upheld", "changed", "revoked", "partially_revoked", "confirmed_illegal", "confirmed_invalid",
                  "ordered_to_perform", "claim_rejected", "mediated", "settled_withdrawn", "terminated", "other",
                  # legacy-only (need ``legacy_import`` on the application, else LEGACY_OUTCOME_FORBIDDEN)
                  "not_supported", "enforcement_suspended", "unclassified"]


class ContestedAct(Strict):
    act_type: ShortText  # e.g. administrative_penalty, information_disclosure, inaction
    doc_number: ShortText | None = None
    act_date: date


class ReconsiderationApplicationReceived(Strict):
    applicant_tokens: list[Token] = Field(min_length=1, max_length=50)
    respondent_org_id: str
    contested_act: ContestedAct
    received_via: Literal["in_person", "mail", "online", "fax", "transferred", "other"]
    application: DocRef
    legacy_import: bool = False  # imported historical case (F-X): legacy-only outcomes allowed


class ReconsiderationSupplementRequested(Strict):
    items: list[ShortText] = Field(min_length=1, max_length=50)
    notice: DocRef  # 补正通知书


class ReconsiderationAcceptanceDecided(Strict):
    decision: AcceptanceDecision
    procedure: Literal["ordinary", "simplified"] | None = None
    recon_no: ShortText | None = None  # 复议案号; unique when given
    decision_doc: DocRef

    @model_validator(mode="after")
    def _procedure_iff_accepted(self) -> ReconsiderationAcceptanceDecided:
        if (self.decision == "accepted") != (self.procedure is not None):
            raise ValueError("procedure is required exactly when the decision is accepted")
        return self


class ReconsiderationSuspended(Strict):
    reason: Text


class ReconsiderationResumed(Strict):
    reason: Text


class ReconsiderationClosed(Strict):
    outcome: Outcome
    decision_doc: DocRef


class DecisionCopied(Strict):
    mode: Literal["direct", "special_letter"]
    copied_to_org_id: str
    document: DocRef


_AGG = "ReconsiderationCase"
command("receiveReconsiderationApplication", "ReconsiderationApplicationReceived", _AGG, "receive",
        ReconsiderationApplicationReceived, STAFF, creates=True)
command("requestReconsiderationSupplement", "ReconsiderationSupplementRequested", _AGG, "request_supplement",
        ReconsiderationSupplementRequested, STAFF)
command("decideReconsiderationAcceptance", "ReconsiderationAcceptanceDecided", _AGG, "decide_acceptance",
        ReconsiderationAcceptanceDecided, STAFF)
command("suspendReconsideration", "ReconsiderationSuspended", _AGG, "suspend", ReconsiderationSuspended, STAFF)
command("resumeReconsideration", "ReconsiderationResumed", _AGG, "resume", ReconsiderationResumed, STAFF)
command("closeReconsideration", "ReconsiderationClosed", _AGG, "close", ReconsiderationClosed, STAFF)
command("copyDecision", "DecisionCopied", _AGG, "copy_decision", DecisionCopied, STAFF)
