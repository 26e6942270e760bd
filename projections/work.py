"""``transfer_tracker``, reporter feedback (``feedback_compliance``) and assignments (``staff_workload``):
the rows behind those read models of domain.md §7; the per-agency board and the rates are queries
over them (``projections.queries``)."""

from __future__ import annotations

from projections.base import Projection
from projections.db import Tx
from projections.events import LoggedEvent

TRANSFER_TIMES = {"TransferProposed": "proposed_us", "TransferApproved": "approved_us", "TransferSent": "sent_us",
                  "TransferAcknowledged": "acknowledged_us", "TransferDecisionReceived": "decided_us",
                  "TransferOutcomeReported": "outcome_us", "TransferRejected": "rejected_us"}


class WorkRegisters(Projection):
    name = "work_registers"
    tables = ("transfer_tracker", "feedback_log", "assignments")
    ddl = (
        "CREATE TABLE IF NOT EXISTS {t}transfer_tracker (transfer_id TEXT PRIMARY KEY, stream_id TEXT NOT NULL, "
        "target_type TEXT, target_org_id TEXT, transfer_kind TEXT, status TEXT, proposed_us BIGINT, "
        "approved_us BIGINT, sent_us BIGINT, acknowledged_us BIGINT, decided_us BIGINT, outcome_us BIGINT, "
        "rejected_us BIGINT, decision TEXT, outcome TEXT, partner_ref TEXT)",
        "CREATE TABLE IF NOT EXISTS {t}feedback_log (event_id TEXT PRIMARY KEY, stream_id TEXT NOT NULL, "
        "feedback_kind TEXT, delivery TEXT, satisfaction TEXT, method TEXT, occurred_us BIGINT)",
        "CREATE INDEX IF NOT EXISTS {t}feedback_log_stream ON {t}feedback_log (stream_id)",
        "CREATE TABLE IF NOT EXISTS {t}assignments (assignment_id TEXT PRIMARY KEY, stream_id TEXT NOT NULL, "
        "user_id TEXT NOT NULL, role_on_clue TEXT, state TEXT, assigned_us BIGINT)",
        "CREATE INDEX IF NOT EXISTS {t}assignments_user ON {t}assignments (user_id, state)",
    )

    def on_TransferProposed(self, tx: Tx, ev: LoggedEvent) -> None:
        d = ev.data
        tx.execute(f"INSERT INTO {self.t('transfer_tracker')} (transfer_id, stream_id, target_type, target_org_id, "
                   "transfer_kind, status, proposed_us) VALUES (?, ?, ?, ?, ?, 'proposed', ?)",
                   (d["transfer_id"], ev.stream_id, d["target_type"], d["target_org_id"], d["transfer_kind"],
                    ev.occurred_us))

    def on_any(self, tx: Tx, ev: LoggedEvent) -> None:
        column = TRANSFER_TIMES.get(ev.event_type)
        if column is None or ev.event_type == "TransferProposed":
            return
        status = {"TransferApproved": "approved", "TransferSent": "sent", "TransferAcknowledged": "acknowledged",
                  "TransferDecisionReceived": "decided", "TransferRejected": "rejected"}.get(ev.event_type)
        if ev.event_type == "TransferOutcomeReported":
            status = "completed" if ev.data.get("final") else None
        refs = [r["ref"] for r in ev.meta.get("external_refs", []) if r.get("system") == "discipline_inspection"]
        tx.execute(f"UPDATE {self.t('transfer_tracker')} SET {column} = ?, status = COALESCE(?, status), "
                   "decision = COALESCE(?, decision), outcome = COALESCE(?, outcome), "
                   "partner_ref = COALESCE(?, partner_ref) WHERE transfer_id = ?",
                   (ev.occurred_us, status, ev.data.get("decision"), ev.data.get("outcome"),
                    refs[0] if refs else None, ev.data["transfer_id"]))

    def on_ReporterFeedbackSent(self, tx: Tx, ev: LoggedEvent) -> None:
        d = ev.data
        tx.execute(f"INSERT INTO {self.t('feedback_log')} VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (ev.event_id, ev.stream_id, d["feedback_kind"], d["delivery"], d.get("satisfaction"), d["method"],
                    ev.occurred_us))

    def on_ClueAssigned(self, tx: Tx, ev: LoggedEvent) -> None:
        d = ev.data
        tx.execute(f"INSERT INTO {self.t('assignments')} VALUES (?, ?, ?, ?, 'pending', ?)",
                   (d["assignment_id"], ev.stream_id, d["assignee_user_id"], d["role_on_clue"], ev.occurred_us))

    def on_AssignmentAccepted(self, tx: Tx, ev: LoggedEvent) -> None:
        tx.execute(f"UPDATE {self.t('assignments')} SET state = 'active' WHERE assignment_id = ?",
                   (ev.data["assignment_id"],))

    def on_AssignmentDeclined(self, tx: Tx, ev: LoggedEvent) -> None:
        tx.execute(f"UPDATE {self.t('assignments')} SET state = 'removed' WHERE assignment_id = ?",
                   (ev.data["assignment_id"],))
