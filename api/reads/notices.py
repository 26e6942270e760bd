"""``notice_register`` pages (keyset on issued_us, notice_id), notice deadlines and overdue obligations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.reads.source import ReadSource
from api.reads.state import DUE_TYPES

NOTICE_COLUMNS = ("notice_id", "stream_id", "stream_type", "notice_type", "doc_number", "recipient_org_id",
                  "issued_us", "served_us", "reported_us", "verified_us", "result", "status", "escalation_level",
                  "listed", "overdue_marked")
OPEN_NOTICE = ("issued", "served", "reported", "re_rectifying")
OBLIGATION_COLUMNS = ("obligation_id", "stream_id", "stream_type", "type", "subject", "obligor", "start_us",
                      "due_date", "due_us", "original_due_us", "status", "completed_us", "extensions")


@dataclass(frozen=True)
class NoticeQuery:
    statuses: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    recipient: str | None = None
    stream_id: str | None = None
    issued_from_us: int | None = None
    issued_to_us: int | None = None
    overdue: bool | None = None


def _due_exists(alias: str = "n") -> str:
    kinds = ", ".join(f"'{k}'" for k in DUE_TYPES)
    return (f"EXISTS (SELECT 1 FROM obligations o WHERE o.subject = {alias}.notice_id AND o.type IN ({kinds}) "
            "AND o.status = 'open' AND o.due_us <= ?)")


async def notice_page(source: ReadSource, q: NoticeQuery, size: int, after: tuple[int, str] | None, now_us: int,
                only_streams: set[str] | None) -> tuple[list[dict[str, Any]], bool]:
    where, params = ["1 = 1"], []
    if only_streams is not None:
        if not only_streams:
            return [], False
        where.append(f"n.stream_id IN ({', '.join('?' for _ in only_streams)})")
        params.extend(sorted(only_streams))
    for column, values in (("n.status", q.statuses), ("n.notice_type", q.types)):
        if values:
            where.append(f"{column} IN ({', '.join('?' for _ in values)})")
            params.extend(values)
    for column, value in (("n.recipient_org_id", q.recipient), ("n.stream_id", q.stream_id)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if q.issued_from_us is not None:
        where.append("n.issued_us >= ?")
        params.append(q.issued_from_us)
    if q.issued_to_us is not None:
        where.append("n.issued_us < ?")
        params.append(q.issued_to_us)
    if q.overdue is not None:
        where.append(_due_exists() if q.overdue else f"NOT {_due_exists()}")
        params.append(now_us)
    if after is not None:
        where.append("(n.issued_us > ? OR (n.issued_us = ? AND n.notice_id > ?))")
        params.extend([after[0], after[0], after[1]])
    sql = (f"SELECT {', '.join('n.' + c for c in NOTICE_COLUMNS)} FROM notice_register n "
           f"WHERE {' AND '.join(where)} ORDER BY n.issued_us, n.notice_id LIMIT ?")
    rows = await source.dicts(sql, [*params, size + 1])
    return rows[:size], len(rows) > size


async def notice_dues(source: ReadSource, notice_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The latest report deadline of each notice."""
    if not notice_ids:
        return {}
    marks = ", ".join("?" for _ in notice_ids)
    kinds = ", ".join(f"'{k}'" for k in DUE_TYPES)
    rows = await source.dicts(f"SELECT {', '.join(OBLIGATION_COLUMNS)} FROM obligations WHERE subject IN ({marks}) "
                              f"AND type IN ({kinds}) ORDER BY start_us", notice_ids)
    return {r["subject"]: r for r in rows}


async def overdue_obligations(source: ReadSource, at_us: int, limit: int, recipient: str | None = None) -> list[dict[str, Any]]:
    """Open obligations due at or before ``at_us`` (a liaison: those of its own agency's notices)."""
    sql = f"SELECT {', '.join('o.' + c for c in OBLIGATION_COLUMNS)} FROM obligations o WHERE o.status = 'open' " \
          "AND o.due_us <= ?"
    params: list[Any] = [at_us]
    if recipient is not None:
        sql += " AND o.subject IN (SELECT n.notice_id FROM notice_register n WHERE n.recipient_org_id = ?)"
        params.append(recipient)
    return await source.dicts(sql + " ORDER BY o.due_us, o.obligation_id LIMIT ?", [*params, limit])


async def notices_of(source: ReadSource, agency_id: str, limit: int = 100) -> list[dict[str, Any]]:
    return await source.dicts(f"SELECT {', '.join(NOTICE_COLUMNS)} FROM notice_register WHERE recipient_org_id = ? "
                              "ORDER BY issued_us DESC, notice_id LIMIT ?", [agency_id, limit])
