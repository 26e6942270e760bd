"""A stream's audit trail from ``audit_timeline`` (domain.md §7, §4.10): ``as_of`` filters business time,
``known_at`` recorded time; corrections and voids known at ``known_at`` are linked to what they correct."""

from __future__ import annotations

import json
from typing import Any

from api.readpool import ReadPool
from domain import errors
from api.redaction import Redactor, partner_may_see
from api.reads.state import corrected

CORRECTIONS = ("EventCorrected", "EventVoided")


def shredded_tokens(pool: ReadPool) -> set[str]:
    rows = pool.dicts("SELECT data FROM audit_timeline WHERE event_type = 'IdentityShredded'")
    return {json.loads(r["data"]).get("person_token") for r in rows}


def event_hashes(pool: ReadPool, stream_id: str) -> dict[int, str]:
    try:
        rows = pool.dicts("SELECT version, event_hash FROM event_hashes WHERE stream_id = ?", [stream_id])
    except Exception:  # noqa: BLE001 - stores created before hashing have no such table
        return {}
    return {int(r["version"]): r["event_hash"] for r in rows}


def trail(pool: ReadPool, stream_id: str, as_of_us: int | None, known_us: int | None,
          redactor: Redactor) -> list[dict[str, Any]]:
    """Entries in version order, redacted for the viewer, each with its inline corrections; correction
    entries recorded after ``as_of`` are kept with ``listed`` false (shown only inline)."""
    sql = "SELECT * FROM audit_timeline WHERE stream_id = ?"
    params: list[Any] = [stream_id]
    if known_us is not None:
        sql += " AND recorded_us <= ?"
        params.append(known_us)
    rows = pool.dicts(sql + " ORDER BY version", params)
    if not rows and not pool.dicts("SELECT 1 AS found FROM audit_timeline WHERE stream_id = ? LIMIT 1", [stream_id]):
        raise errors.NotFound(f"no stream {stream_id} (read models follow the log within a second)")
    hashes = event_hashes(pool, stream_id)
    for r in rows:
        r["meta"], r["data"] = json.loads(r["meta"]), json.loads(r["data"])
        r["event_hash"] = hashes.get(int(r["version"]))
    if redactor.partner:
        rows = _partner_rows(rows, redactor.org_id)
    by_target: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r["event_type"] in CORRECTIONS:
            by_target.setdefault(str(r["target_event_id"]), []).append(r)
    entries = []
    for r in rows:
        listed = as_of_us is None or r["occurred_us"] <= as_of_us
        if not listed and r["event_type"] not in CORRECTIONS:
            continue  # a correction known at known_at still applies to earlier events (listed inline only)
        fixes = by_target.get(r["event_id"], [])
        changes = [f["data"] for f in fixes if f["event_type"] == "EventCorrected"]
        entries.append({**r, "listed": listed, "corrections": [f["event_id"] for f in fixes],
                        "voided": any(f["event_type"] == "EventVoided" for f in fixes),
                        "corrected_data": corrected(r["data"], changes) if changes else r["data"]})
    types = {e["event_id"]: e["event_type"] for e in entries}
    transfers = partner_transfers(rows, redactor.org_id) if redactor.partner else set()
    shown = [_redacted(e, redactor, types, transfers) for e in entries]
    return [e for e in shown if e is not None]


def partner_transfers(rows: list[dict[str, Any]], org: str) -> set[str]:
    return {str(r["data"].get("transfer_id")) for r in rows
            if r["event_type"] == "TransferProposed" and r["data"].get("target_org_id") == org}


def _partner_rows(rows: list[dict[str, Any]], org: str) -> list[dict[str, Any]]:
    transfers, published, kept = partner_transfers(rows, org), set(), []
    for r in rows:
        if partner_may_see(r["event_type"], r["data"], org, transfers, published):
            published.add(r["event_id"])
            kept.append(r)
    return kept


def _redacted(e: dict[str, Any], redactor: Redactor, types: dict[str, str],
              transfers: set[str]) -> dict[str, Any] | None:
    kind = e["event_type"]
    own = kind == "AccountabilityReferred" and str(e["data"].get("via_transfer_id")) in transfers
    shown = redactor.event(kind, e["data"], e["meta"], target_type=types.get(str(e.get("target_event_id"))),
                           own_transfer=own)
    if shown is None:
        return None
    corrected = redactor.event(kind, e["corrected_data"], {}, own_transfer=own) if kind not in CORRECTIONS else None
    return {**e, "data": shown[0], "meta": shown[1], "corrected_data": corrected[0] if corrected else shown[0]}
