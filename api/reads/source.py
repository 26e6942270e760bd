"""Where the async resolvers read: read-model rows, the stored events of streams and the ordered log.

``PgSource`` (PostgreSQL): an ``AsyncConnectionPool`` on the event loop, autocommit, one round trip
per statement, several statements in one round trip (``batch``, pipeline mode); nothing goes through a
worker thread. ``ThreadSource`` (SQLite, whose driver has no async API): the synchronous ``ReadPool``
and the ledger's recorder in a worker thread, as before. SQL is written once, with ``?`` placeholders.

Both give the same rows: ``stored`` returns what the event store's ``select_events`` returns (the
rows the repository replays), ``notifications`` what ``Ledger.notifications`` returns, decoded.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import lru_cache
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from starlette.concurrency import run_in_threadpool

from api.readpool import ReadPool
from domain import errors
from projections.events import LoggedEvent, decode

log = logging.getLogger("svledger.api.reads")
Statement = tuple[str, Sequence[Any]]


class ReadSource(ABC):
    """Read-model rows and stored events for the resolvers (``await``-able on both databases)."""

    async def open(self) -> None:
        """Connect (in the application's lifespan, on its event loop)."""

    async def close(self) -> None:
        """Disconnect at shutdown."""

    @abstractmethod
    async def dicts(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The rows of one read-model query (``?`` placeholders) as dicts."""

    @abstractmethod
    async def batch(self, statements: Sequence[Statement]) -> list[list[dict[str, Any]]]:
        """The rows of several queries, in order (one round trip on PostgreSQL)."""

    @abstractmethod
    async def stored(self, stream_ids: Sequence[UUID], lte: int | None = None,
                     gt: int | None = None) -> list[StoredEvent]:
        """The stored events of these streams (versions above ``gt``, up to ``lte``), per stream in
        version order."""

    @abstractmethod
    async def notifications(self, after: int, limit: int) -> list[LoggedEvent]:
        """The ordered log after position ``after`` (at most ``limit`` events), decoded."""


@lru_cache(maxsize=1024)
def pg_sql(statement: str) -> str:
    """``?`` placeholders as psycopg's ``%s`` (a literal ``%`` doubled), once per statement text."""
    return statement.replace("%", "%%").replace("?", "%s")


class _Notification:
    __slots__ = ("id", "originator_id", "originator_version", "topic", "state")

    def __init__(self, row: dict[str, Any]) -> None:
        self.id, self.originator_id = row["notification_id"], row["originator_id"]
        self.originator_version, self.topic, self.state = row["originator_version"], row["topic"], row["state"]


class PgSource(ReadSource):
    def __init__(self, url: str, events_table: tuple[str, str], size: int = 8) -> None:
        self.url, self.size, self.pool = url, size, None
        schema, table = events_table
        self._table = f'"{schema}"."{table}"' if schema else f'"{table}"'

    async def open(self) -> None:
        from psycopg.rows import dict_row
        from psycopg_pool import AsyncConnectionPool

        self.pool = AsyncConnectionPool(self.url, min_size=min(2, self.size), max_size=self.size, open=False,
                                        timeout=10.0, kwargs={"autocommit": True, "row_factory": dict_row},
                                        name="svledger-reads")
        await self.pool.open(wait=True, timeout=10.0)

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()

    async def dicts(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return (await self.batch([(statement, params)]))[0]

    async def batch(self, statements: Sequence[Statement]) -> list[list[dict[str, Any]]]:
        import psycopg

        if self.pool is None:
            raise errors.StoreUnavailable("the read pool is not open")
        try:
            async with self.pool.connection() as conn:
                if len(statements) == 1:
                    cur = await conn.execute(pg_sql(statements[0][0]), statements[0][1])
                    return [await cur.fetchall()]
                async with conn.pipeline():
                    cursors = [await conn.execute(pg_sql(sql), params) for sql, params in statements]
                return [await cur.fetchall() for cur in cursors]
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            log.warning("read failed: %s", exc)
            raise errors.StoreUnavailable("the read models cannot be reached") from None

    async def stored(self, stream_ids: Sequence[UUID], lte: int | None = None,
                     gt: int | None = None) -> list[StoredEvent]:
        sql = (f"SELECT originator_id, originator_version, topic, state FROM {self._table} "
               "WHERE originator_id = ANY(?)")
        params: list[Any] = [list(stream_ids)]
        for bound, value in ((" AND originator_version <= ?", lte), (" AND originator_version > ?", gt)):
            if value is not None:
                sql += bound
                params.append(value)
        rows = await self.dicts(sql + " ORDER BY originator_id, originator_version", params)
        return [StoredEvent(originator_id=r["originator_id"], originator_version=r["originator_version"],
                            topic=r["topic"], state=bytes(r["state"])) for r in rows]

    async def notifications(self, after: int, limit: int) -> list[LoggedEvent]:
        rows = await self.dicts(f"SELECT notification_id, originator_id, originator_version, topic, state FROM "
                                f"{self._table} WHERE notification_id > ? ORDER BY notification_id LIMIT ?",
                                [after, limit])
        return [decode(_Notification(r)) for r in rows]


class ThreadSource(ReadSource):
    """The synchronous pool and recorder, one worker-thread hop per call."""

    def __init__(self, pool: ReadPool, ledger: Any) -> None:
        self.pool, self.ledger = pool, ledger

    async def dicts(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return await run_in_threadpool(self.pool.dicts, statement, params)

    async def batch(self, statements: Sequence[Statement]) -> list[list[dict[str, Any]]]:
        return await run_in_threadpool(lambda: [self.pool.dicts(sql, params) for sql, params in statements])

    async def stored(self, stream_ids: Sequence[UUID], lte: int | None = None,
                     gt: int | None = None) -> list[StoredEvent]:
        select = self.ledger.recorder.select_events
        return await run_in_threadpool(lambda: [s for i in stream_ids for s in select(i, lte=lte, gt=gt)])

    async def notifications(self, after: int, limit: int) -> list[LoggedEvent]:
        return await run_in_threadpool(lambda: [decode(n) for n in self.ledger.notifications(after, limit)])


def read_source(settings: Any, pool: ReadPool, ledger: Any, size: int) -> ReadSource:
    if settings.is_postgres:
        recorder = ledger.recorder
        return PgSource(settings.database_url, (recorder.datastore.schema, recorder.events_table_name), size)
    return ThreadSource(pool, ledger)
