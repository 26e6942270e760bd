"""Who may read what (domain.md §9), asked of ``domain.permissions``; refusals carry NOT_AUTHORIZED.

Writes need no policy here: the command layer refuses a role outside a command's ``who``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from domain import errors
from domain.permissions import (ALL_LOGGED, ANY_AS_OF, ASSIGNED_DIVISION, BUREAU, OWN_AGENCY, SHARED,
                                SHARED_AGGREGATES, SHARED_REDACTED, scope)
from domain.permissions import ALL as ALL_SCOPE
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
