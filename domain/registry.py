"""Registry, users and configuration (domain.md §4.8): the ``Org``, ``User`` and ``Config`` aggregates.

Streams are addressed by natural key (uuid5), so a command can name them without a lookup:
``org_stream_id(org_code)``, ``user_stream_id(user_id)``, ``config_stream_id(bureau)``.

Decisions:
- "never to oneself": an actor registering or granting/revoking a role of *their own* user is
  ``NOT_AUTHORIZED`` (rule 22, the role lacks that permission); an approver who is the user concerned
  is ``SELF_APPROVAL_FORBIDDEN`` (rule 10), as for any approver who is a party.
- ``OrgRestructured`` (机构改革, ``predecessor_ids → successor_id``) is recorded on the successor's stream.
- ``Config`` has no creating event of its own: its first ``ConfigChanged`` or ``CalendarYearPublished``
  creates the stream (``Config.opener`` names the classmethod; see ``OpeningEvent``).
- A config change never reaches back: it takes effect at ``max(effective_from 00:00, occurred_at)``.
- Registry events are S1 (§10); none of them may be voided (fix them with a later event).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import CanInitAggregate, CanMutateAggregate, event
from eventsourcing.utils import get_topic

from domain import errors
from domain.base import Cmd, LedgerAggregate, require
from domain.calendar import WorkCalendar
from domain.conflicts import CONFIG_KEY as LOOKBACK_KEY
from domain.deadlines import BUSINESS_TZ, DEADLINE_RULES, PeriodSpec
from domain.envelope import check_approvals


def org_stream_id(org_code: str) -> UUID:
    return uuid5(NAMESPACE_URL, "svledger:org:" + org_code)


def user_stream_id(user_id: str) -> UUID:
    return uuid5(NAMESPACE_URL, "svledger:user:" + user_id)


def config_stream_id(bureau: str) -> UUID:
    return uuid5(NAMESPACE_URL, "svledger:config:" + bureau)


def natural_stream_id(cmd: Cmd, natural: UUID) -> UUID:
    """The stream a creating command writes to; a ``meta.stream_id`` given by the caller must match."""
    require(cmd.meta.stream_id in (None, natural), errors.ValidationFailed,
            f"this stream is addressed by its natural key: stream_id must be {natural}")
    return natural


def business_date(at: datetime) -> date:
    return at.astimezone(BUSINESS_TZ).date()


class OpeningEvent(LedgerAggregate.Event, CanInitAggregate):
    """An event that creates its stream when it is the stream's first, and appends otherwise.

    For streams without a creating event of their own (Config, AccessLog): create with
    ``cls._create(cls.X, id=..., data=..., meta=...)``, append with ``self._append(self.X, data, meta)``.
    Subclasses change state in ``apply`` (through a private method) and then call ``super().apply``.
    """

    originator_topic: str
    data: dict[str, Any]
    meta: dict[str, Any]

    def mutate(self, aggregate: Any) -> Any:
        if aggregate is None:
            return CanInitAggregate.mutate(self, None)
        return CanMutateAggregate.mutate(self, aggregate)


class OpenedStream(LedgerAggregate):
    """Base of streams opened by an ``OpeningEvent``."""

    opener: ClassVar[str] = ""  # classmethod that creates the stream with the command's event

    def _append(self, event_class: type[OpeningEvent], data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.trigger_event(event_class, data=data, meta=meta, originator_topic=get_topic(type(self)))


# -- Org ----------------------------------------------------------------------------------------------
class Org(LedgerAggregate):
    stream_type = "Org"
    default_sensitivity = "S1"

    @classmethod
    def register(cls, cmd: Cmd, stream_id: UUID | None = None) -> Org:
        sid = natural_stream_id(cmd, org_stream_id(cmd.data["org_code"]))
        return cls(data=cmd.data, meta=cls.make_meta(cmd, stream_id=sid))

    @event("OrgRegistered")
    def __init__(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.org_code, self.name_zh = data["org_code"], data["name_zh"]
        self.org_type, self.parent_org_id = data["org_type"], data.get("parent_org_id")
        self.is_supervised, self.active = data["is_supervised"], True
        self.predecessor_ids: list[str] = []
        self._init_parts()

    def status_events(self) -> frozenset[str]:
        return frozenset({"OrgRegistered", "OrgRenamed", "OrgRestructured", "OrgDeactivated"})

    def _active(self) -> None:
        require(self.active, errors.InvalidTransition, f"org {self.org_code} is deactivated")

    def rename(self, cmd: Cmd) -> None:
        self._active()
        self.approve(cmd)
        self._renamed(cmd.data, self.make_meta(cmd))

    @event("OrgRenamed")
    def _renamed(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.name_zh = data["name_zh"]

    def restructure(self, cmd: Cmd) -> None:
        self._active()
        preds = cmd.data["predecessor_ids"]
        require(cmd.data["successor_id"] == self.org_code, errors.ValidationFailed,
                "OrgRestructured is recorded on the successor's stream")
        require(self.org_code not in preds and len(set(preds)) == len(preds), errors.ValidationFailed,
                "predecessor_ids must be distinct and exclude the successor")
        self.approve(cmd)
        self._restructured(cmd.data, self.make_meta(cmd))

    @event("OrgRestructured")
    def _restructured(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.predecessor_ids = list(dict.fromkeys([*self.predecessor_ids, *data["predecessor_ids"]]))

    def deactivate(self, cmd: Cmd) -> None:
        self._active()
        self.approve(cmd)
        self._deactivated(cmd.data, self.make_meta(cmd))

    @event("OrgDeactivated")
    def _deactivated(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.active = False


# -- User ---------------------------------------------------------------------------------------------
def _not_self(cmd: Cmd) -> None:
    require(cmd.actor.user_id != cmd.data["user_id"], errors.NotAuthorized,
            "nobody registers themselves or grants/revokes their own roles")


def _role_key(data: dict[str, Any]) -> str:
    return f"{data['role']}@{data.get('scope_org_id') or '*'}"


class User(LedgerAggregate):
    stream_type = "User"
    default_sensitivity = "S1"

    @classmethod
    def register(cls, cmd: Cmd, stream_id: UUID | None = None) -> User:
        _not_self(cmd)
        check_approvals(cmd.meta, cmd.actor, excluded=(cmd.data["user_id"],))
        sid = natural_stream_id(cmd, user_stream_id(cmd.data["user_id"]))
        return cls(data=cmd.data, meta=cls.make_meta(cmd, stream_id=sid))

    @event("UserRegistered")
    def __init__(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.user_id, self.org_id = data["user_id"], data["org_id"]
        self.display_name = data.get("display_name")
        self.roles: dict[str, dict[str, Any]] = {}
        self.liaison_org_ids: list[str] = []
        self.affiliations: list[dict[str, Any]] = []
        self._init_parts()

    def status_events(self) -> frozenset[str]:
        return frozenset({"UserRegistered", "RoleGranted", "RoleRevoked", "LiaisonAppointed", "LiaisonRevoked",
                          "StaffAffiliationRecorded", "StaffAffiliationEnded"})

    def has_role(self, role: str, scope_org_id: str | None = None) -> bool:
        return any(r["role"] == role and r.get("scope_org_id") in (None, scope_org_id) for r in self.roles.values())

    def _mine(self, cmd: Cmd) -> None:
        require(cmd.data["user_id"] == self.user_id, errors.ValidationFailed,
                f"user_id {cmd.data['user_id']} does not match this stream ({self.user_id})")

    # -- roles (AD, 4E, never to oneself) --
    def grant_role(self, cmd: Cmd) -> None:
        self._mine(cmd)
        _not_self(cmd)
        require(_role_key(cmd.data) not in self.roles, errors.InvalidTransition, "the user already holds this role")
        self.approve(cmd, excluded=(self.user_id,))
        self._role_granted(cmd.data, self.make_meta(cmd))

    @event("RoleGranted")
    def _role_granted(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.roles[_role_key(data)] = {"role": data["role"], "scope_org_id": data.get("scope_org_id"),
                                       "since": meta["occurred_at"]}

    def revoke_role(self, cmd: Cmd) -> None:
        self._mine(cmd)
        _not_self(cmd)
        require(_role_key(cmd.data) in self.roles, errors.InvalidTransition, "the user does not hold this role")
        self.approve(cmd, excluded=(self.user_id,))
        self._role_revoked(cmd.data, self.make_meta(cmd))

    @event("RoleRevoked")
    def _role_revoked(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.roles.pop(_role_key(data), None)

    # -- liaisons (AD) --
    def appoint_liaison(self, cmd: Cmd) -> None:
        self._mine(cmd)
        require(cmd.data["org_id"] not in self.liaison_org_ids, errors.InvalidTransition, "already liaison")
        self._liaison_appointed(cmd.data, self.make_meta(cmd))

    @event("LiaisonAppointed")
    def _liaison_appointed(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.liaison_org_ids.append(data["org_id"])

    def revoke_liaison(self, cmd: Cmd) -> None:
        self._mine(cmd)
        require(cmd.data["org_id"] in self.liaison_org_ids, errors.InvalidTransition, "not a liaison of this org")
        self._liaison_revoked(cmd.data, self.make_meta(cmd))

    @event("LiaisonRevoked")
    def _liaison_revoked(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.liaison_org_ids.remove(data["org_id"])

    # -- affiliations (AD, or the staff member's own declaration) --
    def _declarer(self, cmd: Cmd) -> bool:
        """True when the staff member declares for themselves; an admin may record for anyone."""
        self._mine(cmd)
        if cmd.actor.role == "admin":
            return False
        require(cmd.actor.user_id == self.user_id, errors.NotAuthorized,
                "staff may only declare their own affiliations")
        return True

    def open_affiliation(self, org_id: str, kind: str, since: str | None = None) -> dict[str, Any] | None:
        return next((a for a in self.affiliations if a["org_id"] == org_id and a["kind"] == kind
                     and a.get("to") is None and since in (None, a["from"])), None)

    def record_affiliation(self, cmd: Cmd) -> None:
        self._declarer(cmd)
        d = cmd.data
        require(d.get("to") is not None or self.open_affiliation(d["org_id"], d["kind"]) is None,
                errors.InvalidTransition, "an open affiliation of this kind with this org exists: end it first")
        self._affiliation_recorded(d, self.make_meta(cmd))

    @event("StaffAffiliationRecorded")
    def _affiliation_recorded(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.affiliations.append({"org_id": data["org_id"], "kind": data["kind"], "from": data["from"],
                                  "to": data.get("to"), "recorded_by": meta["actor"]["user_id"]})

    def end_affiliation(self, cmd: Cmd) -> None:
        by_self = self._declarer(cmd)
        d = cmd.data
        aff = self.open_affiliation(d["org_id"], d["kind"], d.get("from"))
        require(aff is not None, errors.NotFound, "no open affiliation of this kind with this org")
        require(d["to"] >= aff["from"], errors.ValidationFailed, "to is before the affiliation's from")
        require(not by_self or date.fromisoformat(d["to"]) >= business_date(cmd.at), errors.ValidationFailed,
                "only an admin may end an affiliation retroactively")
        self._affiliation_ended({**d, "from": aff["from"]}, self.make_meta(cmd))

    @event("StaffAffiliationEnded")
    def _affiliation_ended(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        aff = self.open_affiliation(data["org_id"], data["kind"], data["from"])
        if aff is not None:
            aff["to"] = data["to"]


# -- Config (singleton per bureau) ---------------------------------------------------------------------
def _effective_at(data: dict[str, Any], meta: dict[str, Any]) -> datetime:
    start = datetime.combine(date.fromisoformat(data["effective_from"]), time(0), BUSINESS_TZ)
    return max(start, datetime.fromisoformat(meta["occurred_at"]))


def _moment(at: datetime | date) -> datetime:
    return at if isinstance(at, datetime) else datetime.combine(at, time(0), BUSINESS_TZ)


class Config(OpenedStream):
    """Configuration values (keys as ``deadlines.rule_for`` reads them) and published calendar years."""

    stream_type = "Config"
    default_sensitivity = "S1"
    opener = "open"

    def __init__(self) -> None:
        self.changes: list[dict[str, Any]] = []
        self.years: dict[int, dict[str, Any]] = {}
        self._init_parts()

    class ConfigChanged(OpeningEvent):
        def apply(self, aggregate: Any) -> None:
            aggregate._config_changed(self.data, self.meta)
            super().apply(aggregate)

    class CalendarYearPublished(OpeningEvent):
        def apply(self, aggregate: Any) -> None:
            aggregate._year_published(self.data, self.meta)
            super().apply(aggregate)

    @classmethod
    def open(cls, cmd: Cmd, stream_id: UUID) -> Config:
        """Create the stream with this command's event (its first ConfigChanged or CalendarYearPublished)."""
        require(cmd.event in ("ConfigChanged", "CalendarYearPublished"), errors.ValidationFailed,
                f"{cmd.event} does not open a Config stream")
        cls._validate(cmd)
        check_approvals(cmd.meta, cmd.actor)
        meta = cls.make_meta(cmd, stream_id=stream_id)
        return cls._create(getattr(cls, cmd.event), id=stream_id, data=cmd.data, meta=meta)

    @staticmethod
    def _validate(cmd: Cmd) -> None:
        if cmd.event == "CalendarYearPublished":
            WorkCalendar.fallback_only().with_published(cmd.data)  # dates in the year, no day both ways
        elif cmd.data["key"].split(".")[0] in DEADLINE_RULES:
            PeriodSpec.from_dict(cmd.data["value"])  # "type" / "type.variant" → a PeriodSpec (deadlines.rule_for)
        elif cmd.data["key"] == LOOKBACK_KEY:
            value = cmd.data["value"]
            require(type(value) is int and 1 <= value <= 120, errors.ValidationFailed,
                    f"{LOOKBACK_KEY} is a number of months (1–120)")

    def status_events(self) -> frozenset[str]:
        return frozenset({"ConfigChanged", "CalendarYearPublished"})

    def change(self, cmd: Cmd) -> None:
        self._validate(cmd)
        self.approve(cmd)
        self._append(self.ConfigChanged, cmd.data, self.make_meta(cmd))

    def _config_changed(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.changes.append({"key": data["key"], "value": data["value"], "effective_from": data["effective_from"],
                             "effective_at": _effective_at(data, meta), "event_id": meta["event_id"]})

    def publish_calendar_year(self, cmd: Cmd) -> None:
        self._validate(cmd)
        self.approve(cmd)
        self._append(self.CalendarYearPublished, cmd.data, self.make_meta(cmd))

    def _year_published(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.years[int(data["year"])] = dict(data)  # a later publication of a year replaces it

    # -- reading --
    def value_at(self, key: str, at: datetime | date, default: Any = None) -> Any:
        """The value of ``key`` in force at business time ``at`` (a date means its 00:00 +08:00)."""
        moment, found = _moment(at), None
        for change in self.changes:  # version order: among equal effective times the later wins
            if change["key"] == key and change["effective_at"] <= moment and (
                    found is None or change["effective_at"] >= found["effective_at"]):
                found = change
        return default if found is None else found["value"]

    def values_at(self, at: datetime | date) -> dict[str, Any]:
        """Every key in force at ``at`` (what the command layer passes as ``Cmd.config``)."""
        keys = dict.fromkeys(c["key"] for c in self.changes)
        values = {k: self.value_at(k, at, _MISSING) for k in keys}
        return {k: v for k, v in values.items() if v is not _MISSING}

    def calendar_years(self) -> list[dict[str, Any]]:
        """The published years (CalendarYearPublished payloads, latest per year), by year."""
        return [self.years[y] for y in sorted(self.years)]

    def work_calendar(self, base: WorkCalendar | None = None) -> WorkCalendar:
        """``base`` (default: the shipped calendar) with every published year applied."""
        cal = base if base is not None else WorkCalendar.default()
        for payload in self.calendar_years():
            cal = cal.with_published(payload)
        return cal


_MISSING = object()


def lineage_of(orgs: Iterable[Org]) -> dict[str, list[str]]:
    """successor org_code → predecessor org_codes, as ``conflicts`` takes it."""
    return {o.org_code: list(o.predecessor_ids) for o in orgs if o.predecessor_ids}
