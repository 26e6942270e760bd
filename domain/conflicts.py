"""Conflict of interest (回避, domain.md §10). Pure: no I/O, no clock.

A user is conflicted for a set of agencies at business time ``at`` if
- one of the agencies, or an org linked to it by restructuring (机构改革: predecessor or successor,
  followed transitively), matches an affiliation of the user (employment, secondment, declared
  interest) active at some moment of the ``months`` (default 24, GP) before ``at``; or
- the user recused themselves from one of these agencies.

Affiliations are the ``StaffAffiliationRecorded`` payload form ``{org_id, kind, from, to?}`` (ISO dates
or ``date``); ``to`` is inclusive, a missing ``to`` means still active. Recusal on a single clue
(AssignmentDeclined ``conflict_of_interest``) is kept by the Clue itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from domain.deadlines import BUSINESS_TZ

LOOKBACK_MONTHS = 24  # GP
CONFIG_KEY = "conflict_lookback_months"  # Config key overriding LOOKBACK_MONTHS


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (clamped to the month's end: 2024-02-29 - 12 → 2023-02-28)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, d)
        except ValueError:
            continue
    raise ValueError(f"cannot go {months} months back from {day}")


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.astimezone(BUSINESS_TZ).date() if value.utcoffset() is not None else value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)


def related_orgs(agency_ids: Iterable[str], org_lineage: Mapping[str, Iterable[str]]) -> set[str]:
    """The agencies plus every org linked to them through restructurings (both directions, transitively).

    ``org_lineage`` maps a successor to its predecessors, as OrgRestructured records them.
    """
    edges: dict[str, set[str]] = {}
    for successor, predecessors in org_lineage.items():
        for p in predecessors:
            edges.setdefault(successor, set()).add(p)
            edges.setdefault(p, set()).add(successor)
    found, todo = set(agency_ids), list(agency_ids)
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in found:
                found.add(nxt)
                todo.append(nxt)
    return found


def active_within(affiliation: Mapping[str, Any], at: date, months: int) -> bool:
    """The affiliation overlaps [at − months, at]."""
    start = _as_date(affiliation["from"])
    end = affiliation.get("to")
    return start <= at and (end is None or _as_date(end) >= months_before(at, months))


def is_conflicted(user_affiliations: Iterable[Mapping[str, Any]], recusals: Iterable[str],
                  agency_ids: Iterable[str], at: datetime | date, org_lineage: Mapping[str, Iterable[str]],
                  *, months: int = LOOKBACK_MONTHS) -> bool:
    """§10: True if the user recused from, or was recently affiliated with, one of the agencies."""
    orgs = related_orgs(list(agency_ids), org_lineage)
    if orgs & set(recusals):
        return True
    day = _as_date(at)
    return any(a["org_id"] in orgs and active_within(a, day, months) for a in user_affiliations)


def _get(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, Mapping) else getattr(obj, name, default)


class ConflictIndex:
    """Affiliations, recusals and org lineage of a bureau; ``check`` is what ``Cmd.is_conflicted`` takes."""

    def __init__(self, affiliations: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
                 lineage: Mapping[str, Iterable[str]] | None = None,
                 recusals: Mapping[str, Iterable[str]] | None = None, *, months: int = LOOKBACK_MONTHS) -> None:
        self.affiliations = {u: list(a) for u, a in (affiliations or {}).items()}
        self.lineage = {s: list(p) for s, p in (lineage or {}).items()}
        self.recusals = {u: set(r) for u, r in (recusals or {}).items()}
        self.months = months

    @classmethod
    def from_states(cls, users: Iterable[Any], orgs: Iterable[Any] = (),
                    recusals: Mapping[str, Iterable[str]] | None = None, *,
                    months: int = LOOKBACK_MONTHS) -> ConflictIndex:
        """From User and Org aggregates, or dicts with the same names
        (users: ``user_id``, ``affiliations``; orgs: ``org_code``, ``predecessor_ids``)."""
        affiliations = {_get(u, "user_id"): list(_get(u, "affiliations", [])) for u in users}
        lineage = {_get(o, "org_code"): list(_get(o, "predecessor_ids", [])) for o in orgs}
        return cls(affiliations, {k: v for k, v in lineage.items() if v}, recusals, months=months)

    def check(self, user_id: str, agency_ids: Iterable[str], at: datetime | date) -> bool:
        return is_conflicted(self.affiliations.get(user_id, ()), self.recusals.get(user_id, ()), agency_ids, at,
                             self.lineage, months=self.months)
