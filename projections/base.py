"""What a read model is: its tables (DDL with a ``{t}`` table-name prefix for rebuilds) and one
handler per event type it reads. Handlers write through the batch transaction; never commit.

A batch is applied as a whole (``apply_batch``): ``begin_batch``, ``prefetch`` (read every row the batch
will need, one query per table), the handlers in log order, then ``end_batch`` (write each table once).
Handlers change rows in memory (``Rows``); the tracking position is written by the runner in the same
transaction, after ``end_batch``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any, ClassVar

from projections.db import Tx
from projections.events import LoggedEvent

Handler = Callable[[Any, Tx, LoggedEvent], None]


class Projection:
    name: ClassVar[str]
    tables: ClassVar[tuple[str, ...]]  # table names (without prefix)
    ddl: ClassVar[tuple[str, ...]]  # CREATE statements using {t} before each table name
    prepared: ClassVar[tuple[str, ...]] = ()  # LoggedEvent cached properties computed when the log is read

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.handlers: dict[str, Handler] = {}
        for attr in dir(type(self)):
            if attr.startswith("on_"):
                self.handlers[attr[3:]] = getattr(type(self), attr)
        self._chains: dict[str, tuple[Handler, ...]] = {}

    def t(self, table: str) -> str:
        return f"{self.prefix}{table}"

    def create(self, tx: Tx) -> None:
        for statement in self.ddl:
            tx.execute(statement.format(t=self.prefix))

    def chain(self, event_type: str) -> tuple[Handler, ...]:
        """The handlers an event type runs, in order: its own, then ``on_any``."""
        found = self._chains.get(event_type)
        if found is None:
            found = tuple(h for h in (self.handlers.get(event_type), self.handlers.get("any")) if h is not None)
            self._chains[event_type] = found
        return found

    def apply(self, tx: Tx, event: LoggedEvent) -> None:
        for handler in self.chain(event.event_type):
            handler(self, tx, event)

    def apply_batch(self, tx: Tx, events: Sequence[LoggedEvent]) -> None:
        """Apply events (in log order) as one batch: prefetch, handlers, one write per table."""
        self.begin_batch(tx)
        self.prefetch(tx, events)
        chains, chain = self._chains, self.chain
        for ev in events:
            handlers = chains.get(ev.event_type)
            if handlers is None:
                handlers = chain(ev.event_type)
            for handler in handlers:
                handler(self, tx, ev)
        self.end_batch(tx)

    def begin_batch(self, tx: Tx) -> None:
        """Called before a batch (projections keep the batch's rows in memory)."""

    def prefetch(self, tx: Tx, events: Sequence[LoggedEvent]) -> None:
        """Called after ``begin_batch`` with the whole batch: load the rows its events will read."""

    def end_batch(self, tx: Tx) -> None:
        """Called before the batch commits (flush buffered rows)."""


class Rows:
    """The rows of one table that a batch reads or writes, by primary key: loaded once per batch
    (``load``: one query for all keys), changed in place in memory, written once (``flush``): rows that
    were not in the table are inserted, loaded rows whose values changed are updated."""

    def __init__(self, table: str, columns: Sequence[str], key: str | None = None) -> None:
        self.table, self.columns = table, tuple(columns)
        self.key = key or self.columns[0]
        self.rows: dict[Any, dict[str, Any]] = {}
        self.stored: dict[Any, tuple[Any, ...]] = {}  # key -> values as read from the table
        self.missing: set[Any] = set()  # keys looked up and not in the table

    def load(self, tx: Tx, keys: Iterable[Any]) -> None:
        wanted = {k for k in keys if k is not None} - self.rows.keys() - self.missing
        if not wanted:
            return
        columns, key = self.columns, self.key
        for values in tx.select_keys(self.table, key, columns, wanted):
            row = dict(zip(columns, values))
            self.rows[row[key]] = row
            self.stored[row[key]] = tuple(values)
        self.missing |= wanted - self.rows.keys()

    def get(self, key: Any) -> dict[str, Any] | None:
        return self.rows.get(key)

    def __contains__(self, key: Any) -> bool:
        return key in self.rows

    def add(self, row: dict[str, Any]) -> dict[str, Any]:
        """A row for this key (replacing any in memory: written over the stored one at ``flush``)."""
        self.rows[row[self.key]] = row
        return row

    def insert_now(self, tx: Tx, row: dict[str, Any]) -> None:
        """A plain INSERT of a key already known (stored, or added in this batch): executed at once, so that
        the table's own key check fails the batch exactly as a single INSERT did."""
        tx.execute(f"INSERT INTO {self.table} ({', '.join(self.columns)}) VALUES "
                   f"({', '.join('?' for _ in self.columns)})", [row[c] for c in self.columns])

    def flush(self, tx: Tx, dump: Callable[[dict[str, Any]], tuple[Any, ...]] | None = None) -> None:
        columns, stored = self.columns, self.stored
        new: list[tuple[Any, ...]] = []
        changed: list[tuple[Any, ...]] = []
        key_at = columns.index(self.key)
        dump = dump or (itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],))
        for key, row in self.rows.items():
            values = dump(row)
            old = stored.get(key)
            if old is None:
                new.append(values)
            elif values != old:
                changed.append((*values[:key_at], *values[key_at + 1:], key))
        tx.insert_rows(self.table, columns, new)
        tx.update_rows(self.table, self.key, columns[:key_at] + columns[key_at + 1:], changed)
        self.rows, self.stored, self.missing = {}, {}, set()
