"""``notice_register`` (domain.md §7): every notice with 文号, parent, recipient and its dates; the
current and original due dates come from the notice's ``rectification_report`` obligation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from projections.base import Projection, Rows
from projections.db import Tx
from projections.events import LoggedEvent

COLUMNS = ("notice_id", "stream_id", "stream_type", "notice_type", "doc_number", "recipient_org_id", "issued_us",
           "served_us", "reported_us", "verified_us", "result", "status", "escalation_level", "listed",
           "overdue_marked")
BLANK: dict[str, Any] = dict.fromkeys(COLUMNS) | {"escalation_level": 0, "listed": 0, "overdue_marked": 0}


class NoticeRegister(Projection):
    name = "notice_register"
    tables = ("notice_register",)
    ddl = (
        "CREATE TABLE IF NOT EXISTS {t}notice_register (notice_id TEXT PRIMARY KEY, stream_id TEXT NOT NULL, "
        "stream_type TEXT, notice_type TEXT, doc_number TEXT, recipient_org_id TEXT, issued_us BIGINT, "
        "served_us BIGINT, reported_us BIGINT, verified_us BIGINT, result TEXT, status TEXT, "
        "escalation_level INTEGER NOT NULL DEFAULT 0, listed INTEGER NOT NULL DEFAULT 0, overdue_marked INTEGER "
        "NOT NULL DEFAULT 0)",
        "CREATE INDEX IF NOT EXISTS {t}notice_register_keyset ON {t}notice_register (issued_us, notice_id)",
        "CREATE INDEX IF NOT EXISTS {t}notice_register_recipient ON {t}notice_register (recipient_org_id, status)",
    )

    def begin_batch(self, tx: Tx) -> None:
        self.table = Rows(self.t("notice_register"), COLUMNS)

    def prefetch(self, tx: Tx, events: Sequence[LoggedEvent]) -> None:
        handled = self.handlers
        self.table.load(tx, {ev.data.get("target" if ev.event_type == "ReminderIssued" else "notice_id")
                             for ev in events if ev.event_type in handled})

    def end_batch(self, tx: Tx) -> None:
        self.table.flush(tx)

    def row(self, tx: Tx, notice_id: str) -> dict[str, Any] | None:
        table = self.table
        if notice_id not in table.rows and notice_id not in table.missing:  # not prefetched
            table.load(tx, (notice_id,))
        return table.rows.get(notice_id)

    def _set(self, tx: Tx, notice_id: str, **values: object) -> None:
        """What ``UPDATE … SET values WHERE notice_id = ?`` did, in memory (nothing for an unknown notice)."""
        row = self.row(tx, notice_id)
        if row is not None:
            row.update(values)

    def on_RectificationNoticeIssued(self, tx: Tx, ev: LoggedEvent) -> None:
        d = ev.data
        row = {**BLANK, "notice_id": d["notice_id"], "stream_id": ev.stream_id, "stream_type": ev.stream_type,
               "notice_type": d["notice_type"], "doc_number": d["doc_number"],
               "recipient_org_id": d["recipient_org_id"], "issued_us": ev.occurred_us, "status": "issued"}
        if self.row(tx, row["notice_id"]) is not None:
            self.table.insert_now(tx, row)  # a second notice with this id: the key check fails as before
        self.table.add(row)

    def on_NoticeServed(self, tx: Tx, ev: LoggedEvent) -> None:
        self._set(tx, ev.data["notice_id"], served_us=ev.occurred_us, status="served")

    def on_RectificationReported(self, tx: Tx, ev: LoggedEvent) -> None:
        self._set(tx, ev.data["notice_id"], reported_us=ev.occurred_us, status="reported")

    def on_RectificationVerified(self, tx: Tx, ev: LoggedEvent) -> None:
        accepted = ev.data["result"] == "accepted"
        self._set(tx, ev.data["notice_id"], verified_us=ev.occurred_us, result=ev.data["result"],
                  status="closed_rectified" if accepted else "re_rectifying")

    def on_NoticeWithdrawn(self, tx: Tx, ev: LoggedEvent) -> None:
        self._set(tx, ev.data["notice_id"], status="closed_withdrawn")

    def on_NoticeOverdue(self, tx: Tx, ev: LoggedEvent) -> None:
        self._set(tx, ev.data["notice_id"], overdue_marked=1)

    def on_NoticeEscalated(self, tx: Tx, ev: LoggedEvent) -> None:
        row = self.row(tx, ev.data["notice_id"])
        level = max(int(row["escalation_level"]) if row else 0, ev.data["level"])
        values: dict[str, object] = {"escalation_level": level}
        if ev.data["escalation_type"] == "listed_supervision":
            values["listed"] = 1
        self._set(tx, ev.data["notice_id"], **values)

    def on_ReminderIssued(self, tx: Tx, ev: LoggedEvent) -> None:
        if ev.data["reminder_kind"] == "listed_supervision":
            self._set(tx, ev.data["target"], listed=1)
