"""Event-store recorders: the ``eventsourcing`` SQLite and PostgreSQL application recorders plus
what the ledger needs in the same transaction as the events:

- ``idempotency`` rows (rule 3: a repeated key returns the first result and writes nothing);
- ``claims`` rows making numbers unique (文号 per issuer/type/year, clue/case/batch numbers);
- triggers refusing any UPDATE, DELETE or TRUNCATE of stored events (``HISTORY_IMMUTABLE``).
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteTransaction
from eventsourcing.utils import retry
from psycopg.sql import SQL

from infra import pg_append
from infra.hashing import event_hash, genesis_hash, stream_type_of

IMMUTABLE_MESSAGE = "HISTORY_IMMUTABLE: stored events are never updated or deleted"

TABLES = ("idempotency", "claims", "event_hashes")
CREATE_SIDE_TABLES = [
    "CREATE TABLE IF NOT EXISTS event_hashes (stream_id TEXT NOT NULL, version BIGINT NOT NULL, "
    "prev_hash TEXT NOT NULL, event_hash TEXT NOT NULL, PRIMARY KEY (stream_id, version))",
    "CREATE TABLE IF NOT EXISTS idempotency (stream_type TEXT NOT NULL, key TEXT NOT NULL, "
    "payload_hash TEXT NOT NULL, result TEXT NOT NULL, PRIMARY KEY (stream_type, key))",
    "CREATE TABLE IF NOT EXISTS claims (scope TEXT NOT NULL, value TEXT NOT NULL, stream_id TEXT NOT NULL, "
    "PRIMARY KEY (scope, value))",
]


def sqlite_extra(events: str) -> list[str]:
    """Side tables and the triggers refusing UPDATE and DELETE (SQLite has no TRUNCATE)."""
    return [*CREATE_SIDE_TABLES, *[
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE_MESSAGE}'); END"
        for table in (events, *TABLES) for op in ("UPDATE", "DELETE")]]


def pg_extra(events: str) -> list[str]:
    """Side tables and the triggers refusing UPDATE, DELETE and TRUNCATE."""
    refuse = ("CREATE OR REPLACE FUNCTION svl_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
              f"RAISE EXCEPTION '{IMMUTABLE_MESSAGE}' USING ERRCODE = 'P0001'; END $$")
    return [*CREATE_SIDE_TABLES, refuse, *[
        f"CREATE OR REPLACE TRIGGER {table}_{name} BEFORE {ops} ON {table} FOR EACH {level} "
        "EXECUTE FUNCTION svl_refuse_change()"
        for table in (events, *TABLES)
        for name, ops, level in (("immutable", "UPDATE OR DELETE", "ROW"), ("no_truncate", "TRUNCATE", "STATEMENT"))]]


INSERT_IDEMPOTENCY = "INSERT INTO idempotency (stream_type, key, payload_hash, result) VALUES ({p}, {p}, {p}, {p})"
INSERT_CLAIM = "INSERT INTO claims (scope, value, stream_id) VALUES ({p}, {p}, {p})"
INSERT_HASH = "INSERT INTO event_hashes (stream_id, version, prev_hash, event_hash) VALUES ({p}, {p}, {p}, {p})"
SELECT_PREV = "SELECT event_hash FROM event_hashes WHERE stream_id = {p} AND version = {p}"


def chain(stored_events: Sequence[StoredEvent], previous: Any) -> list[tuple[str, int, str, str]]:
    """Hash rows for ``stored_events``; ``previous(stream_id, version)`` reads an earlier stored hash."""
    last: dict[str, str] = {}
    rows = []
    for s in stored_events:
        sid = str(s.originator_id)
        prev = last.get(sid)
        if prev is None:
            prev = (genesis_hash(stream_type_of(s.topic, s.state), sid) if s.originator_version == 1
                    else previous(sid, s.originator_version - 1) or "")
        digest = event_hash(sid, s.originator_version, s.topic, s.state, prev)
        last[sid] = digest
        rows.append((sid, s.originator_version, prev, digest))
    return rows


def _extra_rows(kwargs: dict[str, Any]) -> list[tuple[str, tuple[str, ...]]]:
    rows = [(INSERT_IDEMPOTENCY, tuple(kwargs["idempotency"]))] if kwargs.get("idempotency") else []
    rows += [(INSERT_CLAIM, tuple(claim)) for claim in kwargs.get("claims", ())]
    return rows


class _Lookups(ABC):
    """Reads of the side tables, in the recorder so each database speaks its own dialect."""

    placeholder = "?"
    position_column = "rowid"

    @abstractmethod
    def _rows(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """Run one read-only statement and return its rows as tuples."""

    def find_idempotency(self, stream_type: str, key: str) -> tuple[str, str] | None:
        p = self.placeholder
        rows = self._rows(f"SELECT payload_hash, result FROM idempotency WHERE stream_type = {p} AND key = {p}",
                          (stream_type, key))
        return (rows[0][0], rows[0][1]) if rows else None

    def claim_owner(self, scope: str, value: str) -> str | None:
        p = self.placeholder
        rows = self._rows(f"SELECT stream_id FROM claims WHERE scope = {p} AND value = {p}", (scope, value))
        return rows[0][0] if rows else None

    def event_hash_of(self, stream_id: str, version: int) -> str | None:
        p = self.placeholder
        rows = self._rows(SELECT_PREV.format(p=p), (stream_id, version))
        return rows[0][0] if rows else None

    def position_of(self, stream_id: str, version: int) -> int | None:
        """The log position of one stored event (to answer a repeated command like the first time)."""
        p, column = self.placeholder, self.position_column
        sid = UUID(stream_id).hex if p == "?" else stream_id
        rows = self._rows(f"SELECT {column} FROM {self.events_table_name} WHERE originator_id = {p} "  # type: ignore[attr-defined]
                          f"AND originator_version = {p}", (sid, version))
        return int(rows[0][0]) if rows else None

    def count_claims(self, scope: str, prefix: str) -> int:
        p = self.placeholder
        rows = self._rows(f"SELECT COUNT(*) FROM claims WHERE scope = {p} AND value LIKE {p}", (scope, prefix + "%"))
        return int(rows[0][0])


class SQLiteLookups(_Lookups):
    def _rows(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
            c.execute(sql, params)
            return [tuple(r) for r in c.fetchall()]


class PostgresLookups(_Lookups):
    placeholder = "%s"
    position_column = "notification_id"

    def _rows(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:  # type: ignore[attr-defined]
            curs.execute(SQL(sql), params)  # type: ignore[arg-type]
            return [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in curs.fetchall()]


class _ImmediateTransaction(SQLiteTransaction):
    """``BEGIN IMMEDIATE``: the write lock is taken first (waiting up to the busy timeout), so a read
    at the start of the transaction can never meet a commit by another process before its writes
    (a deferred ``BEGIN`` then fails at once with "database is locked")."""

    def __enter__(self) -> SQLiteCursor:
        cursor = self.connection.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise OperationalError(str(exc)) from exc
        return cursor


class LedgerSQLiteRecorder(SQLiteLookups, SQLiteApplicationRecorder):
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        with self.datastore.get_connection(commit=True) as conn, _ImmediateTransaction(conn, commit=True) as c, c:
            return self._insert_events(c, stored_events, **kwargs)

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *sqlite_extra(self.events_table_name)]

    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> Sequence[int] | None:
        if kwargs.get("config_check"):
            stream, version = kwargs["config_check"]
            c.execute(f"SELECT MAX(originator_version) FROM {self.events_table_name} WHERE originator_id = ?",
                      (UUID(str(stream)).hex,))
            if (c.fetchone()[0] or 0) != version:
                raise pg_append.ConfigChanged("the Config stream changed")
        for statement, params in _extra_rows(kwargs):
            c.execute(statement.format(p="?"), params)

        def previous(sid: str, version: int) -> str | None:
            c.execute(SELECT_PREV.format(p="?"), (sid, version))
            row = c.fetchone()
            return row[0] if row else None

        for row in chain(stored_events, previous):
            c.execute(INSERT_HASH.format(p="?"), row)
            kwargs.get("hash_sink", []).append(row)
        return super()._insert_events(c, stored_events, **kwargs)


class LedgerPostgresRecorder(PostgresLookups, PostgresApplicationRecorder):
    """Writes through ``svl_append_<table>`` in one round trip (``infra.pg_append``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sql_create_statements.extend(SQL(s) for s in pg_extra(self.events_table_name))  # type: ignore[arg-type]
        self.sql_create_statements.append(pg_append.create_function(self.datastore.schema, self.events_table_name))
        self._append_call: Any = pg_append.call(self.datastore.schema, self.events_table_name)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if not stored_events:
            return []
        params = pg_append.arguments(stored_events, kwargs)
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            if not isinstance(self._append_call, str):  # render the SQL once, not per call
                self._append_call = self._append_call.as_string(conn)
            try:
                curs.execute(self._append_call, params, prepare=True, binary=True)
            except psycopg.Error as exc:
                if exc.sqlstate == pg_append.CONFIG_CHANGED:
                    raise pg_append.ConfigChanged(str(exc)) from None
                raise
            rows = {(r["r_id"], r["r_version"]): r for r in curs.fetchall()}
        ids = []
        for s in stored_events:
            row = rows[(UUID(str(s.originator_id)), s.originator_version)]
            kwargs.get("hash_sink", []).append((str(s.originator_id), s.originator_version, row["r_prev"],
                                                row["r_hash"]))
            ids.append(row["r_position"])
        return ids
