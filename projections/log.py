"""Reading the notification log for the projector: decoded events (``LoggedEvent``) in log order.

On PostgreSQL one query on the events table through a connection of the projector's own (rows as tuples,
binary: the stream id as text, the state as the stored bytes), which costs a third of the recorder's
``select_notifications`` per event (it builds ``Notification`` objects from dict rows and a ``UUID`` per
row that is then turned back into text). Elsewhere (SQLite) the recorder's own ``select_notifications``."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from projections.events import LoggedEvent, decode, decode_row


class LogReader:
    def __init__(self, ledger: Any) -> None:
        self.recorder = ledger.recorder
        self.settings = ledger.settings
        self._conn: Any = None
        self._query: str | None = None
        if self.settings.is_postgres and hasattr(self.recorder, "events_table_name"):
            schema = getattr(getattr(self.recorder, "datastore", None), "schema", None) or "public"
            self._query = sql.SQL(
                "SELECT notification_id, originator_id::text, originator_version, topic, state FROM {}.{} "
                "WHERE notification_id >= %s ORDER BY notification_id LIMIT %s").format(
                    sql.Identifier(schema), sql.Identifier(self.recorder.events_table_name))

    def read(self, start: int, limit: int) -> list[LoggedEvent]:
        """The events from position ``start`` on (at most ``limit``), decoded."""
        if self._query is None:
            return [decode(n) for n in self.recorder.select_notifications(start=start, limit=limit)]
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.settings.database_url, autocommit=True, connect_timeout=5)
        with self._conn.cursor(binary=True) as cur:
            cur.execute(self._query, (start, limit), prepare=True)
            rows = cur.fetchall()
        return [decode_row(*row) for row in rows]

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
