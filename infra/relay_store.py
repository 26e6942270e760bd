"""The relay's own tables, in the ledger's database (never the event tables):

- ``relay_tracking``: per feed (``partner:<code>``, ``checkpoints``) the last log position whose
  messages the broker **confirmed**; written only after ``producer.flush()`` succeeded;
- ``relay_shares``: per partner and clue, whether the share is active and the last ``partnerseq``;
- ``relay_sent``: which event went to which partner with which ``partnerseq`` (corrections of
  published events follow them; diagnostics).

All three are written in one transaction per batch, so after a crash the relay resumes from a state
matching its position and recomputes exactly the same messages (byte-identical re-sends).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from infra.partner_feed import Stored
from infra.settings import Settings
from projections.db import ReadDb

CHECKPOINTS = "checkpoints"
DDL = (
    "CREATE TABLE IF NOT EXISTS relay_tracking (name TEXT PRIMARY KEY, position BIGINT NOT NULL, "
    "updated_us BIGINT NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS relay_shares (partner TEXT NOT NULL, clue_id TEXT NOT NULL, active INTEGER NOT NULL, "
    "seq BIGINT NOT NULL, PRIMARY KEY (partner, clue_id))",
    "CREATE TABLE IF NOT EXISTS relay_sent (partner TEXT NOT NULL, event_id TEXT NOT NULL, clue_id TEXT NOT NULL, "
    "seq BIGINT NOT NULL, position BIGINT NOT NULL, event_type TEXT NOT NULL, PRIMARY KEY (partner, event_id))",
)


def partner_feed_name(partner: str) -> str:
    return f"partner:{partner}"


@dataclass
class Share:
    active: bool
    seq: int


@dataclass(frozen=True)
class Sent:
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
        with self.db.transaction() as tx:
            for statement in DDL:
                tx.execute(statement)

    def close(self) -> None:
        self.db.close()

    # -- reading ----------------------------------------------------------------------------------------
    def positions(self) -> dict[str, int]:
        return {name: int(pos) for name, pos in self.db.query("SELECT name, position FROM relay_tracking")}

    def shares(self) -> dict[tuple[str, str], Share]:
        rows = self.db.query("SELECT partner, clue_id, active, seq FROM relay_shares")
        return {(p, c): Share(bool(a), int(s)) for p, c, a, s in rows}

    def event_hashes(self, keys: Iterable[tuple[str, int]], chunk: int = 400) -> dict[tuple[str, int], str]:
        """The recorded hash of each ``(stream_id, version)`` that has one (the ledger's ``event_hashes`` table,
        in this same database): what ``recorder.event_hash_of`` answers, one query per ``chunk`` events."""
        wanted = list(dict.fromkeys(keys))
        found: dict[tuple[str, int], str] = {}
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
        with self.db.transaction() as tx:
            tx.executemany("INSERT INTO relay_shares (partner, clue_id, active, seq) VALUES (?, ?, ?, ?) "
                           "ON CONFLICT (partner, clue_id) DO UPDATE SET active = excluded.active, seq = excluded.seq",
                           [(partner, clue, int(share.active), share.seq) for (partner, clue), share in shares.items()])
            tx.executemany("INSERT INTO relay_sent (partner, event_id, clue_id, seq, position, event_type) "
                           "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (partner, event_id) DO NOTHING",
                           [(s.partner, s.event_id, s.clue_id, s.seq, s.position, s.event_type) for s in sent])
            for name in names:
                tx.execute("INSERT INTO relay_tracking (name, position, updated_us) VALUES (?, ?, ?) "
                           "ON CONFLICT (name) DO UPDATE SET position = excluded.position, "
                           "updated_us = excluded.updated_us WHERE relay_tracking.position < excluded.position",
                           (name, position, now))

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
