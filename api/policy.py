"""Who may read what (domain.md §9), asked of ``domain.permissions``; refusals carry NOT_AUTHORIZED, except
a stream (or clue) the caller may not read, refused as NOT_FOUND like a missing one (``no_stream``).

Writes need no policy here: the command layer refuses a role outside a command's ``who``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from domain import errors
from domain.permissions import (ALL_LOGGED, ANY_AS_OF, ASSIGNED_DIVISION, AU, BUREAU, MATRIX, OWN_AGENCY, SHARED,
                                SHARED_AGGREGATES, SHARED_REDACTED, ST, SV, scope)
from domain.permissions import ALL as ALL_SCOPE
from domain.permissions import OWN as OWN_SCOPE
from api.auth import Principal

FULL, PARTNER, OWN, NAMES = "full", "partner", "own_agency", "names"
BUREAU_STATS, SHARED_STATS = "bureau", "shared_clues"
ASSIGNED_STATES = ("pending", "active")  # an assignment not declined (ClueAssigned, AssignmentAccepted)


@dataclass(frozen=True)
class ClueScope:
    """The clues a member of staff reads (§9 "assigned + division"): those of their division (the unit
    owning the clue: its ClueReceived ``org_unit``, else the org of the staff who recorded it; the
    token's ``org`` is the reader's division) and those assigned to them (lead, or an assignment
    pending or accepted)."""

    user_id: str
    division: str

    def allows(self, unit: str | None, lead: str | None, assignees: Iterable[str] = ()) -> bool:
        return unit == self.division or lead == self.user_id or self.user_id in assignees

    def allows_clue(self, agg: Any, unit: str | None) -> bool:
        """For a replayed clue (``unit``: the owning unit of its stream)."""
        assignees = (a["assignee_user_id"] for a in agg.assignments.values() if a["state"] in ASSIGNED_STATES)
        return self.allows(unit, agg.lead, assignees)


def clue_access(p: Principal) -> str:
    """``full`` (staff, supervisors, auditors) or ``partner`` (shared clues only, redacted)."""
    granted = scope(p.role, "read_clue_content")
    if granted in (ASSIGNED_DIVISION, BUREAU, ALL_LOGGED):
        return FULL
    if granted == SHARED_REDACTED:
        return PARTNER
    raise errors.NotAuthorized(f"{p.role} may not read clue content (§9)")


def clue_scope(p: Principal) -> ClueScope | None:
    """The restriction on which clues ``p`` reads beyond ``clue_access`` (staff only), or None."""
    if scope(p.role, "read_clue_content") == ASSIGNED_DIVISION:
        return ClueScope(p.user_id, p.org_id)
    return None


def notice_access(p: Principal) -> str:
    """``full``, ``partner`` (notices of shared clues) or ``own_agency`` (a liaison's own notices)."""
    granted = scope(p.role, "read_notices")
    if granted == ALL_SCOPE:
        return FULL
    if granted == SHARED:
        return PARTNER
    if granted == OWN_AGENCY:
        return OWN
    raise errors.NotAuthorized(f"{p.role} may not read notices (§9)")


def deadline_access(p: Principal) -> str:
    """Overdue deadlines: ``full`` for the bureau's roles, ``own_agency`` for a liaison."""
    granted = notice_access(p)
    if granted == PARTNER:
        raise errors.NotAuthorized(f"{p.role} may not list the bureau's deadlines (§9)")
    return granted


def statistics_access(p: Principal) -> str:
    """``bureau`` (staff, supervisors, auditors) or ``shared_clues`` (a partner: aggregates over the clues
    shared with it, §9 "shared-clue aggregates")."""
    granted = scope(p.role, "read_statistics")
    if granted in (ALL_SCOPE, ANY_AS_OF):
        return BUREAU_STATS
    if granted == SHARED_AGGREGATES:
        return SHARED_STATS
    raise errors.NotAuthorized(f"{p.role} may not read bureau statistics (§9); liaisons use agencyBoard")


def board_access(p: Principal, agency_id: str) -> None:
    granted = scope(p.role, "read_statistics")
    if granted in (ALL_SCOPE, ANY_AS_OF):
        return
    if granted == OWN_AGENCY and agency_id == p.org_id:
        return
    raise errors.NotAuthorized(f"{p.role} may not read the board of {agency_id} (§9)")


def log_access(p: Principal) -> None:
    """The raw ordered log: auditors (domain.md §1: replay any date, verify the chain)."""
    if p.role != "auditor":
        raise errors.NotAuthorized("only auditors read the raw event log")


def registry_access(p: Principal) -> str:
    """Agencies: every role reads the registry's names (``names``: without counts); a liaison only its own
    agency (``own_agency``: with its own notice count); clue and notice counts need clue access."""
    if p.role == "agency_liaison":
        return OWN
    if scope(p.role, "read_clue_content") in (ASSIGNED_DIVISION, BUREAU, ALL_LOGGED):
        return FULL
    if p.role in ("admin", "discipline_partner"):
        return NAMES
    raise errors.NotAuthorized(f"{p.role} may not read the registry")


def batch_access(p: Principal) -> None:
    if scope(p.role, "read_notices") != ALL_SCOPE:
        raise errors.NotAuthorized(f"{p.role} may not read review batches (§9)")


# -- a stream's events (auditTrail) ------------------------------------------------------------------------
# How each role reads the events of a stream, per stream type (domain.md §3 ``stream_type``, §9):
WHOLE = "whole"  # every event
IN_CLUE_SCOPE = "in_clue_scope"  # every event, of a clue in the reader's ClueScope (division + assigned)
SHARED_CLUE = "shared_clue"  # a clue shared with the reader's organ, redacted (§11)
OWN_VIEWS = "own_views"  # only the access-log entries whose viewer is the reader
_BUREAU: Mapping[str, str] = MappingProxyType({SV: WHOLE, AU: WHOLE})
_RECORDERS: Mapping[str, str] = MappingProxyType({ST: WHOLE, SV: WHOLE, AU: WHOLE})


def _as_granted(capability: str, readings: Mapping[str, str]) -> Mapping[str, str]:
    """A row of ``STREAM_READING`` from a §9 capability of ``domain.permissions``: its scope, per role."""
    return MappingProxyType({role: readings[granted] for role, granted in MATRIX[capability].items()})


STREAM_READING: Mapping[str, Mapping[str, str]] = MappingProxyType({
    # "Clue content (S2)": assigned + division / bureau / shared clues, redacted / all, logged
    "Clue": _as_granted("read_clue_content", {ASSIGNED_DIVISION: IN_CLUE_SCOPE, BUREAU: WHOLE,
                                              SHARED_REDACTED: SHARED_CLUE, ALL_LOGGED: WHOLE}),
    # "Record … review, reconsideration events": staff and supervisors; auditors read everything
    "ReviewBatch": _RECORDERS, "ReconsiderationCase": _RECORDERS,
    # "Access log": own / bureau / all (one stream per bureau and day: a supervisor's bureau is all of it)
    "AccessLog": _as_granted("read_access_log", {OWN_SCOPE: OWN_VIEWS, BUREAU: WHOLE, ALL_SCOPE: WHOLE}),
    # unseal requests, approvals, disclosures, shredding: part of the access log (§7 ``access_log`` is fed by
    # AccessLog and Identity), approved and shredded by supervisors; not staff reading (S3 stays masked)
    "Identity": _BUREAU,
    # "Config, users, calendars, registry": – for staff, approve (4E) / read; the admin never reads history
    "Org": _BUREAU, "User": _BUREAU, "Config": _BUREAU,
    # signed checkpoints: the verifiers' (verifyStream, §10 "Auditor verifies")
    "Checkpoint": _BUREAU,
})
TRAIL_READERS = frozenset(role for readers in STREAM_READING.values() for role in readers)


def no_stream(stream_id: object) -> errors.LedgerError:
    """The refusal of a stream that does not exist, and of one the caller may not read: the same code and
    message, so that a refusal does not disclose that the stream exists."""
    return errors.NotFound(f"no stream {stream_id} that you may read")


def trail_access(p: Principal) -> None:
    """Roles reading no stream's events at all (liaisons, the admin: "never history") are NOT_AUTHORIZED."""
    if p.role not in TRAIL_READERS:
        raise errors.NotAuthorized(f"{p.role} may not read a stream's events (§9)")


def stream_reading(p: Principal, stream_id: object, stream_type: str | None, *, in_clue_scope: bool = False,
                   shared: bool = False) -> str:
    """How ``p`` reads a stream of ``stream_type`` (``STREAM_READING``); ``in_clue_scope``/``shared``: whether
    the stream is a clue in ``p``'s ClueScope, or shared with ``p``'s organ. A stream ``p`` may not read is
    refused as ``no_stream``."""
    reading = STREAM_READING.get(stream_type or "", {}).get(p.role)
    if reading is None or (reading == IN_CLUE_SCOPE and not in_clue_scope) or (reading == SHARED_CLUE and not shared):
        raise no_stream(stream_id)
    return reading


def readable_events(p: Principal, stream_id: str, stream_type: str | None, rows: list[dict[str, Any]], *,
                    in_clue_scope: bool = False, shared: bool = False) -> list[dict[str, Any]]:
    """The events of a stream that ``p`` reads (``rows``: the stream's stored events, payload in ``data``):
    all of them, or a staff member's own access-log entries; ``no_stream`` if none (``stream_reading``)."""
    reading = stream_reading(p, stream_id, stream_type, in_clue_scope=in_clue_scope, shared=shared)
    if reading == OWN_VIEWS:
        return [r for r in rows if _viewer(r["data"]) == p.user_id]
    return rows


def readable_clue(p: Principal, stream_id: object, agg: Any, unit: str | None) -> None:
    """A clue replayed for ``p`` (clue, clueAsOf, clueEvents): refused as ``no_stream`` unless ``p`` reads
    it (``stream_reading`` of a Clue)."""
    scope = clue_scope(p)
    stream_reading(p, stream_id, "Clue", in_clue_scope=scope is not None and scope.allows_clue(agg, unit),
                   shared=bool(agg.shares.get(p.org_id)))


def _viewer(data: str | dict[str, Any]) -> str | None:
    """The viewer of an access-log entry (RecordViewed, RecordExported: ``viewer.user_id``)."""
    payload = json.loads(data) if isinstance(data, str) else data
    return (payload.get("viewer") or {}).get("user_id")
