"""``deadline_dashboard`` (domain.md §7): every obligation from the ``deadline_refs`` the events carry.
``overdue`` and ``due_soon`` are derived when asked (``as_of``), never stored.

Crypto-shredding (§10): when a reporter's identity is shredded (IdentityShredded), the open feedback
obligations to that person become ``cancelled`` (at the shredding's business time, by its event): nobody
can be contacted any more. ``obligation_reporters`` remembers whose clue is whose (from ClueReceived)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache

from projections.base import Projection, Rows
from projections.db import Tx
from projections.events import LoggedEvent, to_us

COLUMNS = ("obligation_id", "stream_id", "stream_type", "type", "subject", "obligor", "start_us", "due_date",
           "due_us", "original_due_us", "status", "completed_us", "completed_event_id", "extensions",
           "calendar_fallback", "rule_id")
FEEDBACK_TYPES = ("feedback_result", "feedback_not_accepted")  # obligations to the reporter (§6.2 rows 7, 8)


@lru_cache(maxsize=65536)
def iso_us(text: str) -> int:
    """``to_us`` of an ISO timestamp (deadlines repeat: many obligations fall due at the same midnight)."""
    return to_us(datetime.fromisoformat(text))


class Obligations(Projection):
    name = "obligations"
    tables = ("obligations", "obligation_reporters")
    ddl = (
        "CREATE TABLE IF NOT EXISTS {t}obligations (obligation_id TEXT PRIMARY KEY, stream_id TEXT NOT NULL, "
        "stream_type TEXT, type TEXT NOT NULL, subject TEXT, obligor TEXT, start_us BIGINT, due_date TEXT, "
        "due_us BIGINT, original_due_us BIGINT, status TEXT NOT NULL, completed_us BIGINT, completed_event_id TEXT, "
        "extensions INTEGER NOT NULL DEFAULT 0, calendar_fallback INTEGER NOT NULL DEFAULT 0, rule_id TEXT)",
        "CREATE INDEX IF NOT EXISTS {t}obligations_due ON {t}obligations (status, due_us)",
        "CREATE INDEX IF NOT EXISTS {t}obligations_stream ON {t}obligations (stream_id)",
        "CREATE TABLE IF NOT EXISTS {t}obligation_reporters (person_token TEXT NOT NULL, stream_id TEXT NOT NULL, "
        "PRIMARY KEY (person_token, stream_id))",
    )

    def begin_batch(self, tx: Tx) -> None:
        self.table = Rows(self.t("obligations"), COLUMNS)
        self.reporters: list[tuple[str, str]] = []  # (person token, clue) received in this batch

    def prefetch(self, tx: Tx, events: Sequence[LoggedEvent]) -> None:
        self.table.load(tx, {ref.get("obligation_id") for ev in events for ref in ev.meta.get("deadline_refs", ())})

    def end_batch(self, tx: Tx) -> None:
        self.table.flush(tx)
        tx.insert_rows(self.t("obligation_reporters"), ("person_token", "stream_id"), self.reporters)

    def on_ClueReceived(self, tx: Tx, ev: LoggedEvent) -> None:
        token = (ev.data.get("reporter") or {}).get("reporter_token")
        if token:
            self.reporters.append((token, ev.stream_id))

    def on_IdentityShredded(self, tx: Tx, ev: LoggedEvent) -> None:
        """Cancel the open feedback obligations to the shredded person (module docstring)."""
        token = ev.data.get("person_token")
        streams = {sid for t, sid in self.reporters if t == token}
        streams |= {sid for (sid,) in tx.execute(f"SELECT stream_id FROM {self.t('obligation_reporters')} "
                                                 "WHERE person_token = ?", (token,))}
        if not streams:
            return
        for sid in streams:  # the stored ones; those of this batch are in memory already
            self.table.load(tx, [oid for (oid,) in tx.execute(
                f"SELECT obligation_id FROM {self.t('obligations')} WHERE stream_id = ? AND type IN (?, ?) "
                "AND status IN ('open', 'paused')", (sid, *FEEDBACK_TYPES))])
        for row in self.table.rows.values():
            if row["stream_id"] in streams and row["type"] in FEEDBACK_TYPES and row["status"] in ("open", "paused"):
                row["status"], row["completed_us"], row["completed_event_id"] = "cancelled", ev.occurred_us, ev.event_id

    def on_any(self, tx: Tx, ev: LoggedEvent) -> None:
        for ref in ev.meta.get("deadline_refs", ()):
            self.apply_ref(tx, ev, ref)

    def apply_ref(self, tx: Tx, ev: LoggedEvent, ref: dict) -> None:
        """One effect on one obligation, in memory; each effect does what its single SQL statement did:
        start = INSERT … ON CONFLICT DO NOTHING, complete/cancel = UPDATE … WHERE status IN ('open',
        'paused'), extend/resume/pause = UPDATE (nothing when the obligation is unknown)."""
        oid, effect = ref["obligation_id"], ref["effect"]
        if effect == "start":
            due_us = iso_us(ref["due_at"])
            values = (oid, ev.stream_id, ev.stream_type, ref["type"], ref.get("subject"), ref.get("obligor"),
                      iso_us(ref["start_at"]), ref.get("due_date"), due_us, due_us, "open",
                      None, None, 0, int(bool(ref.get("calendar_fallback"))), ref.get("rule_id"))
            if self.row(tx, oid) is None:
                self.table.add(dict(zip(COLUMNS, values)))
        elif effect in ("complete", "cancel"):
            status, completed_us, event_id = ("completed" if effect == "complete" else "cancelled", ev.occurred_us,
                                              ev.event_id)
            row = self.row(tx, oid)
            if row is not None and row["status"] in ("open", "paused"):
                row["status"], row["completed_us"], row["completed_event_id"] = status, completed_us, event_id
        elif effect in ("extend", "resume"):
            due_us, due_date = iso_us(ref["due_at"]), ref.get("due_date")
            row = self.row(tx, oid)
            if row is not None:
                row["due_us"], row["due_date"] = due_us, due_date
                if effect == "extend":
                    row["extensions"] += 1
                else:
                    row["status"] = "open"
        elif effect == "pause":
            row = self.row(tx, oid)
            if row is not None:
                row["status"] = "paused"

    def row(self, tx: Tx, oid: str) -> dict | None:
        table = self.table
        if oid not in table.rows and oid not in table.missing:  # not prefetched (a handler called directly)
            table.load(tx, (oid,))
        return table.rows.get(oid)
