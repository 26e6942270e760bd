"""A stream's audit trail from ``audit_timeline`` (domain.md §7, §4.10): ``as_of`` filters business time,
``known_at`` recorded time; corrections and voids known at ``known_at`` are linked to what they correct.

Reading is split from shaping so that a resolver sends the trail's statements together with its
access checks in one round trip (``trail_statement``), then shapes the rows (``entries``)."""

from __future__ import annotations

import json
import threading
from typing import Any

from api.reads.source import Statement
from api.reads.state import corrected
from api.redaction import Redactor, may_hold_tokens, partner_may_see
from projections.events import loads_state

CORRECTIONS = ("EventCorrected", "EventVoided")
TRAIL_COLUMNS = ("position", "stream_id", "version", "event_type", "event_id", "occurred_us", "recorded_us",
                 "target_event_id", "meta", "data")


class ShreddedTokens:
    """Person tokens whose key was destroyed (IdentityShredded), followed along ``audit_timeline`` by
    position: each refresh asks only for what was projected since the last one (shredding is final).
    The API refreshes it after each catch-up of its projector, so the ``[shredded]`` marks follow the
    read models; a token not yet known as shredded is still masked (``[sealed]``)."""

    def __init__(self) -> None:
        self.tokens: set[str] = set()
        self.position = 0
        self._lock = threading.Lock()

    def statement(self) -> Statement:
        return ("SELECT h.head, s.data FROM (SELECT MAX(position) AS head FROM audit_timeline) h LEFT JOIN "
                "audit_timeline s ON s.position > ? AND s.position <= h.head AND s.event_type = 'IdentityShredded'",
                [self.position])

    def absorb(self, rows: list[dict[str, Any]]) -> frozenset[str]:
        """Take in the rows of ``statement``; returns every shredded token known."""
        with self._lock:
            for r in rows:
                if r["data"]:
                    self.tokens.add(json.loads(r["data"]).get("person_token"))
            if rows and rows[0]["head"] is not None:
                self.position = max(self.position, int(rows[0]["head"]))
        return self.known()

    def known(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self.tokens)


def trail_statement(stream_id: str, known_us: int | None) -> Statement:
    """The stream's rows recorded by ``known_us``, each with its recorded hash, in version order."""
    sql = (f"SELECT {', '.join('t.' + c for c in TRAIL_COLUMNS)}, h.event_hash FROM audit_timeline t "
           "LEFT JOIN event_hashes h ON h.stream_id = t.stream_id AND h.version = t.version WHERE t.stream_id = ?")
    params: list[Any] = [stream_id]
    if known_us is not None:
        sql += " AND t.recorded_us <= ?"
        params.append(known_us)
    return sql + " ORDER BY t.version", params


def first_statement(stream_id: str) -> Statement:
    """The stream's first row (whatever ``known_at``): whether it exists, and its type."""
    return "SELECT meta FROM audit_timeline WHERE stream_id = ? ORDER BY version LIMIT 1", [stream_id]


def entries(rows: list[dict[str, Any]], as_of_us: int | None, redactor: Redactor) -> list[dict[str, Any]]:
    """Entries in version order, redacted for the viewer, each with its inline corrections; correction
    entries recorded after ``as_of`` are kept with ``listed`` false (shown only inline)."""
    for r in rows:  # hints from the stored text, before it is decoded
        meta, data = r["meta"], r["data"]
        r["plain"] = not (may_hold_tokens(meta) or may_hold_tokens(data))
        r["docs_in_data"] = '"content_hash"' in data  # a DocRef in the payload
        r["meta"], r["data"] = loads_state(meta.encode()), loads_state(data.encode())  # = json.loads, faster
    if redactor.partner:
        rows = _partner_rows(rows, redactor.org_id)
    by_target: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r["event_type"] in CORRECTIONS:
            by_target.setdefault(str(r["target_event_id"]), []).append(r)
    found = []
    for r in rows:
        listed = as_of_us is None or r["occurred_us"] <= as_of_us
        if not listed and r["event_type"] not in CORRECTIONS:
            continue  # a correction known at known_at still applies to earlier events (listed inline only)
        fixes = by_target.get(r["event_id"], [])
        changes = [f["data"] for f in fixes if f["event_type"] == "EventCorrected"]
        r.update(listed=listed, corrections=[f["event_id"] for f in fixes],
                 voided=any(f["event_type"] == "EventVoided" for f in fixes),
                 corrected_data=corrected(r["data"], changes) if changes else r["data"])
        found.append(r)
    types = {e["event_id"]: e["event_type"] for e in found}
    transfers = partner_transfers(rows, redactor.org_id) if redactor.partner else set()
    shown = [_redacted(e, redactor, types, transfers) for e in found]
    return [e for e in shown if e is not None]


def stream_type_of(rows: list[dict[str, Any]]) -> str | None:
    """The stream type of trail rows (from the envelope of the first; JSON text or already decoded)."""
    if not rows:
        return None
    meta = rows[0]["meta"]
    return (json.loads(meta) if isinstance(meta, str) else meta).get("stream_type")


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
    """The entry as the viewer sees it (in place: every correction was applied before any redaction)."""
    kind = e["event_type"]
    own = kind == "AccountabilityReferred" and str(e["data"].get("via_transfer_id")) in transfers
    shown = redactor.event(kind, e["data"], e["meta"], target_type=types.get(str(e.get("target_event_id"))),
                           own_transfer=own, plain=e["plain"])
    if shown is None:
        return None
    corrected = None
    if kind not in CORRECTIONS and e["corrected_data"] is not e["data"]:
        corrected = redactor.event(kind, e["corrected_data"], {}, own_transfer=own)
    e["data"], e["meta"], e["corrected_data"] = shown[0], shown[1], corrected[0] if corrected else shown[0]
    return e
