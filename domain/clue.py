"""The Clue aggregate (问题线索): intake, screening, case, assignment, verification and finding (§4.1).

Transfers, notices, interviews and closure live in their own mixins (``clue_transfers``,
``notices``, ``clue_interviews``, ``clue_closure``); status rules are in ``lifecycle``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import event

from domain import errors, lifecycle, obligations
from domain.base import Cmd, require
from domain.clue_closure import ClueClosure
from domain.clue_interviews import ClueInterviews
from domain.clue_transfers import ClueTransfers
from domain.notices import NoticeHolder
from domain.values import FINDING_REQUIRED_NOTICE_TYPES


class Clue(ClueClosure, ClueInterviews, ClueTransfers, NoticeHolder):
    stream_type = "Clue"
    default_sensitivity = "S2"

    # -- intake ------------------------------------------------------------------------------------
    @classmethod
    def receive(cls, cmd: Cmd, stream_id: UUID) -> Clue:
        eid = str(uuid4())
        refs = [obligations.start(stream_id, "registration", eid, cmd, subject="clue")]
        data = cmd.data
        if data["channel"] == "letter_visit":
            refs.append(obligations.start(stream_id, "letter_visit_acceptance", eid, cmd, subject="reporter"))
        elif data["reporter"].get("real_name_report"):
            refs.append(obligations.start(stream_id, "report_acceptance_notice", eid, cmd, subject="reporter"))
        return cls(data=data, meta=cls.make_meta(cmd, refs=refs, event_id=eid, stream_id=stream_id))

    @event("ClueReceived")
    def __init__(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.channel = data["channel"]
        self.reporter = data["reporter"]
        self.agencies = list(data["subject_agency_ids"])
        self.external_due_at = data.get("external_due_at")
        self.received_at = meta["occurred_at"]
        self.phase, self.terminal, self.suspended_from = "received", None, None
        self.clue_no = self.case_no = self.lead = self.closure_type = self.merged_into = None
        self.inbound: dict[str, Any] | None = None
        self.assignments: dict[str, dict[str, Any]] = {}
        self.recused: set[str] = set()
        self.finding: dict[str, Any] | None = None
        self.shares: dict[str, bool] = {}
        self.merged: list[str] = []
        self.feedback_sent = False
        self.status_at = meta["occurred_at"]
        self._init_parts()

    VOIDABLE = frozenset({"EvidenceRecorded", "NotificationPublished"})

    def status_events(self) -> frozenset[str]:
        """Everything but purely informational events changes status or a part others depend on (rule 17)."""
        return frozenset(e["type"] for e in self.index.values()) - self.VOIDABLE

    @property
    def status(self) -> str:
        return lifecycle.display_status(self)

    def check_notice_allowed(self, cmd: Cmd) -> None:
        """Rules 8 and 13 for notice events; finding-requiring notice types need a substantiated finding."""
        lifecycle.check(self, cmd.event)
        if cmd.event == "RectificationNoticeIssued" and cmd.data["notice_type"] in FINDING_REQUIRED_NOTICE_TYPES:
            require(bool(self.finding) and self.finding["conclusion"] != "unsubstantiated",
                    errors.NoticeWithoutFinding, f"a {cmd.data['notice_type']} needs a substantiated finding")

    def guard(self, cmd: Cmd) -> None:
        """Rules every clue event obeys: suspension (13) and the transition table (1)."""
        lifecycle.check(self, cmd.event)

    def receive_inbound(self, cmd: Cmd) -> None:
        require(self.version == 1 and self.inbound is None, errors.InvalidTransition,
                "InboundTransferReceived is the second event of a clue received by transfer")
        refs = []
        self._inbound_received(cmd.data, self.make_meta(cmd, refs=refs))

    @event("InboundTransferReceived")
    def _inbound_received(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.inbound = data

    def register(self, cmd: Cmd) -> None:
        self.guard(cmd)
        self.check_after(cmd, self.received_at)
        eid = str(uuid4())
        refs = self.closing_refs("registration")
        if self.reporter.get("contactable"):
            ack = obligations.start(self.id, "acknowledgment", eid, cmd, subject="reporter")
            if self.channel == "hotline_12345" and self.external_due_at:
                ack.update(due_at=self.external_due_at, due_date=None)
            refs.append(ack)
        refs.append(obligations.start(self.id, "screening", eid, cmd, subject="clue"))
        self._registered(cmd.data, self.make_meta(cmd, refs=refs, event_id=eid))

    @event("ClueRegistered")
    def _registered(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.clue_no = data["clue_no"]
        self._set_phase("registered", meta)

    def acknowledge(self, cmd: Cmd) -> None:
        require(self.phase != "received" or self.terminal is not None, errors.InvalidTransition,
                "acknowledge a clue once it is registered")
        self.guard(cmd)
        self._acknowledged(cmd.data, self.make_meta(cmd, refs=self.closing_refs("acknowledgment")))

    @event("ReceiptAcknowledged")
    def _acknowledged(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        pass

    def screen(self, cmd: Cmd) -> None:
        self.guard(cmd)
        self.check_after(cmd, self.status_at)
        valid = cmd.data["outcome"] == "valid"
        if not valid:
            self.approve(cmd, agencies=self.agencies)
        require(str(cmd.data.get("duplicate_of_clue_id")) != str(self.id), errors.ValidationFailed,
                "a clue cannot duplicate itself")
        eid = str(uuid4())
        refs = self.closing_refs("screening")
        if valid:
            refs.append(obligations.start(self.id, "case_opening", eid, cmd, subject="clue"))
            if self.channel == "letter_visit":
                refs.append(obligations.start(self.id, "letter_visit_handling", eid, cmd, subject="reporter"))
        elif self.reporter.get("contactable") and self.reporter["kind"] != "anonymous":
            refs.append(obligations.start(self.id, "feedback_not_accepted", eid, cmd, subject="reporter"))
        self._screened(cmd.data, self.make_meta(cmd, refs=refs, event_id=eid))

    @event("ClueScreened")
    def _screened(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.screen_outcome = data["outcome"]
        if data["outcome"] == "valid":
            self._set_phase("screened_valid", meta)
        else:
            self.terminal, self.status_at = "screened_out", meta["occurred_at"]

    def open_case(self, cmd: Cmd) -> None:
        self.guard(cmd)
        self.check_after(cmd, self.status_at)
        self.approve(cmd, agencies=self.agencies)
        eid = str(uuid4())
        refs = self.closing_refs("case_opening")
        refs.append(obligations.start(self.id, "verification_period", eid, cmd, subject="clue"))
        self._case_opened(cmd.data, self.make_meta(cmd, refs=refs, event_id=eid))

    @event("SupervisionCaseOpened")
    def _case_opened(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.case_no, self.lead = data["case_no"], data["lead_user_id"]
        self._set_phase("case_opened", meta)

    # -- assignment ----------------------------------------------------------------------------------
    def assign(self, cmd: Cmd) -> None:
        user = cmd.data["assignee_user_id"]
        if user in self.recused or cmd.is_conflicted(user, self.agencies, cmd.at):  # rule 12 before rule 1
            raise errors.ConflictOfInterest(f"{user} is conflicted with this clue's agencies (回避)")
        self.guard(cmd)
        require(str(cmd.data["assignment_id"]) not in self.assignments, errors.ValidationFailed,
                "assignment_id already used")
        self._assigned(cmd.data, self.make_meta(cmd))

    @event("ClueAssigned")
    def _assigned(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.assignments[data["assignment_id"]] = {**data, "state": "pending"}

    def _pending_assignment(self, cmd: Cmd) -> dict[str, Any]:
        a = self.assignments.get(str(cmd.data["assignment_id"]))
        require(a is not None, errors.NotFound, "no such assignment on this clue")
        require(a["state"] == "pending", errors.InvalidTransition, f"assignment is {a['state']}, not pending")
        require(cmd.actor.user_id == a["assignee_user_id"], errors.NotAuthorized, "only the assignee may answer")
        return a

    def accept_assignment(self, cmd: Cmd) -> None:
        self.guard(cmd)
        self._pending_assignment(cmd)
        self._assignment_accepted(cmd.data, self.make_meta(cmd))

    @event("AssignmentAccepted")
    def _assignment_accepted(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.assignments[data["assignment_id"]]["state"] = "active"

    def decline_assignment(self, cmd: Cmd) -> None:
        self.guard(cmd)
        self._pending_assignment(cmd)
        self._assignment_declined(cmd.data, self.make_meta(cmd))

    @event("AssignmentDeclined")
    def _assignment_declined(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        a = self.assignments[data["assignment_id"]]
        a["state"] = "removed"
        if data["reason"] == "conflict_of_interest":
            self.recused.add(a["assignee_user_id"])

    # -- verification and finding ----------------------------------------------------------------------
    def start_verification(self, cmd: Cmd) -> None:
        self.guard(cmd)
        self.check_after(cmd, self.status_at)
        self._verification_started(cmd.data, self.make_meta(cmd))

    @event("VerificationStarted")
    def _verification_started(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self._set_phase("under_verification", meta)

    def record_evidence(self, cmd: Cmd) -> None:
        self.guard(cmd)
        self._evidence_recorded(cmd.data, self.make_meta(cmd))

    @event("EvidenceRecorded")
    def _evidence_recorded(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        pass

    def record_finding(self, cmd: Cmd) -> None:
        self.guard(cmd)
        self.check_after(cmd, self.status_at)
        self.approve(cmd, agencies=[*self.agencies, *cmd.data.get("responsible_agency_ids", [])])
        refs = self.closing_refs("verification_period")
        self._finding_recorded(cmd.data, self.make_meta(cmd, refs=refs))

    @event("FindingRecorded")
    def _finding_recorded(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.finding = data  # latest wins
        self.agencies = list(dict.fromkeys([*self.agencies, *data.get("responsible_agency_ids", [])]))

    # -- suspension ------------------------------------------------------------------------------------
    def suspend(self, cmd: Cmd) -> None:
        self.guard(cmd)
        self.approve(cmd, agencies=self.agencies)
        refs = [{"obligation_id": ob["obligation_id"], "effect": "pause"}
                for ob in self.open_obligations() if ob.get("pausable") and ob["status"] == "open"
                and not obligations.is_overdue(ob, cmd.at)]
        self._suspended(cmd.data, self.make_meta(cmd, refs=refs))

    @event("ClueSuspended")
    def _suspended(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.suspended_from = self.status

    def resume(self, cmd: Cmd) -> None:
        self.guard(cmd)
        refs = [obligations.resume(ob, cmd) for ob in self.obligations.values() if ob["status"] == "paused"]
        self._resumed(cmd.data, self.make_meta(cmd, refs=refs))

    @event("ClueResumed")
    def _resumed(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.suspended_from = None

    def _set_phase(self, phase: str, meta: dict[str, Any]) -> None:
        self.phase, self.status_at = phase, meta["occurred_at"]
