"""``transfer_tracker``, reporter feedback (``feedback_compliance``) and assignments (``staff_workload``):
the rows behind those read models of domain.md §7; the per-agency board and the rates are queries
over them (``projections.queries``)."""

from __future__ import annotations

from collections.abc import Sequence

from projections.base import Projection, Rows
from projections.db import Tx
from projections.events import LoggedEvent

TRANSFER_TIMES = {"TransferProposed": "proposed_us", "TransferApproved": "approved_us", "TransferSent": "sent_us",
                  "TransferAcknowledged": "acknowledged_us", "TransferDecisionReceived": "decided_us",
                  "TransferOutcomeReported": "outcome_us", "TransferRejected": "rejected_us"}

TRANSFER_COLUMNS = ("transfer_id", "stream_id", "target_type", "target_org_id", "transfer_kind", "status",
                    "proposed_us", "approved_us", "sent_us", "acknowledged_us", "decided_us", "outcome_us",
                    "rejected_us", "decision", "outcome", "partner_ref")
FEEDBACK_COLUMNS = ("event_id", "stream_id", "feedback_kind", "delivery", "satisfaction", "method", "occurred_us")
ASSIGNMENT_COLUMNS = ("assignment_id", "stream_id", "user_id", "role_on_clue", "state", "assigned_us")
ASSIGNMENT_EVENTS = ("ClueAssigned", "AssignmentAccepted", "AssignmentDeclined")


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

    def begin_batch(self, tx: Tx) -> None:
        self.transfers = Rows(self.t("transfer_tracker"), TRANSFER_COLUMNS)
        self.assignments = Rows(self.t("assignments"), ASSIGNMENT_COLUMNS)
        self.feedback: list[tuple[object, ...]] = []

    def prefetch(self, tx: Tx, events: Sequence[LoggedEvent]) -> None:
        self.transfers.load(tx, {ev.data.get("transfer_id") for ev in events if ev.event_type in TRANSFER_TIMES})
        self.assignments.load(tx, {ev.data.get("assignment_id") for ev in events if ev.event_type in ASSIGNMENT_EVENTS})

    def end_batch(self, tx: Tx) -> None:
        self.transfers.flush(tx)
        self.assignments.flush(tx)
        tx.insert_rows(self.t("feedback_log"), FEEDBACK_COLUMNS, self.feedback)

    @staticmethod
    def row(tx: Tx, rows: Rows, key: str) -> dict | None:
        if key not in rows.rows and key not in rows.missing:  # not prefetched (a handler called directly)
            rows.load(tx, (key,))
        return rows.rows.get(key)

    def on_TransferProposed(self, tx: Tx, ev: LoggedEvent) -> None:
        d = ev.data
        row = {**dict.fromkeys(TRANSFER_COLUMNS), "transfer_id": d["transfer_id"], "stream_id": ev.stream_id,
               "target_type": d["target_type"], "target_org_id": d["target_org_id"],
               "transfer_kind": d["transfer_kind"], "status": "proposed", "proposed_us": ev.occurred_us}
        if self.row(tx, self.transfers, row["transfer_id"]) is not None:
            self.transfers.insert_now(tx, row)  # the same id twice: the key check fails as before
        self.transfers.add(row)

    def on_any(self, tx: Tx, ev: LoggedEvent) -> None:
        column = TRANSFER_TIMES.get(ev.event_type)
        if column is None or ev.event_type == "TransferProposed":
            return
        status = {"TransferApproved": "approved", "TransferSent": "sent", "TransferAcknowledged": "acknowledged",
                  "TransferDecisionReceived": "decided", "TransferRejected": "rejected"}.get(ev.event_type)
        if ev.event_type == "TransferOutcomeReported":
            status = "completed" if ev.data.get("final") else None
        refs = [r["ref"] for r in ev.meta.get("external_refs", []) if r.get("system") == "discipline_inspection"]
        values = {column: ev.occurred_us, "status": status, "decision": ev.data.get("decision"),
                  "outcome": ev.data.get("outcome"), "partner_ref": refs[0] if refs else None}
        row = self.row(tx, self.transfers, ev.data["transfer_id"])
        if row is not None:  # UPDATE … SET column = ?, status = COALESCE(?, status), … WHERE transfer_id = ?
            row[column] = values.pop(column)
            for name, value in values.items():
                if value is not None:
                    row[name] = value

    def on_ReporterFeedbackSent(self, tx: Tx, ev: LoggedEvent) -> None:
        d = ev.data
        self.feedback.append((ev.event_id, ev.stream_id, d["feedback_kind"], d["delivery"], d.get("satisfaction"),
                              d["method"], ev.occurred_us))

    def on_ClueAssigned(self, tx: Tx, ev: LoggedEvent) -> None:
        d = ev.data
        row = {"assignment_id": d["assignment_id"], "stream_id": ev.stream_id, "user_id": d["assignee_user_id"],
               "role_on_clue": d["role_on_clue"], "state": "pending", "assigned_us": ev.occurred_us}
        if self.row(tx, self.assignments, row["assignment_id"]) is not None:
            self.assignments.insert_now(tx, row)
        self.assignments.add(row)

    def on_AssignmentAccepted(self, tx: Tx, ev: LoggedEvent) -> None:
        row = self.row(tx, self.assignments, ev.data["assignment_id"])
        if row is not None:
            row["state"] = "active"

    def on_AssignmentDeclined(self, tx: Tx, ev: LoggedEvent) -> None:
        row = self.row(tx, self.assignments, ev.data["assignment_id"])
        if row is not None:
            row["state"] = "removed"
