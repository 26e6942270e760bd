"""A thin connection to the read-model database (the same database as the events).

SQL is written with ``?`` placeholders; on PostgreSQL they become ``%s`` (converted once per statement
text, then cached). One transaction per batch, one cursor per transaction. Besides single statements a
transaction writes whole tables at once: ``insert_rows`` (COPY on PostgreSQL, ``executemany`` on SQLite),
``update_rows`` (one pipelined ``executemany``) and reads many keys with ``select_keys`` (one
``= ANY(?)`` query on PostgreSQL, ``IN (…)`` chunks on SQLite)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import psycopg

from infra.settings import Settings

SQLITE_IN_CHUNK = 500  # host parameters per ``IN (…)`` on SQLite (well under its limit)
# the Python types (None anywhere) of the columns binary COPY writes
BINARY_PYTHON_TYPES = {"int8": {int, type(None)}, "int4": {int, type(None)}, "int2": {int, type(None)},
                       "text": {str, type(None)}}
KEY_SEPARATOR = "\x1f"  # joins the keys select_keys sends as one text (a key holding it goes as an array)
COPY_FROM_ROWS = 64  # fewer new rows go in one pipelined executemany (one round trip; COPY takes two)
COPY_UPDATE_ROWS = 128  # from this many changed rows, COPY + one UPDATE … FROM (fewer: one pipelined executemany)


@lru_cache(maxsize=4096)
def pg_sql(statement: str) -> str:
    """``?`` → ``%s`` (and a literal ``%`` → ``%%``), once per distinct statement text."""
    return statement.replace("%", "%%").replace("?", "%s")


class ReadDb:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.is_postgres = settings.is_postgres
        self._conn: Any = None
        self._types: dict[str, dict[str, str]] = {}  # PostgreSQL: table -> column -> type name

    def column_types(self, tx: Tx, table: str) -> dict[str, str]:
        """A PostgreSQL table's column types (``int8``, ``int4``, ``text``…), read once per table name."""
        found = self._types.get(table)
        if found is None:
            found = dict(tx.execute("SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t "
                                    "ON t.oid = a.atttypid WHERE a.attrelid = ?::regclass AND a.attnum > 0 "
                                    "AND NOT a.attisdropped", (table,)))
            if found:
                self._types[table] = found
        return found

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
        return pg_sql(statement) if self.is_postgres else statement

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        conn = self.connect()
        if self.is_postgres:
            with conn.transaction():
                tx = Tx(self, conn)
                try:
                    yield tx
                finally:
                    tx.close()
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
                cur.execute(pg_sql(statement), params)
                return cur.fetchall() if cur.description else []
        return conn.execute(statement, params).fetchall()

    def dicts(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        conn = self.connect()
        if self.is_postgres:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(pg_sql(statement), params)
                names = [d.name for d in cur.description]
                return [dict(zip(names, row)) for row in cur.fetchall()]
        cur = conn.execute(statement, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]


class Tx:
    """The open transaction of one batch."""

    def __init__(self, db: ReadDb, conn: Any) -> None:
        self.db, self.conn = db, conn
        self.is_postgres = db.is_postgres
        self._cur: Any = None

    @property
    def cursor(self) -> Any:
        if self._cur is None:
            self._cur = self.conn.cursor()
        return self._cur

    def close(self) -> None:
        if self._cur is not None and self.is_postgres:
            self._cur.close()
        self._cur = None

    def execute(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self.is_postgres:
            cur = self.cursor
            cur.execute(pg_sql(statement), params)
            return cur.fetchall() if cur.description else []
        return self.conn.execute(statement, params).fetchall()

    def executemany(self, statement: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = rows if isinstance(rows, list) else list(rows)
        if not rows:
            return
        if self.is_postgres:
            self.cursor.executemany(pg_sql(statement), rows)  # pipelined by psycopg: one round trip
        else:
            self.conn.executemany(statement, rows)

    def insert_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Plain INSERT of many rows (a duplicate key fails the batch, as a single INSERT would). On PostgreSQL
        by COPY: binary when every value has its column's Python type (int for integers, str for text; None
        anywhere), else text, which converts any value as an INSERT parameter would be."""
        rows = rows if isinstance(rows, list) else list(rows)
        if not rows:
            return
        if not self.is_postgres or len(rows) < COPY_FROM_ROWS:
            self.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
                             rows)
            return
        types = self._binary_types(table, columns, rows)
        with self.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                              + (" (FORMAT BINARY)" if types else "")) as copy:
            if types:
                copy.set_types(types)
            write = copy.write_row
            for row in rows:
                write(row)

    def _binary_types(self, table: str, columns: Sequence[str], rows: list[Sequence[Any]]) -> list[str] | None:
        known = self.db.column_types(self, table)
        types = [known.get(c) for c in columns]
        if not all(t in BINARY_PYTHON_TYPES for t in types):
            return None
        for column, kind in zip(zip(*rows), types):
            if not set(map(type, column)) <= BINARY_PYTHON_TYPES[kind]:  # type: ignore[index]
                return None
        return types  # type: ignore[return-value]

    def update_rows(self, table: str, key: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """``UPDATE table SET columns… WHERE key = ?`` for each row: ``(*values of columns, key value)``. Many rows on
        PostgreSQL: COPY into a temporary table (emptied at commit), then one ``UPDATE … FROM`` it."""
        rows = rows if isinstance(rows, list) else list(rows)
        if not rows:
            return
        if not self.is_postgres or len(rows) < COPY_UPDATE_ROWS:
            sets = ", ".join(f"{c} = ?" for c in columns)
            self.executemany(f"UPDATE {table} SET {sets} WHERE {key} = ?", rows)
            return
        changes = f"pg_temp.{table}_changes"
        self.execute(f"CREATE TEMP TABLE IF NOT EXISTS {changes} (LIKE {table}) ON COMMIT DELETE ROWS")
        self.insert_rows(changes, (*columns, key), rows)
        sets = ", ".join(f"{c} = c.{c}" for c in columns)
        self.execute(f"UPDATE {table} AS t SET {sets} FROM {changes} AS c WHERE t.{key} = c.{key}")

    def select_keys(self, table: str, key: str, columns: Sequence[str], keys: Iterable[Any]) -> list[tuple[Any, ...]]:
        """The rows of ``table`` whose ``key`` (its primary key) is one of ``keys``, ``columns`` in that order: on
        PostgreSQL one query, an index lookup per key (the keys sent as one delimited text: dumping a
        list as an array parameter costs ~5 µs a key); on SQLite ``IN (…)`` in chunks."""
        keys = list(keys)
        if not keys:
            return []
        cols = ", ".join(columns)
        if self.is_postgres:
            joined = KEY_SEPARATOR.join(keys) if all(type(k) is str and k for k in keys) else None
            if joined is None or joined.count(KEY_SEPARATOR) != len(keys) - 1:  # a key holds the separator
                return self.execute(f"SELECT {cols} FROM {table} WHERE {key} = ANY(?)", (keys,))
            return self.execute(f"SELECT r.* FROM unnest(string_to_array(?, ?)) AS k(key) CROSS JOIN LATERAL "
                                f"(SELECT {cols} FROM {table} t WHERE t.{key} = k.key OFFSET 0) AS r",
                                (joined, KEY_SEPARATOR))
        found: list[tuple[Any, ...]] = []
        for i in range(0, len(keys), SQLITE_IN_CHUNK):
            chunk = keys[i:i + SQLITE_IN_CHUNK]
            found += self.conn.execute(f"SELECT {cols} FROM {table} WHERE {key} IN "
                                       f"({', '.join('?' for _ in chunk)})", chunk).fetchall()
        return found
