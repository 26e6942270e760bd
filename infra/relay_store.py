"""The relay's own tables, in the ledger's database (never the event tables):

- ``relay_tracking``: per feed (``partner:<code>``, ``checkpoints``) the last log position whose
  messages the broker **confirmed**; written only after ``producer.flush()`` succeeded;
- ``relay_shares``: per partner and clue, whether the share is active and the last ``partnerseq``;
- ``relay_sent``: which event went to which partner with which ``partnerseq`` (corrections of
  published events follow them; diagnostics).

All three are written in one transaction per batch, so after a crash the relay resumes from a state
matching its position and recomputes exactly the same messages (byte-identical re-sends).

On PostgreSQL that transaction commits asynchronously (``synchronous_commit = off``: no wait for its WAL
flush, which took 10–30 ms a batch on a busy disk). A crash of the *database* can then lose the last
relay-state commits (at most ~3 × ``wal_writer_delay``, 0.6 s by default), never part of one: the relay
resumes from an earlier, consistent state and re-sends the batches after it, byte-identical, which
consumers already dedupe on ``id``. Nothing is skipped: the events themselves are committed
synchronously before the relay can read them, and the relay state never gets ahead of the broker.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, NamedTuple

import psycopg

from infra.partner_feed import Stored
from infra.settings import Settings
from projections.db import ReadDb, pg_sql

CHECKPOINTS = "checkpoints"
DDL = (
    "CREATE TABLE IF NOT EXISTS relay_tracking (name TEXT PRIMARY KEY, position BIGINT NOT NULL, "
    "updated_us BIGINT NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS relay_shares (partner TEXT NOT NULL, clue_id TEXT NOT NULL, active INTEGER NOT NULL, "
    "seq BIGINT NOT NULL, PRIMARY KEY (partner, clue_id))",
    "CREATE TABLE IF NOT EXISTS relay_sent (partner TEXT NOT NULL, event_id TEXT NOT NULL, clue_id TEXT NOT NULL, "
    "seq BIGINT NOT NULL, position BIGINT NOT NULL, event_type TEXT NOT NULL, PRIMARY KEY (partner, event_id))",
)


# the relay state's writes: (table and columns, the values from unnest's columns c0, c1 … or parameters, ON CONFLICT)
SHARES_UPSERT = ("relay_shares (partner, clue_id, active, seq)", "c0, c1, c2::integer, c3::bigint",
                 "ON CONFLICT (partner, clue_id) DO UPDATE SET active = excluded.active, seq = excluded.seq")
SENT_INSERT = ("relay_sent (partner, event_id, clue_id, seq, position, event_type)",
               "c0, c1, c2, c3::bigint, c4::bigint, c5", "ON CONFLICT (partner, event_id) DO NOTHING")
TRACKING_UPSERT = ("relay_tracking (name, position, updated_us)", "c0, ?::bigint, ?::bigint",
                   "ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_us = excluded.updated_us "
                   "WHERE relay_tracking.position < excluded.position")
DELIMITER = "\x1f"


def texts(rows: list[tuple[Any, ...]]) -> list[str] | None:
    """Each column of ``rows`` as one text, values joined by ``DELIMITER`` (ints written in decimal); None if a
    value is not a non-empty str or an int, or holds the delimiter (the caller then sends rows one by one).
    Dumping a list as an array parameter costs microseconds a value; one text per column costs nothing."""
    columns = []
    for column in zip(*rows):
        kinds = set(map(type, column))
        if kinds == {int}:
            columns.append(DELIMITER.join(map(str, column)))
            continue
        if kinds != {str} or not all(column):
            return None
        joined = DELIMITER.join(column)
        if joined.count(DELIMITER) != len(column) - 1:
            return None
        columns.append(joined)
    return columns


def _arrays(n: int) -> str:
    return ", ".join("string_to_array(?, ?)" for _ in range(n))


def _params(columns: list[str]) -> list[str]:
    return [x for column in columns for x in (column, DELIMITER)]


def partner_feed_name(partner: str) -> str:
    return f"partner:{partner}"


@dataclass
class Share:
    active: bool
    seq: int


class Sent(NamedTuple):
    partner: str
    event_id: str
    clue_id: str
    seq: int
    position: int
    event_type: str


@dataclass(frozen=True)
class FeedLag:
    name: str
    position: int
    head: int
    events_behind: int
    seconds_behind: float


class RelayStore:
    def __init__(self, settings: Settings) -> None:
        self.db = ReadDb(settings)
        self._writer: Any = None  # PostgreSQL: the autocommit connection of ``commit`` (asynchronous commit)
        with self.db.transaction() as tx:
            for statement in DDL:
                tx.execute(statement)

    def close(self) -> None:
        self.db.close()
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    # -- reading ----------------------------------------------------------------------------------------
    def positions(self) -> dict[str, int]:
        return {name: int(pos) for name, pos in self.db.query("SELECT name, position FROM relay_tracking")}

    def shares(self) -> dict[tuple[str, str], Share]:
        rows = self.db.query("SELECT partner, clue_id, active, seq FROM relay_shares")
        return {(p, c): Share(bool(a), int(s)) for p, c, a, s in rows}

    def event_hashes(self, keys: Iterable[tuple[str, int]], chunk: int = 400) -> dict[tuple[str, int], str]:
        """The recorded hash of each ``(stream_id, version)`` that has one (the ledger's ``event_hashes`` table,
        in this same database): what ``recorder.event_hash_of`` answers. PostgreSQL: one query, the keys sent as
        two delimited texts (``texts``); SQLite (or a key holding the delimiter): one query per ``chunk``."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        found: dict[tuple[str, int], str] = {}
        columns = texts(wanted) if self.db.is_postgres else None
        if columns is not None:
            rows = self.db.query(f"SELECT h.stream_id, h.version, h.event_hash FROM unnest({_arrays(2)}) AS w(sid, v) "
                                 "JOIN event_hashes h ON h.stream_id = w.sid AND h.version = w.v::bigint",
                                 _params(columns))
            return {(sid, int(version)): digest for sid, version, digest in rows}
        for i in range(0, len(wanted), chunk):
            part = wanted[i:i + chunk]
            values = ", ".join("(?, ?)" for _ in part)
            rows = self.db.query(f"SELECT h.stream_id, h.version, h.event_hash FROM event_hashes h "
                                 f"JOIN (VALUES {values}) AS w "
                                 f"ON h.stream_id = w.column1 AND h.version = w.column2",
                                 [x for key in part for x in key])
            found.update({(sid, int(version)): digest for sid, version, digest in rows})
        return found

    def sent(self, partner: str, event_id: str) -> Sent | None:
        rows = self.db.query("SELECT partner, event_id, clue_id, seq, position, event_type FROM relay_sent "
                             "WHERE partner = ? AND event_id = ?", (partner, event_id))
        return Sent(*rows[0][:3], int(rows[0][3]), int(rows[0][4]), rows[0][5]) if rows else None

    # -- writing (one transaction per confirmed batch) ---------------------------------------------------------
    def commit(self, position: int, names: Iterable[str], shares: dict[tuple[str, str], Share],
               sent: Iterable[Sent]) -> None:
        now = int(datetime.now(timezone.utc).timestamp() * 1_000_000)
        share_rows = [(partner, clue, int(share.active), share.seq) for (partner, clue), share in shares.items()]
        sent_rows = [(s.partner, s.event_id, s.clue_id, s.seq, s.position, s.event_type) for s in sent]
        name_rows = [(name,) for name in names]
        if self.db.is_postgres and self._commit_at_once(
                ((SHARES_UPSERT, share_rows, ()), (SENT_INSERT, sent_rows, ()), (TRACKING_UPSERT, name_rows, (position, now)))):
            return
        with self.db.transaction() as tx:
            if self.db.is_postgres:  # see the module docstring: a database crash may only cause re-sends
                tx.execute("SET LOCAL synchronous_commit = off")
            if share_rows:
                self._write(tx, SHARES_UPSERT, share_rows)
            if sent_rows:
                self._write(tx, SENT_INSERT, sent_rows)
            if name_rows:
                self._write(tx, TRACKING_UPSERT, name_rows, (position, now))

    def _commit_at_once(self, writes: tuple[tuple[tuple[str, str, str], list[tuple[Any, ...]], tuple[Any, ...]], ...]
                        ) -> bool:
        """PostgreSQL: the three writes as one statement (data-modifying WITH clauses run to completion, all
        or nothing) on an autocommit connection with asynchronous commit: one round trip a batch. False (nothing
        written) if a value does not fit ``texts``: the caller then writes row by row."""
        parts, params = [], []
        for (into, select, conflict), rows, extra in writes:
            if not rows:
                continue
            columns = texts(rows)
            if columns is None:
                return False
            parts.append(f"INSERT INTO {into} SELECT {select} FROM unnest({_arrays(len(columns))}) "
                         f"AS u({', '.join(f'c{i}' for i in range(len(columns)))}) {conflict}")
            params += [*extra, *_params(columns)]
        if not parts:
            return True
        *first, last = parts
        statement = ("WITH " + ", ".join(f"w{i} AS ({part})" for i, part in enumerate(first)) + " " if first else "") + last
        conn = self._writer
        if conn is None or conn.closed or conn.broken:
            conn = self._writer = psycopg.connect(self.db.settings.database_url, autocommit=True, connect_timeout=5)
            conn.execute("SET synchronous_commit = off")
        conn.execute(pg_sql(statement), params)
        return True

    def _write(self, tx: Any, statement: tuple[str, str, str], rows: list[tuple[Any, ...]],
               extra: tuple[Any, ...] = ()) -> None:
        """``statement`` = (table and columns, their values from ``unnest`` aliased ``u``, ON CONFLICT clause).
        PostgreSQL: every row in one statement (each column one delimited text, ``texts``); else (or when a
        value holds the delimiter) one pipelined or ``executemany`` row each."""
        into, select, conflict = statement
        columns = texts(rows) if self.db.is_postgres else None
        if columns is not None:
            tx.execute(f"INSERT INTO {into} SELECT {select} FROM unnest({_arrays(len(columns))}) "
                       f"AS u({', '.join(f'c{i}' for i in range(len(columns)))}) {conflict}",
                       (*extra, *_params(columns)))
            return
        width = len(rows[0]) + len(extra)
        tx.executemany(f"INSERT INTO {into} VALUES ({', '.join('?' for _ in range(width))}) {conflict}",
                       [(*row, *extra) for row in rows])

    def reset(self, partner: str | None = None) -> None:
        """Replay from the start of the log: one partner's feed, or every feed (re-sends are identical)."""
        with self.db.transaction() as tx:
            if partner is None:
                for table in ("relay_tracking", "relay_shares", "relay_sent"):
                    tx.execute(f"DELETE FROM {table}")
                return
            tx.execute("DELETE FROM relay_shares WHERE partner = ?", (partner,))
            tx.execute("DELETE FROM relay_sent WHERE partner = ?", (partner,))
            tx.execute("INSERT INTO relay_tracking (name, position, updated_us) VALUES (?, 0, 0) "
                       "ON CONFLICT (name) DO UPDATE SET position = 0", (partner_feed_name(partner),))


def relay_lag(ledger: Any, store: RelayStore | None = None) -> list[FeedLag]:
    """Per feed: confirmed position, log head, events and seconds behind (for ``status`` and ``/readyz``).
    Before the relay's first confirmed batch the only feed is ``checkpoints`` at position 0."""
    own = store is None
    store = store or RelayStore(ledger.settings)
    try:
        positions = store.positions() or {CHECKPOINTS: 0}
    finally:
        if own:
            store.close()
    head = ledger.recorder.max_notification_id() or 0
    lags = []
    for name, position in sorted(positions.items()):
        seconds = 0.0
        if head > position:
            nxt = ledger.recorder.select_notifications(start=position + 1, limit=1)
            if nxt:
                recorded = Stored.decode(nxt[0]).recorded_at.replace("Z", "+00:00")
                seconds = max(0.0, time.time() - datetime.fromisoformat(recorded).timestamp())
        lags.append(FeedLag(name, position, head, max(head - position, 0), seconds))
    return lags
