"""Payloads of the transfer (移送) events, keyed by ``transfer_id`` (domain.md §4.2)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field, model_validator

from domain.catalogue import STAFF, SV, command
from domain.values import DocRef, SanctionType, ShortText, Strict, Text, TransferKind, TransferTarget

MaterialType = Literal["transfer_letter", "investigation_report", "seized_items_list", "inspection_appraisal",
                       "other_crime_materials", "clue_materials", "finding_report", "other"]


class Material(Strict):
    material_type: MaterialType
    doc: DocRef | None = None
    not_applicable_reason: ShortText | None = None

    @model_validator(mode="after")
    def _doc_or_reason(self) -> Material:
        if (self.doc is None) == (self.not_applicable_reason is None):
            raise ValueError("a material has either doc or not_applicable_reason")
        return self


class TransferProposed(Strict):
    transfer_id: UUID
    target_type: TransferTarget
    target_org_id: str
    transfer_kind: TransferKind
    materials: list[Material] = Field(default_factory=list, max_length=30)
    report_doc: DocRef


class TransferMaterialsAttached(Strict):
    transfer_id: UUID
    materials: list[Material] = Field(min_length=1, max_length=30)


class TransferApproved(Strict):
    transfer_id: UUID


class TransferRejected(Strict):
    transfer_id: UUID
    reason: Text


class TransferSent(Strict):
    transfer_id: UUID
    sent_via: Literal["official_letter", "platform", "in_person"]
    transfer_letter: DocRef
    copy_to_org_ids: list[str] = Field(default_factory=list)
    partner_summary: str | None = Field(default=None, max_length=1000)  # for the automatic PartnerShareGranted


class TransferAcknowledged(Strict):
    transfer_id: UUID
    receipt: DocRef


class TransferForwarded(Strict):
    transfer_id: UUID
    forwarded_to_org_id: str
    notice: DocRef


POLICE_DECISIONS = ("case_filed", "not_filed")
DISCIPLINE_DECISIONS = ("conversation_inquiry", "preliminary_verification", "temporarily_stored",
                        "closed_no_action", "case_filed", "returned")


class TransferDecisionReceived(Strict):
    transfer_id: UUID
    decision: Literal["case_filed", "not_filed", "conversation_inquiry", "preliminary_verification",
                      "temporarily_stored", "closed_no_action", "returned"]
    decision_doc: DocRef


class TransferDecisionContested(Strict):
    transfer_id: UUID
    route: Literal["police_reconsideration", "procuratorate_supervision"]


class TransferOutcomeReported(Strict):
    transfer_id: UUID
    outcome: Literal["sanctions", "prosecuted", "not_prosecuted", "no_violation", "other"]
    sanctions: list[SanctionType] = Field(default_factory=list)
    outcome_doc: DocRef
    final: bool


command("proposeTransfer", "TransferProposed", "Clue", "propose_transfer", TransferProposed, STAFF)
command("attachTransferMaterials", "TransferMaterialsAttached", "Clue", "attach_materials",
        TransferMaterialsAttached, STAFF)
command("approveTransfer", "TransferApproved", "Clue", "approve_transfer", TransferApproved, (SV,))
command("rejectTransfer", "TransferRejected", "Clue", "reject_transfer", TransferRejected, (SV,))
command("sendTransfer", "TransferSent", "Clue", "send_transfer", TransferSent, STAFF)
command("acknowledgeTransfer", "TransferAcknowledged", "Clue", "acknowledge_transfer", TransferAcknowledged, STAFF)
command("forwardTransfer", "TransferForwarded", "Clue", "forward_transfer", TransferForwarded, STAFF)
command("receiveTransferDecision", "TransferDecisionReceived", "Clue", "receive_decision", TransferDecisionReceived,
        STAFF)
command("contestTransferDecision", "TransferDecisionContested", "Clue", "contest_decision",
        TransferDecisionContested, STAFF)
command("reportTransferOutcome", "TransferOutcomeReported", "Clue", "report_outcome", TransferOutcomeReported, STAFF)
