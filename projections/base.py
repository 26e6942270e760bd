"""What a read model is: its tables (DDL with a ``{t}`` table-name prefix for rebuilds) and one
handler per event type it reads. Handlers write through the batch transaction; never commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from projections.db import Tx
from projections.events import LoggedEvent

Handler = Callable[[Any, Tx, LoggedEvent], None]


class Projection:
    name: ClassVar[str]
    tables: ClassVar[tuple[str, ...]]  # table names (without prefix)
    ddl: ClassVar[tuple[str, ...]]  # CREATE statements using {t} before each table name

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.handlers: dict[str, Handler] = {}
        for attr in dir(type(self)):
            if attr.startswith("on_"):
                self.handlers[attr[3:]] = getattr(type(self), attr)

    def t(self, table: str) -> str:
        return f"{self.prefix}{table}"

    def create(self, tx: Tx) -> None:
        for statement in self.ddl:
            tx.execute(statement.format(t=self.prefix))

    def apply(self, tx: Tx, event: LoggedEvent) -> None:
        handler = self.handlers.get(event.event_type)
        if handler is not None:
            handler(self, tx, event)
        generic = self.handlers.get("any")
        if generic is not None:
            generic(self, tx, event)

    def begin_batch(self, tx: Tx) -> None:
        """Called before a batch (projections may cache per batch)."""

    def end_batch(self, tx: Tx) -> None:
        """Called before the batch commits (flush buffered rows)."""
