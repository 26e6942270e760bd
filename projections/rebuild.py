"""``svledger rebuild``: build a read model into fresh tables from the whole log while the old ones keep
serving, then swap them in atomically together with the projection's tracking position."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from projections.base import Projection
from projections.registry import BY_NAME
from projections.runner import Projector

PREFIX = "rb_"


def rebuild(ledger: Any, name: str, progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild one read model by name; returns the position it was rebuilt to."""
    if name not in BY_NAME:
        from domain.errors import NotFound

        raise NotFound(f"no read model {name!r}; known: {', '.join(sorted(BY_NAME))}")
    fresh = BY_NAME[name](PREFIX)
    projector = Projector(ledger, [fresh])
    _drop(projector, fresh)  # leftovers of an interrupted rebuild
    projector.create_tables()
    projector.run_once(progress)
    return _swap(projector, fresh)


def _drop(projector: Projector, projection: Projection) -> None:
    with projector.db.transaction() as tx:
        for table in projection.tables:
            tx.execute(f"DROP TABLE IF EXISTS {projection.prefix}{table}")
        tx.execute("DELETE FROM projection_tracking WHERE name = ?", (projector.tracking_name(projection),))


def _swap(projector: Projector, fresh: Projection) -> int:
    live = BY_NAME[fresh.name]("")
    with projector.db.transaction() as tx:
        # catch up the last events inside the swap transaction: nothing can slip in between
        position = projector.positions(tx)[projector.tracking_name(fresh)]
        tail = projector.ledger.recorder.select_notifications(start=position + 1, limit=1_000_000)
        if tail:
            from projections.events import decode

            events = [decode(n) for n in tail]
            fresh.apply_batch(tx, events)
            position = events[-1].position
        tx.execute("SELECT position FROM projection_tracking WHERE name = ?" +
                   (" FOR UPDATE" if projector.db.is_postgres else ""), (live.name,))
        for table in fresh.tables:
            tx.execute(f"DROP TABLE IF EXISTS {table}")
        for table in fresh.tables:
            tx.execute(f"ALTER TABLE {PREFIX}{table} RENAME TO {table}")
        _rename_indexes(tx, projector, fresh)
        tx.execute("DELETE FROM projection_tracking WHERE name = ?", (projector.tracking_name(fresh),))
        tx.execute("INSERT INTO projection_tracking (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE "
                   "SET position = excluded.position", (live.name, position))
    return position


def _rename_indexes(tx: Any, projector: Projector, fresh: Projection) -> None:
    """Index names carry the prefix too; give them their live names (so a later rebuild can reuse them)."""
    if projector.db.is_postgres:
        for table in fresh.tables:
            for (constraint,) in tx.execute("SELECT conname FROM pg_constraint WHERE conrelid = ?::regclass "
                                            "AND conname LIKE ?", (table, PREFIX + "%")):
                tx.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {constraint} TO {constraint[len(PREFIX):]}")
    for statement in fresh.ddl:
        if "INDEX" not in statement:
            continue
        name = statement.split("EXISTS ")[1].split(" ")[0].format(t=PREFIX)
        live_name = name[len(PREFIX):]
        if projector.db.is_postgres:
            tx.execute(f"ALTER INDEX IF EXISTS {name} RENAME TO {live_name}")
        else:  # SQLite cannot rename an index: recreate it under its live name
            tx.execute(f"DROP INDEX IF EXISTS {name}")
            tx.execute(statement.format(t=""))
