"""The ReconsiderationCase aggregate (行政复议, domain.md §4.7; deadlines §6.2 rows 22–24).

Status: ``received`` → ``in_review`` (accepted) or a terminal acceptance decision (``not_accepted``,
``referred_to_competent_authority``, ``deemed_withdrawn``, ``suspended_pending_litigation``);
``in_review`` ⇄ ``suspended`` (中止, pauses ``recon_decision``); ``in_review`` → ``closed``.
Notices (第七十六条 opinions/suggestions) live in the case's stream (``NoticeHolder``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import event

from domain import errors, obligations
from domain import reconsideration_rules as rules
from domain.base import Cmd, require
from domain.notices import NoticeHolder

STATUS_EVENTS = frozenset({"ReconsiderationApplicationReceived", "ReconsiderationAcceptanceDecided",
                           "ReconsiderationSuspended", "ReconsiderationResumed", "ReconsiderationClosed"})
FIXED_FIELDS = ("legacy_import",)  # decides which outcomes are allowed: never corrected


class ReconsiderationCase(NoticeHolder):
    stream_type = "ReconsiderationCase"
    default_sensitivity = "S2"

    # -- application ----------------------------------------------------------------------------------
    @classmethod
    def receive(cls, cmd: Cmd, stream_id: UUID) -> ReconsiderationCase:
        eid = str(uuid4())
        refs = [obligations.start(stream_id, "recon_acceptance_review", eid, cmd, subject="application")]
        return cls(data=cmd.data, meta=cls.make_meta(cmd, refs=refs, event_id=eid, stream_id=stream_id))

    @event("ReconsiderationApplicationReceived")
    def __init__(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.respondent_org_id = data["respondent_org_id"]
        self.contested_act = data["contested_act"]
        self.legacy_import = bool(data.get("legacy_import", False))
        self.received_at = self.status_at = meta["occurred_at"]
        self.status = "received"
        self.decision = self.procedure = self.recon_no = self.outcome = None
        self.accepted_at: str | None = None
        self.closed_at: str | None = None
        self.supplement_requests = 0
        self.copies: list[dict[str, Any]] = []
        self._init_parts()

    def _require_status(self, cmd: Cmd, *states: str) -> None:
        require(self.status in states, errors.InvalidTransition,
                f"{cmd.event} needs the case {'/'.join(states)}, it is {self.status}")

    def check_notice_allowed(self, cmd: Cmd) -> None:
        """第七十六条 notices are issued in review or after the decision; their follow-up at any time."""
        if cmd.event == "RectificationNoticeIssued":
            self._require_status(cmd, "in_review", "closed")
            require(cmd.data["notice_type"] in rules.RECON_NOTICE_TYPES, errors.ValidationFailed,
                    f"a case issues {'/'.join(rules.RECON_NOTICE_TYPES)}, not {cmd.data['notice_type']}")

    # -- supplement and acceptance --------------------------------------------------------------------
    def request_supplement(self, cmd: Cmd) -> None:
        self._require_status(cmd, "received")
        require(not self.open_obligations("recon_supplement"), errors.InvalidTransition,
                "a supplement request (补正) is already pending")
        self.check_after(cmd, self.status_at)
        eid = str(uuid4())
        refs = self.closing_refs("recon_acceptance_review")
        refs.append(obligations.start(self.id, "recon_supplement", eid, cmd, subject="applicant"))
        self._supplement_requested(cmd.data, self.make_meta(cmd, refs=refs, event_id=eid))

    @event("ReconsiderationSupplementRequested")
    def _supplement_requested(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.supplement_requests += 1

    def decide_acceptance(self, cmd: Cmd) -> None:
        self._require_status(cmd, "received")
        self.check_after(cmd, self.status_at)
        self.approve(cmd, agencies=[self.respondent_org_id])
        decision, eid = cmd.data["decision"], str(uuid4())
        refs = self.closing_refs("recon_acceptance_review")
        refs += self.closing_refs("recon_supplement", effect="cancel" if decision == "deemed_withdrawn" else "complete")
        if decision == "accepted":
            refs.append(obligations.start(self.id, "recon_decision", eid, cmd, subject="decision",
                                          variant=cmd.data["procedure"]))
        self._acceptance_decided(cmd.data, self.make_meta(cmd, refs=refs, event_id=eid))

    @event("ReconsiderationAcceptanceDecided")
    def _acceptance_decided(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.decision, self.procedure, self.recon_no = data["decision"], data.get("procedure"), data.get("recon_no")
        self.status = "in_review" if data["decision"] == "accepted" else data["decision"]
        self.status_at = meta["occurred_at"]
        if data["decision"] == "accepted":
            self.accepted_at = meta["occurred_at"]

    # -- suspension (中止) --------------------------------------------------------------------------------
    def suspend(self, cmd: Cmd) -> None:
        self._require_status(cmd, "in_review")
        self.check_after(cmd, self.status_at)
        self.approve(cmd, agencies=[self.respondent_org_id])
        refs = [{"obligation_id": ob["obligation_id"], "effect": "pause"}
                for ob in self.open_obligations("recon_decision") if ob.get("pausable") and ob["status"] == "open"
                and not obligations.is_overdue(ob, cmd.at)]
        self._suspended(cmd.data, self.make_meta(cmd, refs=refs))

    @event("ReconsiderationSuspended")
    def _suspended(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.status, self.status_at = "suspended", meta["occurred_at"]

    def resume(self, cmd: Cmd) -> None:
        self._require_status(cmd, "suspended")
        self.check_after(cmd, self.status_at)
        self.approve(cmd, agencies=[self.respondent_org_id])
        refs = [obligations.resume(ob, cmd) for ob in self.obligations.values() if ob["status"] == "paused"]
        self._resumed(cmd.data, self.make_meta(cmd, refs=refs))

    @event("ReconsiderationResumed")
    def _resumed(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.status, self.status_at = "in_review", meta["occurred_at"]

    # -- decision and 抄告 --------------------------------------------------------------------------------
    def close(self, cmd: Cmd) -> None:
        self._require_status(cmd, "in_review")
        outcome = cmd.data["outcome"]
        require(outcome not in rules.LEGACY_OUTCOMES or self.legacy_import, errors.LegacyOutcomeForbidden,
                f"outcome {outcome} is only for cases imported with legacy_import")
        self.check_after(cmd, self.status_at)
        self.approve(cmd, agencies=[self.respondent_org_id])
        refs = self.closing_refs("recon_decision")
        self._closed(cmd.data, self.make_meta(cmd, refs=refs))

    @event("ReconsiderationClosed")
    def _closed(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.outcome = data["outcome"]
        self.status, self.status_at = "closed", meta["occurred_at"]
        self.closed_at = meta["occurred_at"]

    def copy_decision(self, cmd: Cmd) -> None:
        self._require_status(cmd, "closed")
        self.check_after(cmd, self.closed_at)
        self._decision_copied(cmd.data, self.make_meta(cmd))

    @event("DecisionCopied")
    def _decision_copied(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.copies.append({**data, "copied_at": meta["occurred_at"]})

    # -- derived ----------------------------------------------------------------------------------------
    @property
    def corrected(self) -> bool:
        return self.outcome is not None and rules.is_correction(self.outcome)

    @property
    def mediated(self) -> bool:
        return self.outcome is not None and rules.is_mediation(self.outcome)

    def status_events(self) -> frozenset[str]:
        return STATUS_EVENTS

    def correct_event(self, cmd: Cmd) -> None:
        for change in cmd.data["changes"]:
            require(change["path"].split(".")[0] not in FIXED_FIELDS, errors.CorrectionOfStructuralField,
                    f"{change['path']} decides which outcomes are allowed; it cannot be corrected")
        super().correct_event(cmd)
