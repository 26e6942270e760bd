"""``clue_list`` pages with keyset cursors on (received_us, stream_id), and the share sets of partners."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from api.readpool import ReadPool

COLUMNS = ("stream_id", "bureau", "clue_no", "channel", "summary", "agencies", "received_us", "status", "lead",
           "case_no", "closure_type", "version", "updated_us")


@dataclass(frozen=True)
class ClueQuery:
    statuses: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    agency: str | None = None
    received_from_us: int | None = None
    received_to_us: int | None = None  # exclusive
    overdue: bool | None = None
    text: str | None = None


def _row(raw: dict[str, Any]) -> dict[str, Any]:
    return {**raw, "agencies": json.loads(raw["agencies"] or "[]")}


def clue_rows(pool: ReadPool, ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    rows = pool.dicts(f"SELECT {', '.join(COLUMNS)} FROM clue_list WHERE stream_id IN ({marks})", ids)
    return {r["stream_id"]: _row(r) for r in rows}


def clue_page(pool: ReadPool, q: ClueQuery, size: int, after: tuple[int, str] | None, now_us: int,
              only: set[str] | None, text_in_summary: bool = True) -> tuple[list[dict[str, Any]], bool]:
    """One page (``size`` rows) after the cursor; ``only`` restricts to those clues (partners)."""
    where, params = ["1 = 1"], []
    if only is not None:
        if not only:
            return [], False
        where.append(f"c.stream_id IN ({', '.join('?' for _ in only)})")
        params.extend(sorted(only))
    if q.statuses:
        where.append(f"c.status IN ({', '.join('?' for _ in q.statuses)})")
        params.extend(q.statuses)
    if q.channels:
        where.append(f"c.channel IN ({', '.join('?' for _ in q.channels)})")
        params.extend(q.channels)
    if q.agency:
        where.append("c.agencies LIKE ?")
        params.append("%" + json.dumps(q.agency, ensure_ascii=False) + "%")
    if q.received_from_us is not None:
        where.append("c.received_us >= ?")
        params.append(q.received_from_us)
    if q.received_to_us is not None:
        where.append("c.received_us < ?")
        params.append(q.received_to_us)
    if q.overdue is not None:
        exists = ("EXISTS (SELECT 1 FROM obligations o WHERE o.stream_id = c.stream_id AND o.status = 'open' "
                  "AND o.due_us <= ?)")
        where.append(exists if q.overdue else f"NOT {exists}")
        params.append(now_us)
    if q.text:
        needle = "%" + q.text.replace("%", "").replace("_", "") + "%"
        fields = ["c.clue_no", "c.case_no"] + (["c.summary"] if text_in_summary else [])
        where.append("(" + " OR ".join(f"{f} LIKE ?" for f in fields) + ")")
        params.extend([needle] * len(fields))
    if after is not None:
        where.append("(c.received_us > ? OR (c.received_us = ? AND c.stream_id > ?))")
        params.extend([after[0], after[0], after[1]])
    sql = (f"SELECT {', '.join('c.' + c for c in COLUMNS)} FROM clue_list c WHERE {' AND '.join(where)} "
           f"ORDER BY c.received_us, c.stream_id LIMIT ?")
    rows = pool.dicts(sql, [*params, size + 1])
    return [_row(r) for r in rows[:size]], len(rows) > size


def overdue_streams(pool: ReadPool, ids: list[str], at_us: int) -> set[str]:
    if not ids:
        return set()
    marks = ", ".join("?" for _ in ids)
    rows = pool.dicts(f"SELECT DISTINCT stream_id FROM obligations WHERE stream_id IN ({marks}) "
                      "AND status = 'open' AND due_us <= ?", [*ids, at_us])
    return {r["stream_id"] for r in rows}


def shared_with(pool: ReadPool, org_id: str) -> set[str]:
    """Clues currently shared with partner ``org_id`` (PartnerShareGranted not followed by a revocation)."""
    rows = pool.dicts("SELECT stream_id, event_type, data FROM audit_timeline WHERE event_type IN "
                      "('PartnerShareGranted', 'PartnerShareRevoked') ORDER BY position")
    shared: set[str] = set()
    for r in rows:
        if json.loads(r["data"]).get("partner_org_id") != org_id:
            continue
        if r["event_type"] == "PartnerShareGranted":
            shared.add(r["stream_id"])
        else:
            shared.discard(r["stream_id"])
    return shared


def stream_versions(pool: ReadPool, ids: list[str]) -> dict[str, int]:
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    rows = pool.dicts(f"SELECT stream_id, MAX(version) AS version FROM audit_timeline WHERE stream_id IN ({marks}) "
                      "GROUP BY stream_id", ids)
    return {r["stream_id"]: int(r["version"]) for r in rows}
