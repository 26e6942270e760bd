"""Reading the notification log for the projector: decoded events (``LoggedEvent``) in log order.

On PostgreSQL one query on the events table through a connection of the projector's own (rows as tuples,
binary: the stream id as text, the state as the stored bytes), which costs a third of the recorder's
``select_notifications`` per event (it builds ``Notification`` objects from dict rows and a ``UUID`` per
row that is then turned back into text). Elsewhere (SQLite) the recorder's own ``select_notifications``.
``Batches`` reads the log in batches, a thread reading ahead while catching up."""

from __future__ import annotations

import gc
import queue
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql

from infra.settings import Settings
from projections.events import LoggedEvent, decode, decode_row

READ_AHEAD_JOIN_SECONDS = 30.0


class LogReader:
    """The log of one events table: on PostgreSQL ``schema.table`` read directly, else through ``recorder``."""

    def __init__(self, settings: Settings, *, schema: str | None = None, table: str | None = None,
                 recorder: Any = None) -> None:
        self.settings, self.recorder = settings, recorder
        self.schema, self.table = schema, table
        self._conn: Any = None
        self._query: Any = None
        if settings.is_postgres and table:
            self._query = sql.SQL(
                "SELECT notification_id, originator_id::text, originator_version, topic, state FROM {}.{} "
                "WHERE notification_id >= %s ORDER BY notification_id LIMIT %s").format(
                    sql.Identifier(schema or "public"), sql.Identifier(table))
        elif recorder is None:
            raise ValueError("a log reader needs a PostgreSQL events table or a recorder")

    @classmethod
    def for_ledger(cls, ledger: Any) -> LogReader:
        recorder = ledger.recorder
        schema = getattr(getattr(recorder, "datastore", None), "schema", None)
        return cls(ledger.settings, schema=schema, table=getattr(recorder, "events_table_name", None),
                   recorder=recorder)

    @property
    def direct(self) -> bool:
        """Whether the events table is read directly (PostgreSQL): a worker process can read it too."""
        return self._query is not None

    def head(self) -> int:
        """The last position of the log (0 when empty): the recorder's (pooled connection) when there is one."""
        if self.recorder is not None:
            return self.recorder.max_notification_id() or 0
        query = sql.SQL("SELECT MAX(notification_id) FROM {}.{}").format(
            sql.Identifier(self.schema or "public"), sql.Identifier(self.table or ""))
        return self._connection().execute(query).fetchone()[0] or 0

    def read(self, start: int, limit: int) -> list[LoggedEvent]:
        """The events from position ``start`` on (at most ``limit``), decoded."""
        if self._query is None:
            return [decode(n) for n in self.recorder.select_notifications(start=start, limit=limit)]
        with self._connection().cursor(binary=True) as cur:
            cur.execute(self._query, (start, limit), prepare=True)
            rows = cur.fetchall()
        return [decode_row(*row) for row in rows]

    def _connection(self) -> Any:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.settings.database_url, autocommit=True, connect_timeout=5)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class Batches:
    """The log from ``start`` on, as decoded batches of at most ``size`` events, in order; iteration ends
    at the first empty read. Batches are read when asked; once one is full (a catch-up), a thread
    reads and decodes the following ones (and computes what the read models declare as ``prepared``),
    one ahead of the batch being applied, so that the projector's database waits and the reading
    overlap. Each read starts after the last event read (what ``position() + 1`` is once the previous
    batch committed); events a read model already has are skipped by the projector. The reader is
    closed at the end."""

    def __init__(self, reader: LogReader, start: int, size: int, prepared: Sequence[str] = ()) -> None:
        self.reader, self.start, self.size, self.prepared = reader, start, size, prepared
        self.ready: queue.Queue[Any] = queue.Queue(maxsize=1)
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def read(self) -> list[LoggedEvent]:
        events = self.reader.read(self.start, self.size)
        for name in self.prepared:  # what the read models will ask of every event (e.g. its JSON texts)
            for ev in events:
                getattr(ev, name)
        if events:
            self.start = events[-1].position + 1
        return events

    def __iter__(self) -> Iterator[list[LoggedEvent]]:
        events = self.read()
        while 0 < len(events) < self.size:  # following the head: read on until a read finds nothing
            yield events
            events = self.read()
        if not events:
            return
        self.thread = threading.Thread(target=self._read_ahead, name="projector-read-ahead", daemon=True)
        self.thread.start()
        while True:
            yield events
            events = self.ready.get()
            if isinstance(events, BaseException):
                raise events
            if not events:
                return

    def _read_ahead(self) -> None:
        while not self.stop.is_set():
            try:
                events: Any = self.read()
            except BaseException as error:  # noqa: BLE001 - handed to the iterating thread
                events = error
            while not self.stop.is_set():
                try:
                    self.ready.put(events, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if not events or isinstance(events, BaseException):
                return

    def __enter__(self) -> Batches:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=READ_AHEAD_JOIN_SECONDS)  # a read in flight ends on its own (daemon)
            if self.thread.is_alive():
                return  # its connection goes when the read ends and the reader is collected
        self.reader.close()


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while the log is read, decoded and applied: a batch allocates ~100
    containers per event, all freed by reference counting, and the collector's passes over them cost a
    third of decoding. Nested and concurrent pauses (several projectors) count; the last one restores it."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()
