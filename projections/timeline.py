"""``audit_timeline`` (domain.md §7): every event of every stream as recorded, with its envelope;
corrections and voids are resolved when a timeline is read (``projections.queries``)."""

from __future__ import annotations

from projections.base import Projection
from projections.db import Tx
from projections.events import LoggedEvent

COLUMNS = ("position", "stream_id", "version", "event_type", "event_id", "occurred_us", "recorded_us", "target_event_id",
           "meta", "data")


class AuditTimeline(Projection):
    name = "audit_timeline"
    tables = ("audit_timeline",)
    prepared = ("meta_json", "data_json")
    ddl = (
        "CREATE TABLE IF NOT EXISTS {t}audit_timeline (position BIGINT PRIMARY KEY, stream_id TEXT NOT NULL, "
        "version INTEGER NOT NULL, event_type TEXT NOT NULL, event_id TEXT NOT NULL, occurred_us BIGINT NOT NULL, "
        "recorded_us BIGINT NOT NULL, target_event_id TEXT, meta TEXT NOT NULL, data TEXT NOT NULL)",
        "CREATE UNIQUE INDEX IF NOT EXISTS {t}audit_timeline_stream ON {t}audit_timeline (stream_id, version)",
    )

    def begin_batch(self, tx: Tx) -> None:
        self.rows: list[tuple[object, ...]] = []

    def end_batch(self, tx: Tx) -> None:
        tx.insert_rows(self.t("audit_timeline"), COLUMNS, self.rows)

    def on_any(self, tx: Tx, ev: LoggedEvent) -> None:
        self.rows.append((ev.position, ev.stream_id, ev.version, ev.event_type, ev.event_id, ev.occurred_us,
                          ev.recorded_us, ev.data.get("target_event_id"), ev.meta_json, ev.data_json))
