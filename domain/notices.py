"""Notices (整改通知书, 工作提示函 …), reminders, extensions and 通报, in their parent's stream (§4.3).

``NoticeHolder`` is mixed into Clue, ReviewBatch and ReconsiderationCase; each parent says when a
notice may be issued by overriding ``check_notice_allowed``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import uuid4

from eventsourcing.domain import event

from domain import errors, obligations
from domain.base import Cmd, LedgerAggregate, require

OPEN_STATES = ("issued", "served", "reported", "re_rectifying")
REPORT_OBLIGATIONS = ("rectification_report", "re_rectification")


class NoticeHolder(LedgerAggregate):
    def _init_parts(self) -> None:
        super()._init_parts()
        self.notices: dict[str, dict[str, Any]] = {}
        self.reminders: dict[str, dict[str, Any]] = {}
        self.notifications: dict[str, dict[str, Any]] = {}

    def check_notice_allowed(self, cmd: Cmd) -> None:
        """Parent-specific precondition of notice events (status, finding …)."""

    def notice(self, cmd: Cmd, *states: str) -> dict[str, Any]:
        n = self.notices.get(str(cmd.data["notice_id"]))
        require(n is not None, errors.NotFound, f"no notice {cmd.data['notice_id']} in this stream")
        if states and n["status"] not in states:
            raise errors.InvalidTransition(f"{cmd.event} needs the notice {'/'.join(states)}, it is {n['status']}")
        if cmd.actor.role == "agency_liaison" and cmd.actor.org_id != n["recipient_org_id"]:
            raise errors.NotAuthorized("a liaison acts only on its own agency's notices")
        return n

    # -- issue and serve -------------------------------------------------------------------------------
    def issue_notice(self, cmd: Cmd) -> None:
        self.check_notice_allowed(cmd)
        require(str(cmd.data["notice_id"]) not in self.notices, errors.ValidationFailed, "notice_id already used")
        require(all(n["doc_number"] != cmd.data["doc_number"] or n["notice_type"] != cmd.data["notice_type"]
                    for n in self.notices.values()), errors.DuplicateDocNumber, "文号 already used")
        self.approve(cmd, agencies=[cmd.data["recipient_org_id"]])
        self._notice_issued(cmd.data, self.make_meta(cmd, sensitivity="S1"))

    @event("RectificationNoticeIssued")
    def _notice_issued(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.notices[data["notice_id"]] = {**data, "status": "issued", "issued_at": meta["occurred_at"],
                                           "listed": False, "last_result": None}

    def serve_notice(self, cmd: Cmd) -> None:
        self.check_notice_allowed(cmd)
        n = self.notice(cmd, "issued")
        self.check_after(cmd, n["issued_at"])
        eid = str(uuid4())
        refs = []
        if n.get("requires_report", True):
            refs.append(obligations.start(self.id, "rectification_report", eid, cmd, subject=n["notice_id"],
                                          variant=n["notice_type"], period=n.get("rectification_period")))
        self._notice_served(cmd.data, self.make_meta(cmd, refs=refs, event_id=eid, sensitivity="S1"))

    @event("NoticeServed")
    def _notice_served(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        n = self.notices[data["notice_id"]]
        n.update(status="served", served_at=meta["occurred_at"])
        if not n.get("requires_report", True):
            n["status"] = "closed_rectified"

    # -- report and verify -----------------------------------------------------------------------------
    def report_rectification(self, cmd: Cmd) -> None:
        self.check_notice_allowed(cmd)
        n = self.notice(cmd, "served", "re_rectifying")
        self.check_after(cmd, n.get("served_at"))
        eid = str(uuid4())
        refs = self.closing_refs(*REPORT_OBLIGATIONS, "reminder_response", subject=n["notice_id"])
        refs.append(obligations.start(self.id, "rectification_verification", eid, cmd, subject=n["notice_id"]))
        self._rectification_reported(cmd.data, self.make_meta(cmd, refs=refs, event_id=eid, sensitivity="S1"))

    @event("RectificationReported")
    def _rectification_reported(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.notices[data["notice_id"]].update(status="reported", reported_at=meta["occurred_at"])

    def verify_rectification(self, cmd: Cmd) -> None:
        self.check_notice_allowed(cmd)
        n = self.notices.get(str(cmd.data["notice_id"]))
        require(n is not None, errors.NotFound, f"no notice {cmd.data['notice_id']} in this stream")
        require(n["status"] == "reported", errors.VerifyWithoutReport, "no rectification report awaits verification")
        self.check_after(cmd, n.get("reported_at"))
        if cmd.data["result"] == "accepted":
            self.approve(cmd, agencies=[n["recipient_org_id"]])
        eid = str(uuid4())
        refs = self.closing_refs("rectification_verification", subject=n["notice_id"])
        if cmd.data["result"] == "rejected":
            refs.append(obligations.start(self.id, "re_rectification", eid, cmd, subject=n["notice_id"],
                                          period=cmd.data.get("re_rectification_period")))
        else:
            refs += self.closing_refs("reminder_response", subject=n["notice_id"], effect="cancel")
        self._rectification_verified(cmd.data, self.make_meta(cmd, refs=refs, event_id=eid, sensitivity="S1"))

    @event("RectificationVerified")
    def _rectification_verified(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        n = self.notices[data["notice_id"]]
        accepted = data["result"] == "accepted"
        n.update(status="closed_rectified" if accepted else "re_rectifying", last_result=data["result"],
                 verified_at=meta["occurred_at"])
        if accepted:
            n["listed"] = False

    # -- overdue, escalation, reminders, withdrawal ---------------------------------------------------
    def mark_overdue(self, cmd: Cmd) -> None:
        self.check_notice_allowed(cmd)
        n = self.notice(cmd)
        ob = self.obligations.get(str(cmd.data["obligation_id"]))
        require(ob is not None and ob.get("subject") == n["notice_id"], errors.NotFound,
                "no such obligation on this notice")
        due_at = datetime.fromisoformat(ob["due_at"])
        require(ob["status"] == "open", errors.InvalidTransition, f"obligation is {ob['status']}")
        require(datetime.fromisoformat(cmd.data["due_at"]) == due_at, errors.ValidationFailed, f"the obligation is due at {ob['due_at']}")
        require(due_at <= cmd.recorded_at, errors.InvalidTransition, "the obligation is not yet overdue")
        require(cmd.meta.occurred_at == due_at, errors.ValidationFailed, "NoticeOverdue occurs at due_at")
        key = f"overdue:{ob['obligation_id']}:{ob['due_at']}"
        require(cmd.meta.idempotency_key == key, errors.ValidationFailed, f"idempotency_key must be {key}")
        self._notice_overdue(cmd.data, self.make_meta(cmd, sensitivity="S1"))

    @event("NoticeOverdue")
    def _notice_overdue(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.notices[data["notice_id"]]["overdue_marked"] = True

    def escalate_notice(self, cmd: Cmd) -> None:
        self.check_notice_allowed(cmd)
        n = self.notice(cmd, *OPEN_STATES)
        overdue = any(obligations.is_overdue(ob, cmd.at) for ob in self.open_obligations(subject=n["notice_id"]))
        require(overdue or n["last_result"] == "rejected", errors.InvalidTransition,
                "escalate an overdue notice or one whose rectification was rejected")
        self.approve(cmd, agencies=[n["recipient_org_id"]])
        self._notice_escalated(cmd.data, self.make_meta(cmd, sensitivity="S1"))

    @event("NoticeEscalated")
    def _notice_escalated(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        n = self.notices[data["notice_id"]]
        n["escalation_level"] = max(n.get("escalation_level", 0), data["level"])
        if data["escalation_type"] == "listed_supervision":
            n["listed"] = True

    def issue_reminder(self, cmd: Cmd) -> None:
        self.check_notice_allowed(cmd)
        target = str(cmd.data["target"])
        open_target = (self.notices.get(target, {}).get("status") in OPEN_STATES
                       or getattr(self, "transfers", {}).get(target, {}).get("status") in ("proposed", "approved",
                                                                                           "sent", "acknowledged")
                       or self.obligations.get(target, {}).get("status") == "open")
        require(open_target, errors.InvalidTransition, "a reminder needs an open notice, transfer or obligation")
        if cmd.data["reminder_kind"] == "listed_supervision":
            self.approve(cmd)
        eid = str(uuid4())
        ref = obligations.start(self.id, "reminder_response", eid, cmd, subject=target,
                                period=cmd.data["response_period"])
        self._reminder_issued(cmd.data, self.make_meta(cmd, refs=[ref], event_id=eid, sensitivity="S1"))

    @event("ReminderIssued")
    def _reminder_issued(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.reminders[meta["event_id"]] = data
        if data["reminder_kind"] == "listed_supervision" and data["target"] in self.notices:
            self.notices[data["target"]]["listed"] = True

    def withdraw_notice(self, cmd: Cmd) -> None:
        self.check_notice_allowed(cmd)
        n = self.notice(cmd, *OPEN_STATES)
        self.approve(cmd, agencies=[n["recipient_org_id"]])
        refs = self.closing_refs(subject=n["notice_id"], effect="cancel")
        self._notice_withdrawn(cmd.data, self.make_meta(cmd, refs=refs, sensitivity="S1"))

    @event("NoticeWithdrawn")
    def _notice_withdrawn(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.notices[data["notice_id"]].update(status="closed_withdrawn", listed=False)

    # -- extensions (any obligation of the stream) --------------------------------------------------------
    def _obligation(self, cmd: Cmd) -> dict[str, Any]:
        ob = self.obligations.get(str(cmd.data["obligation_id"]))
        require(ob is not None, errors.NotFound, f"no obligation {cmd.data['obligation_id']} in this stream")
        require(ob["status"] in ("open", "paused"), errors.InvalidTransition, f"obligation is {ob['status']}")
        return ob

    def request_extension(self, cmd: Cmd) -> None:
        self.check_notice_allowed(cmd)
        ob = self._obligation(cmd)
        if cmd.actor.role == "agency_liaison":
            n = self.notices.get(ob.get("subject", ""))
            require(n is not None and n["recipient_org_id"] == cmd.actor.org_id, errors.NotAuthorized,
                    "a liaison asks extensions only for its own agency's notices")
        require(cmd.at < datetime.fromisoformat(ob["due_at"]), errors.ExtensionAfterDue,
                f"the obligation was due at {ob['due_at']}")
        require(not ob.get("extension_pending"), errors.InvalidTransition, "an extension request is pending")
        obligations.check_extension(ob, cmd.data["requested"], cmd)
        refs = [{"obligation_id": ob["obligation_id"], "effect": "request"}]
        self._extension_requested(cmd.data, self.make_meta(cmd, refs=refs, sensitivity="S1"))

    @event("DeadlineExtensionRequested")
    def _extension_requested(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        pass

    def grant_extension(self, cmd: Cmd) -> None:
        self.check_notice_allowed(cmd)
        ob = self._obligation(cmd)
        require(ob.get("extension_pending") or ob["type"] in obligations.STATUTORY_EXTENSIONS,
                errors.InvalidTransition, "no pending extension request")
        self.approve(cmd)
        obligations.check_extension(ob, cmd.data["granted"], cmd)
        ref = obligations.extend(ob, cmd.data["granted"], cmd)
        if cmd.data.get("new_due_date") and cmd.data["new_due_date"] != ref["due_date"]:
            raise errors.ValidationFailed(f"new_due_date must be the recomputed {ref['due_date']}")
        data = {**cmd.data, "new_due_date": ref["due_date"]}
        self._extension_granted(data, self.make_meta(cmd, refs=[ref], sensitivity="S1"))

    @event("DeadlineExtensionGranted")
    def _extension_granted(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        pass

    def deny_extension(self, cmd: Cmd) -> None:
        self.check_notice_allowed(cmd)
        ob = self._obligation(cmd)
        require(bool(ob.get("extension_pending")), errors.InvalidTransition, "no pending extension request")
        self.approve(cmd)
        refs = [{"obligation_id": ob["obligation_id"], "effect": "deny"}]
        self._extension_denied(cmd.data, self.make_meta(cmd, refs=refs, sensitivity="S1"))

    @event("DeadlineExtensionDenied")
    def _extension_denied(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        pass

    # -- 通报 ----------------------------------------------------------------------------------------------
    def publish_notification(self, cmd: Cmd) -> None:
        self.check_notice_allowed(cmd)
        require(str(cmd.data["notification_id"]) not in self.notifications, errors.ValidationFailed,
                "notification_id already used")
        self.approve(cmd)
        sensitivity = "S0" if cmd.data["scope"] == "public" else "S1"
        self._notification_published(cmd.data, self.make_meta(cmd, sensitivity=sensitivity))

    @event("NotificationPublished")
    def _notification_published(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.notifications[data["notification_id"]] = data
