"""A thin connection to the read-model database (the same database as the events).

SQL is written with ``?`` placeholders; on PostgreSQL they become ``%s``. One transaction per batch.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

from infra.settings import Settings


class ReadDb:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.is_postgres = settings.is_postgres
        self._conn: Any = None

    def connect(self) -> Any:
        if self._conn is None or getattr(self._conn, "closed", False):
            if self.is_postgres:
                self._conn = psycopg.connect(self.settings.database_url, connect_timeout=5)
            else:
                self._conn = sqlite3.connect(self.settings.sqlite_path, timeout=30, isolation_level=None,
                                             check_same_thread=False)
                self._conn.execute("PRAGMA journal_mode=WAL")
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def sql(self, statement: str) -> str:
        return statement.replace("%", "%%").replace("?", "%s") if self.is_postgres else statement

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        conn = self.connect()
        if self.is_postgres:
            with conn.transaction():
                yield Tx(self, conn)
        else:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(self, conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        conn = self.connect()
        if self.is_postgres:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(self.sql(statement), params)
                return cur.fetchall() if cur.description else []
        return conn.execute(statement, params).fetchall()

    def dicts(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        conn = self.connect()
        if self.is_postgres:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(self.sql(statement), params)
                names = [d.name for d in cur.description]
                return [dict(zip(names, row)) for row in cur.fetchall()]
        cur = conn.execute(statement, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]


class Tx:
    """The open transaction of one batch."""

    def __init__(self, db: ReadDb, conn: Any) -> None:
        self.db, self.conn = db, conn

    def execute(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self.db.is_postgres:
            with self.conn.cursor() as cur:
                cur.execute(self.db.sql(statement), params)
                return cur.fetchall() if cur.description else []
        return self.conn.execute(statement, params).fetchall()

    def executemany(self, statement: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if not rows:
            return
        if self.db.is_postgres:
            with self.conn.cursor() as cur:
                cur.executemany(self.db.sql(statement), rows)
        else:
            self.conn.executemany(statement, rows)
