"""Interviews (约谈) with their commitments, and accountability (问责) of a clue (domain.md §4.4)."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from eventsourcing.domain import event

from domain import errors, lifecycle, obligations
from domain.base import Cmd, LedgerAggregate, require


class ClueInterviews(LedgerAggregate):
    def _init_parts(self) -> None:
        super()._init_parts()
        self.interviews: dict[str, dict[str, Any]] = {}
        self.accountability: dict[str, dict[str, Any]] = {}

    def interview(self, cmd: Cmd, *states: str) -> dict[str, Any]:
        i = self.interviews.get(str(cmd.data["interview_id"]))
        require(i is not None, errors.NotFound, f"no interview {cmd.data['interview_id']} on this clue")
        if states and i["status"] not in states:
            raise errors.InvalidTransition(f"{cmd.event} needs the interview {'/'.join(states)}, it is {i['status']}")
        return i

    def schedule_interview(self, cmd: Cmd) -> None:
        lifecycle.check(self, cmd.event)
        require(str(cmd.data["interview_id"]) not in self.interviews, errors.ValidationFailed, "interview_id used")
        self.approve(cmd, agencies=[cmd.data["interviewee_org_id"]])
        self._interview_scheduled(cmd.data, self.make_meta(cmd))

    @event("InterviewScheduled")
    def _interview_scheduled(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.interviews[data["interview_id"]] = {**data, "status": "scheduled", "commitments": {}}

    def reschedule_interview(self, cmd: Cmd) -> None:
        lifecycle.check(self, cmd.event)
        self.interview(cmd, "scheduled")
        self._interview_rescheduled(cmd.data, self.make_meta(cmd))

    @event("InterviewRescheduled")
    def _interview_rescheduled(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.interviews[data["interview_id"]]["scheduled_at"] = data["new_scheduled_at"]

    def cancel_interview(self, cmd: Cmd) -> None:
        lifecycle.check(self, cmd.event)
        self.interview(cmd, "scheduled")
        self.approve(cmd, agencies=self.agencies)
        self._interview_cancelled(cmd.data, self.make_meta(cmd))

    @event("InterviewCancelled")
    def _interview_cancelled(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.interviews[data["interview_id"]]["status"] = "cancelled"

    def hold_interview(self, cmd: Cmd) -> None:
        lifecycle.check(self, cmd.event)
        self.interview(cmd, "scheduled")
        eid = str(uuid4())
        refs = [obligations.start(self.id, "interview_commitment", eid, cmd, subject=c["commitment_id"],
                                  period={"fixed_due_date": c["due_date"]})
                for c in cmd.data.get("commitments", [])]
        self._interview_held(cmd.data, self.make_meta(cmd, refs=refs, event_id=eid))

    @event("InterviewHeld")
    def _interview_held(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        i = self.interviews[data["interview_id"]]
        i.update(status="held", held_at=meta["occurred_at"])
        i["commitments"] = {c["commitment_id"]: "open" for c in data.get("commitments", [])}

    def fulfil_commitment(self, cmd: Cmd) -> None:
        lifecycle.check(self, cmd.event)
        i = self.interview(cmd, "held")
        state = i["commitments"].get(str(cmd.data["commitment_id"]))
        require(state is not None, errors.NotFound, "no such commitment in this interview")
        require(state == "open", errors.InvalidTransition, "the commitment is already fulfilled")
        refs = self.closing_refs("interview_commitment", subject=str(cmd.data["commitment_id"]))
        self._commitment_fulfilled(cmd.data, self.make_meta(cmd, refs=refs))

    @event("CommitmentFulfilled")
    def _commitment_fulfilled(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.interviews[data["interview_id"]]["commitments"][data["commitment_id"]] = "done"

    def refer_accountability(self, cmd: Cmd) -> None:
        lifecycle.check(self, cmd.event)
        require(bool(self.finding) and self.finding["conclusion"] != "unsubstantiated", errors.InvalidTransition,
                "accountability needs a substantiated finding")
        t = self.transfers.get(str(cmd.data["via_transfer_id"]))
        require(t is not None and t["status"] not in ("proposed", "approved", "rejected"), errors.InvalidTransition,
                "accountability is referred via a sent transfer")
        require(str(cmd.data["accountability_id"]) not in self.accountability, errors.ValidationFailed,
                "accountability_id used")
        self.approve(cmd, agencies=[cmd.data["target_org_id"]])
        self._accountability_referred(cmd.data, self.make_meta(cmd))

    @event("AccountabilityReferred")
    def _accountability_referred(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.accountability[data["accountability_id"]] = {**data, "status": "referred"}

    def decide_accountability(self, cmd: Cmd) -> None:
        lifecycle.check(self, cmd.event)
        a = self.accountability.get(str(cmd.data["accountability_id"]))
        require(a is not None, errors.NotFound, "no such accountability referral")
        require(a["status"] == "referred", errors.InvalidTransition, "accountability already decided")
        self._accountability_decided(cmd.data, self.make_meta(cmd))

    @event("AccountabilityDecided")
    def _accountability_decided(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.accountability[data["accountability_id"]]["status"] = "decided"

    def open_interviews(self) -> list[str]:
        """Scheduled interviews and open commitments block closure (rule 6)."""
        found = [k for k, i in self.interviews.items() if i["status"] == "scheduled"]
        found += [c for i in self.interviews.values() for c, s in i.get("commitments", {}).items() if s == "open"]
        return found
