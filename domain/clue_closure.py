"""Closure (办结) with its checklist, reporter feedback, objections, reopening and merges (§4.1, §4.5, §5.4)."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from eventsourcing.domain import event

from domain import errors, lifecycle, obligations
from domain.base import Cmd, LedgerAggregate, require
from domain.closure_checklist import evaluate as evaluate_checklist

FEEDBACK_COMPLETES = {
    "acceptance_notice": ("letter_visit_acceptance", "report_acceptance_notice"),
    "not_accepted_notice": ("feedback_not_accepted", "letter_visit_acceptance", "report_acceptance_notice"),
    "result": ("feedback_result", "letter_visit_handling"),
    "objection_reply": ("objection_reply",),
}
FAILED_ATTEMPTS_COMPLETE = 3
CLUE_LEVEL = ("registration", "screening", "case_opening", "verification_period")


class ClueClosure(LedgerAggregate):
    def _init_parts(self) -> None:
        super()._init_parts()
        self.objections: dict[str, dict[str, Any]] = {}
        self.failed_feedback: dict[str, int] = {}

    def close(self, cmd: Cmd) -> None:
        require(cmd.data["closure_type"] != "merged", errors.InvalidTransition, "merged closures come from mergeClues")
        result = evaluate_checklist(self, cmd.data)
        lifecycle.check(self, cmd.event)
        require(self.status in ("screened_valid", "case_opened", "under_verification", "reopened")
                or (self.status == "transferred" and cmd.data["closure_type"] == "transferred_closed"),
                errors.InvalidTransition, f"a {self.status} clue cannot be closed {cmd.data['closure_type']}")
        self.check_after(cmd, self.status_at)
        self.approve(cmd, excluded=(self.lead,), agencies=self.agencies)
        eid = str(uuid4())
        refs = self.closing_refs(*CLUE_LEVEL, effect="cancel")
        if self.reporter.get("contactable") and self.reporter["kind"] != "anonymous":
            ref = obligations.start(self.id, "feedback_result", eid, cmd, subject="reporter")
            if self.external_due_at and self.external_due_at < ref["due_at"]:
                ref.update(due_at=self.external_due_at, due_date=None)
            refs.append(ref)
        if self.inbound:
            refs.append(obligations.start(self.id, "inbound_result_report", eid, cmd, subject="sender",
                                          period=_reply_by(self.inbound)))
        data = {**cmd.data, "checklist_result": result}
        self._closed(data, self.make_meta(cmd, refs=refs, event_id=eid))

    @event("ClueClosed")
    def _closed(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.terminal, self.closure_type, self.status_at = "closed", data["closure_type"], meta["occurred_at"]
        self.suspended_from = None

    def send_feedback(self, cmd: Cmd) -> None:
        lifecycle.check(self, cmd.event)
        kind = cmd.data["feedback_kind"]
        types = FEEDBACK_COMPLETES.get(kind, ())
        if kind == "result" and self.inbound and cmd.data["recipient"] == self.inbound["sender_org_id"]:
            types = ("inbound_result_report",)  # the result reported back to the organ that transferred the clue
        failed = self.failed_feedback.get(kind, 0) + (cmd.data["delivery"] == "failed")
        done = cmd.data["delivery"] == "delivered" or failed >= FAILED_ATTEMPTS_COMPLETE
        refs = self.closing_refs(*types) if types and done else []
        self._feedback_sent(cmd.data, self.make_meta(cmd, refs=refs))

    @event("ReporterFeedbackSent")
    def _feedback_sent(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        if data["delivery"] == "delivered":
            self.feedback_sent = True
        else:
            self.failed_feedback[data["feedback_kind"]] = self.failed_feedback.get(data["feedback_kind"], 0) + 1

    def record_objection(self, cmd: Cmd) -> None:
        lifecycle.check(self, cmd.event)
        require(self.feedback_sent, errors.InvalidTransition, "an objection follows the feedback to the reporter")
        require(str(cmd.data["objection_id"]) not in self.objections, errors.ValidationFailed, "objection_id used")
        eid = str(uuid4())
        ref = obligations.start(self.id, "objection_review", eid, cmd, subject=str(cmd.data["objection_id"]))
        self._objection_recorded(cmd.data, self.make_meta(cmd, refs=[ref], event_id=eid))

    @event("ObjectionRecorded")
    def _objection_recorded(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.objections[data["objection_id"]] = {**data, "status": "open"}

    def resolve_objection(self, cmd: Cmd) -> None:
        o = self.objections.get(str(cmd.data["objection_id"]))
        require(o is not None, errors.NotFound, "no such objection")
        require(o["status"] == "open", errors.InvalidTransition, "the objection is already resolved")
        if cmd.data["result"] == "upheld":
            require(self.status in lifecycle.TERMINAL, errors.ReopenNotClosed, f"the clue is {self.status}, not closed")
        self.approve(cmd, agencies=self.agencies)
        eid = str(uuid4())
        refs = self.closing_refs("objection_review", subject=o["objection_id"])
        if cmd.data["result"] == "dismissed":
            refs.append(obligations.start(self.id, "objection_reply", eid, cmd, subject="reporter"))
        self._objection_resolved(cmd.data, self.make_meta(cmd, refs=refs, event_id=eid))
        if cmd.data["result"] == "upheld":
            self._reopen(cmd.with_event("ClueReopened", {"reason_code": "objection_upheld"}))

    @event("ObjectionResolved")
    def _objection_resolved(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.objections[data["objection_id"]]["status"] = data["result"]

    def reopen(self, cmd: Cmd) -> None:
        self.approve(cmd, agencies=self.agencies)
        self._reopen(cmd)

    def _reopen(self, cmd: Cmd) -> None:
        require(self.status in lifecycle.TERMINAL, errors.ReopenNotClosed, f"the clue is {self.status}, not closed")
        eid = str(uuid4())
        ref = obligations.start(self.id, "verification_period", eid, cmd, subject="clue")
        self._reopened(cmd.data, self.make_meta(cmd, refs=[ref], event_id=eid))

    @event("ClueReopened")
    def _reopened(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.terminal, self.closure_type, self.merged_into = None, None, None
        self.phase, self.status_at = "reopened", meta["occurred_at"]

    # -- merges (合并) -----------------------------------------------------------------------------------
    def merge(self, cmd: Cmd, absorbed: list[Any]) -> None:
        """Survivor side; ``absorbed`` are the other clues, each closed ``merged`` in the same save."""
        require(self.status != "suspended", errors.ClueSuspended, "the surviving clue is suspended (中止)")
        require(self.status not in lifecycle.TERMINAL and self.status != "suspended", errors.InvalidTransition,
                f"the surviving clue is {self.status}")
        require(str(cmd.data["survivor_clue_id"]) == str(self.id), errors.ValidationFailed,
                "survivor_clue_id must be the stream the command is addressed to")
        self.approve(cmd, agencies=self.agencies)
        for other in absorbed:
            other.check_absorbable(cmd, self)
        self._merged(cmd.data, self.make_meta(cmd))
        for other in absorbed:
            other._merged(cmd.data, other.make_meta(cmd))
            refs = other.closing_refs(effect="cancel")
            closure = {"closure_type": "merged", "closure_reason": f"merged into {self.clue_no or self.id}",
                       "checklist_result": {"merged_via": "CluesMerged"}}
            other._closed(closure, other.make_meta(cmd, refs=refs))

    def check_absorbable(self, cmd: Cmd, survivor: Any) -> None:
        require(self.id != survivor.id, errors.ValidationFailed, "a clue cannot absorb itself")
        lifecycle.check(self, "CluesMerged")
        open_notices = [n for n in self.notices.values() if n["status"] in lifecycle.OPEN_NOTICE_STATES]
        require(not open_notices, errors.CloseWithOpenNotice, f"clue {self.clue_no} has an open notice")
        open_transfers = [t for t in self.transfers.values() if t["status"] not in ("rejected", "completed")]
        require(not open_transfers, errors.CloseWithOpenTransfer, f"clue {self.clue_no} has an open transfer")
        require((self.clue_no or "").split("-")[0] == (survivor.clue_no or "").split("-")[0], errors.InvalidTransition,
                "merged clues belong to the same bureau")

    @event("CluesMerged")
    def _merged(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        if data["survivor_clue_id"] == str(self.id):
            self.merged = list(dict.fromkeys([*self.merged, *data["absorbed_clue_ids"]]))
        else:
            self.merged_into = data["survivor_clue_id"]

    def unmerge(self, cmd: Cmd, absorbed: list[Any]) -> None:
        require(self.status != "suspended", errors.ClueSuspended, "the surviving clue is suspended (中止)")
        require(self.status != "closed", errors.InvalidTransition, "the surviving clue is closed")
        require(len(absorbed) == 1 and str(absorbed[0].id) in self.merged, errors.ValidationFailed,
                "absorbed_clue_id was not merged into this clue")
        self.approve(cmd, agencies=self.agencies)
        self._unmerged(cmd.data, self.make_meta(cmd))
        other = absorbed[0]
        other._unmerged(cmd.data, other.make_meta(cmd))
        other._reopen(cmd.with_event("ClueReopened", {"reason_code": "unmerge"}))

    @event("CluesUnmerged")
    def _unmerged(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        if data["survivor_clue_id"] == str(self.id):
            self.merged = [c for c in self.merged if c != data["absorbed_clue_id"]]


def _reply_by(inbound: dict[str, Any]) -> dict[str, Any] | None:
    reply_by = inbound.get("requested_reply_by")
    return {"fixed_due_date": reply_by[:10]} if reply_by else None
