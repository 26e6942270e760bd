"""``clue_list`` pages with keyset cursors on (received_us, stream_id), and the share sets of partners."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from api.policy import ASSIGNED_STATES, ClueScope
from api.reads.source import ReadSource, Statement

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


_STATES = ", ".join(f"'{state}'" for state in ASSIGNED_STATES)
ASSIGNED = ("EXISTS (SELECT 1 FROM assignments a WHERE a.stream_id = c.stream_id AND a.user_id = ? "
            f"AND a.state IN ({_STATES}))")


def in_scope(scope: ClueScope) -> tuple[str, list[Any]]:
    """SQL over ``clue_list c``: the clues of the reader's division or assigned to them (§9)."""
    return f"(c.bureau = ? OR c.lead = ? OR {ASSIGNED})", [scope.division, scope.user_id, scope.user_id]


async def clue_page(source: ReadSource, q: ClueQuery, size: int, after: tuple[int, str] | None, now_us: int,
                    only: set[str] | None, text_in_summary: bool = True,
                    scope: ClueScope | None = None) -> tuple[list[dict[str, Any]], bool]:
    """One page (``size`` rows) after the cursor; ``only`` restricts to those clues (partners), ``scope``
    to a staff member's (§9)."""
    where, params = ["1 = 1"], []
    if only is not None:
        if not only:
            return [], False
        where.append(f"c.stream_id IN ({', '.join('?' for _ in only)})")
        params.extend(sorted(only))
    if scope is not None:
        clause, values = in_scope(scope)
        where.append(clause)
        params.extend(values)
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
    rows = await source.dicts(sql, [*params, size + 1])
    return [_row(r) for r in rows[:size]], len(rows) > size


async def overdue_streams(source: ReadSource, ids: list[str], at_us: int) -> set[str]:
    """Of these clues, those with an open deadline due at or before ``at_us``."""
    if not ids:
        return set()
    marks = ", ".join("?" for _ in ids)
    rows = await source.dicts(f"SELECT DISTINCT stream_id FROM obligations WHERE stream_id IN ({marks}) "
                              "AND status = 'open' AND due_us <= ?", [*ids, at_us])
    return {r["stream_id"] for r in rows}


SHARES = "event_type IN ('PartnerShareGranted', 'PartnerShareRevoked')"


def shares_of(rows: list[dict[str, Any]], org_id: str) -> set[str]:
    """Clues shared with partner ``org_id`` after these share events (in log order): a PartnerShareGranted
    not followed by a revocation."""
    shared: set[str] = set()
    for r in rows:
        if json.loads(r["data"]).get("partner_org_id") != org_id:
            continue
        if r["event_type"] == "PartnerShareGranted":
            shared.add(r["stream_id"])
        else:
            shared.discard(r["stream_id"])
    return shared


async def shared_with(source: ReadSource, org_id: str) -> set[str]:
    """Clues currently shared with partner ``org_id``."""
    return shares_of(await source.dicts(f"SELECT stream_id, event_type, data FROM audit_timeline WHERE {SHARES} "
                                        "ORDER BY position"), org_id)


def stream_shares(stream_id: str) -> Statement:
    """The share events of one stream (``shares_of`` tells whether it is shared with a partner)."""
    return (f"SELECT stream_id, event_type, data FROM audit_timeline WHERE stream_id = ? AND {SHARES} "
            "ORDER BY version", [stream_id])


def stream_scope(stream_id: str, scope: ClueScope) -> Statement:
    """One row if the clue is in the staff member's scope, none otherwise (or if it is not a clue)."""
    clause, values = in_scope(scope)
    return f"SELECT c.stream_id FROM clue_list c WHERE c.stream_id = ? AND {clause}", [stream_id, *values]


async def stream_versions(source: ReadSource, ids: list[str]) -> dict[str, int]:
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    rows = await source.dicts(f"SELECT stream_id, MAX(version) AS version FROM audit_timeline WHERE stream_id IN "
                              f"({marks}) GROUP BY stream_id", ids)
    return {r["stream_id"]: int(r["version"]) for r in rows}
