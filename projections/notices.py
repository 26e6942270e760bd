"""``notice_register`` (domain.md §7): every notice with 文号, parent, recipient and its dates; the
current and original due dates come from the notice's ``rectification_report`` obligation."""

from __future__ import annotations

from projections.base import Projection
from projections.db import Tx
from projections.events import LoggedEvent


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

    def _set(self, tx: Tx, notice_id: str, **values: object) -> None:
        sets = ", ".join(f"{k} = ?" for k in values)
        tx.execute(f"UPDATE {self.t('notice_register')} SET {sets} WHERE notice_id = ?", (*values.values(), notice_id))

    def on_RectificationNoticeIssued(self, tx: Tx, ev: LoggedEvent) -> None:
        d = ev.data
        tx.execute(f"INSERT INTO {self.t('notice_register')} (notice_id, stream_id, stream_type, notice_type, "
                   "doc_number, recipient_org_id, issued_us, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'issued')",
                   (d["notice_id"], ev.stream_id, ev.stream_type, d["notice_type"], d["doc_number"],
                    d["recipient_org_id"], ev.occurred_us))

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
        rows = tx.execute(f"SELECT escalation_level FROM {self.t('notice_register')} WHERE notice_id = ?",
                          (ev.data["notice_id"],))
        level = max(int(rows[0][0]) if rows else 0, ev.data["level"])
        values: dict[str, object] = {"escalation_level": level}
        if ev.data["escalation_type"] == "listed_supervision":
            values["listed"] = 1
        self._set(tx, ev.data["notice_id"], **values)

    def on_ReminderIssued(self, tx: Tx, ev: LoggedEvent) -> None:
        if ev.data["reminder_kind"] == "listed_supervision":
            self._set(tx, ev.data["target"], listed=1)
