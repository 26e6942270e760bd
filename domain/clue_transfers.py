"""Transfers (移送) of a clue and partner shares (domain.md §4.1 shares, §4.2, rule 9)."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from eventsourcing.domain import event

from domain import errors, lifecycle, obligations
from domain.base import Cmd, LedgerAggregate, require
from domain.catalogue.transfer import DISCIPLINE_DECISIONS, POLICE_DECISIONS
from domain.transfer_rules import PARTNER_TARGETS, merge_materials, missing_materials


class ClueTransfers(LedgerAggregate):
    def _init_parts(self) -> None:
        super()._init_parts()
        self.transfers: dict[str, dict[str, Any]] = {}

    def transfer(self, cmd: Cmd, *states: str) -> dict[str, Any]:
        t = self.transfers.get(str(cmd.data["transfer_id"]))
        require(t is not None, errors.NotFound, f"no transfer {cmd.data['transfer_id']} on this clue")
        if states and t["status"] not in states:
            raise errors.InvalidTransition(f"{cmd.event} needs the transfer {'/'.join(states)}, it is {t['status']}")
        return t

    def _variant(self, t: dict[str, Any]) -> str | None:
        return "suspected_crime" if t["transfer_kind"] == "suspected_crime" else None

    def propose_transfer(self, cmd: Cmd) -> None:
        lifecycle.check(self, cmd.event)
        require(str(cmd.data["transfer_id"]) not in self.transfers, errors.ValidationFailed, "transfer_id used")
        eid = str(uuid4())
        variant = "suspected_crime" if cmd.data["transfer_kind"] == "suspected_crime" else None
        ref = obligations.start(self.id, "transfer_approval", eid, cmd, subject=str(cmd.data["transfer_id"]),
                                variant=variant)
        self._transfer_proposed(cmd.data, self.make_meta(cmd, refs=[ref], event_id=eid))

    @event("TransferProposed")
    def _transfer_proposed(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.transfers[data["transfer_id"]] = {**data, "status": "proposed", "proposer": meta["actor"]["user_id"],
                                               "proposed_at": meta["occurred_at"]}

    def attach_materials(self, cmd: Cmd) -> None:
        lifecycle.check(self, cmd.event)
        self.transfer(cmd, "proposed")
        self._materials_attached(cmd.data, self.make_meta(cmd))

    @event("TransferMaterialsAttached")
    def _materials_attached(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        t = self.transfers[data["transfer_id"]]
        t["materials"] = merge_materials(t["materials"], data["materials"])

    def approve_transfer(self, cmd: Cmd) -> None:
        lifecycle.check(self, cmd.event)
        t = self.transfer(cmd, "proposed")
        missing = missing_materials(t)
        require(not missing, errors.TransferMissingMaterials, f"missing materials: {', '.join(missing)}")
        self.check_after(cmd, t["proposed_at"])
        self.approve(cmd, excluded=(t["proposer"],), agencies=self.agencies)
        eid = str(uuid4())
        refs = self.closing_refs("transfer_approval", subject=t["transfer_id"])
        refs.append(obligations.start(self.id, "transfer_sending", eid, cmd, subject=t["transfer_id"],
                                      variant=self._variant(t)))
        self._transfer_approved(cmd.data, self.make_meta(cmd, refs=refs, event_id=eid))

    @event("TransferApproved")
    def _transfer_approved(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.transfers[data["transfer_id"]].update(status="approved", approved_at=meta["occurred_at"])

    def reject_transfer(self, cmd: Cmd) -> None:
        lifecycle.check(self, cmd.event)
        t = self.transfer(cmd, "proposed")
        require(cmd.actor.user_id != t["proposer"], errors.SelfApprovalForbidden, "the proposer cannot decide")
        refs = self.closing_refs("transfer_approval", subject=t["transfer_id"])
        self._transfer_rejected(cmd.data, self.make_meta(cmd, refs=refs))

    @event("TransferRejected")
    def _transfer_rejected(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.transfers[data["transfer_id"]]["status"] = "rejected"

    def send_transfer(self, cmd: Cmd) -> None:
        if str(cmd.data["transfer_id"]) not in self.transfers:
            lifecycle.check(self, cmd.event)  # rule 1 before "no such transfer"
        t = self.transfer(cmd)
        if t["status"] in ("proposed", "rejected"):
            raise errors.TransferNotApproved(f"the transfer is {t['status']}: it needs approval before sending")
        self.transfer(cmd, "approved")
        lifecycle.check(self, cmd.event)
        missing = missing_materials(t)
        require(not missing, errors.TransferMissingMaterials, f"missing materials: {', '.join(missing)}")
        self.check_after(cmd, t["approved_at"])
        if t["target_type"] in PARTNER_TARGETS and not self.shares.get(t["target_org_id"]):
            summary = cmd.data.get("partner_summary") or f"{t['transfer_kind']} transfer {self.clue_no or ''}".strip()
            share = {"partner_org_id": t["target_org_id"], "partner_summary": summary}
            self._share_granted(share, self.make_meta(cmd))
        eid = str(uuid4())
        refs = self.closing_refs("transfer_sending", subject=t["transfer_id"])
        refs.append(obligations.start(self.id, "transfer_ack_expected", eid, cmd, subject=t["transfer_id"]))
        data = {k: v for k, v in cmd.data.items() if k != "partner_summary"}
        self._transfer_sent(data, self.make_meta(cmd, refs=refs, event_id=eid))

    @event("TransferSent")
    def _transfer_sent(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.transfers[data["transfer_id"]].update(status="sent", sent_at=meta["occurred_at"])

    def acknowledge_transfer(self, cmd: Cmd) -> None:
        lifecycle.check(self, cmd.event)
        t = self.transfer(cmd, "sent")
        self.check_after(cmd, t["sent_at"])
        eid = str(uuid4())
        refs = self.closing_refs("transfer_ack_expected", subject=t["transfer_id"])
        if t["target_type"] == "public_security":
            refs.append(obligations.start(self.id, "transfer_decision_expected", eid, cmd, subject=t["transfer_id"]))
        self._transfer_acknowledged(cmd.data, self.make_meta(cmd, refs=refs, event_id=eid))

    @event("TransferAcknowledged")
    def _transfer_acknowledged(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.transfers[data["transfer_id"]].update(status="acknowledged", acknowledged_at=meta["occurred_at"])

    def forward_transfer(self, cmd: Cmd) -> None:
        lifecycle.check(self, cmd.event)
        self.transfer(cmd, "sent", "acknowledged")
        self._transfer_forwarded(cmd.data, self.make_meta(cmd))

    @event("TransferForwarded")
    def _transfer_forwarded(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.transfers[data["transfer_id"]].update(status="forwarded", acknowledged=True)

    def receive_decision(self, cmd: Cmd) -> None:
        lifecycle.check(self, cmd.event)
        t = self.transfer(cmd, "sent", "acknowledged", "forwarded")
        allowed = POLICE_DECISIONS if t["target_type"] == "public_security" else DISCIPLINE_DECISIONS
        require(cmd.data["decision"] in allowed, errors.ValidationFailed,
                f"a {t['target_type']} decision is one of {', '.join(allowed)}")
        eid = str(uuid4())
        refs = self.closing_refs("transfer_decision_expected", "transfer_ack_expected", subject=t["transfer_id"])
        if cmd.data["decision"] == "not_filed":
            refs.append(obligations.start(self.id, "contest_filing", eid, cmd, subject=t["transfer_id"]))
        self._decision_received(cmd.data, self.make_meta(cmd, refs=refs, event_id=eid))

    @event("TransferDecisionReceived")
    def _decision_received(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        t = self.transfers[data["transfer_id"]]
        t.update(status="decided", decision=data["decision"], acknowledged=True)

    def contest_decision(self, cmd: Cmd) -> None:
        lifecycle.check(self, cmd.event)
        t = self.transfer(cmd, "decided")
        require(t.get("decision") == "not_filed", errors.InvalidTransition, "only a not_filed decision is contested")
        self.approve(cmd, agencies=self.agencies)
        refs = self.closing_refs("contest_filing", subject=t["transfer_id"])
        self._decision_contested(cmd.data, self.make_meta(cmd, refs=refs))

    @event("TransferDecisionContested")
    def _decision_contested(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.transfers[data["transfer_id"]]["contested"] = data["route"]

    def report_outcome(self, cmd: Cmd) -> None:
        lifecycle.check(self, cmd.event)
        self.transfer(cmd, "decided")
        require(cmd.data["outcome"] != "sanctions" or bool(cmd.data.get("sanctions")), errors.ValidationFailed,
                "outcome sanctions lists the sanctions")
        self._outcome_reported(cmd.data, self.make_meta(cmd))

    @event("TransferOutcomeReported")
    def _outcome_reported(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        t = self.transfers[data["transfer_id"]]
        t["outcome"] = data["outcome"]
        if data["final"]:
            t["status"] = "completed"

    # -- partner shares (§11) -------------------------------------------------------------------------
    def grant_share(self, cmd: Cmd) -> None:
        lifecycle.check(self, cmd.event)
        self.approve(cmd, agencies=self.agencies)
        require(not self.shares.get(cmd.data["partner_org_id"]), errors.InvalidTransition, "already shared")
        self._share_granted(cmd.data, self.make_meta(cmd))

    @event("PartnerShareGranted")
    def _share_granted(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.shares[data["partner_org_id"]] = True

    def revoke_share(self, cmd: Cmd) -> None:
        lifecycle.check(self, cmd.event)
        self.approve(cmd, agencies=self.agencies)
        require(self.shares.get(cmd.data["partner_org_id"], False), errors.InvalidTransition, "not shared")
        self._share_revoked(cmd.data, self.make_meta(cmd))

    @event("PartnerShareRevoked")
    def _share_revoked(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.shares[data["partner_org_id"]] = False
