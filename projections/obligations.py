"""``deadline_dashboard`` (domain.md §7): every obligation from the ``deadline_refs`` the events carry.
``overdue`` and ``due_soon`` are derived when asked (``as_of``), never stored."""

from __future__ import annotations

from datetime import datetime

from projections.base import Projection
from projections.db import Tx
from projections.events import LoggedEvent, to_us

COLUMNS = ("obligation_id", "stream_id", "stream_type", "type", "subject", "obligor", "start_us", "due_date",
           "due_us", "original_due_us", "status", "completed_us", "completed_event_id", "extensions",
           "calendar_fallback", "rule_id")


class Obligations(Projection):
    name = "obligations"
    tables = ("obligations",)
    ddl = (
        "CREATE TABLE IF NOT EXISTS {t}obligations (obligation_id TEXT PRIMARY KEY, stream_id TEXT NOT NULL, "
        "stream_type TEXT, type TEXT NOT NULL, subject TEXT, obligor TEXT, start_us BIGINT, due_date TEXT, "
        "due_us BIGINT, original_due_us BIGINT, status TEXT NOT NULL, completed_us BIGINT, completed_event_id TEXT, "
        "extensions INTEGER NOT NULL DEFAULT 0, calendar_fallback INTEGER NOT NULL DEFAULT 0, rule_id TEXT)",
        "CREATE INDEX IF NOT EXISTS {t}obligations_due ON {t}obligations (status, due_us)",
        "CREATE INDEX IF NOT EXISTS {t}obligations_stream ON {t}obligations (stream_id)",
    )

    def on_any(self, tx: Tx, ev: LoggedEvent) -> None:
        for ref in ev.meta.get("deadline_refs", ()):
            self.apply_ref(tx, ev, ref)

    def apply_ref(self, tx: Tx, ev: LoggedEvent, ref: dict) -> None:
        table, oid, effect = self.t("obligations"), ref["obligation_id"], ref["effect"]
        if effect == "start":
            due_us = to_us(datetime.fromisoformat(ref["due_at"]))
            tx.execute(f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)}) "
                       "ON CONFLICT (obligation_id) DO NOTHING",
                       (oid, ev.stream_id, ev.stream_type, ref["type"], ref.get("subject"), ref.get("obligor"),
                        to_us(datetime.fromisoformat(ref["start_at"])), ref.get("due_date"), due_us, due_us, "open",
                        None, None, 0, int(bool(ref.get("calendar_fallback"))), ref.get("rule_id")))
        elif effect in ("complete", "cancel"):
            tx.execute(f"UPDATE {table} SET status = ?, completed_us = ?, completed_event_id = ? "
                       "WHERE obligation_id = ? AND status IN ('open', 'paused')",
                       ("completed" if effect == "complete" else "cancelled", ev.occurred_us, ev.event_id, oid))
        elif effect in ("extend", "resume"):
            due_us = to_us(datetime.fromisoformat(ref["due_at"]))
            extra = ", extensions = extensions + 1" if effect == "extend" else ", status = 'open'"
            tx.execute(f"UPDATE {table} SET due_us = ?, due_date = ?{extra} WHERE obligation_id = ?",
                       (due_us, ref.get("due_date"), oid))
        elif effect == "pause":
            tx.execute(f"UPDATE {table} SET status = 'paused' WHERE obligation_id = ?", (oid,))
