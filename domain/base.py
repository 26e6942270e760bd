"""What every aggregate of the ledger shares: the command context, envelope bookkeeping,
obligations carried by ``deadline_refs``, and corrections (EventCorrected / EventVoided, §4.10)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain import errors
from domain.envelope import Meta, check_approvals, stored_meta
from domain.values import Actor

ENTITY_KEYS = ("notice_id", "transfer_id", "interview_id", "assignment_id", "evidence_id", "finding_id",
               "objection_id", "accountability_id", "commitment_id", "case_file_id", "problem_id", "request_id",
               "obligation_id", "notification_id")
STRUCTURAL_FIELDS = frozenset({"outcome", "result", "conclusion", "closure_type", "decision", "status",
                               "notice_type", "transfer_kind", "target_type", "channel", "completion",
                               "feedback_kind", "delivery", "batch_kind", "procedure", "reason_code", "doc_number",
                               "clue_no", "case_no", "batch_no", "recon_no", "role_on_clue", "final"})
CORRECTION_EVENTS = ("EventCorrected", "EventVoided")


RECORDING_AT: ContextVar[datetime | None] = ContextVar("recording_at", default=None)


@contextmanager
def recording_at(when: datetime) -> Iterator[None]:
    """Events created inside get ``when`` as their recorded time (the library ``timestamp``)."""
    token = RECORDING_AT.set(when)
    try:
        yield
    finally:
        RECORDING_AT.reset(token)


def value_hash(value: Any) -> str:
    """sha256 of a JSON value, as EventCorrected's ``old_value_hash`` expects."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Cmd:
    """One command as an aggregate sees it: validated payload, envelope, who, and injected facts."""

    event: str
    data: dict[str, Any]
    meta: Meta
    actor: Actor
    recorded_at: datetime
    calendar: Any = None
    config: dict[str, Any] = field(default_factory=dict)
    is_conflicted: Callable[[str, Iterable[str], datetime], bool] = lambda user_id, agencies, at: False

    @property
    def at(self) -> datetime:
        return self.meta.occurred_at

    def with_event(self, name: str, data: dict[str, Any] | None = None) -> Cmd:
        return replace(self, event=name, data=self.data if data is None else data)


def require(condition: bool, error: type[errors.LedgerError], message: str) -> None:
    if not condition:
        raise error(message)


class LedgerAggregate(Aggregate):
    """Base of every stream. Each event's ``meta`` is the stored envelope (§3); ``data`` its payload."""

    stream_type: ClassVar[str] = ""
    default_sensitivity: ClassVar[str] = "S1"

    class Event(Aggregate.Event):
        @staticmethod
        def create_timestamp() -> datetime:
            """``recorded_at``: the command layer's clock for this command (see ``recording_at``)."""
            return RECORDING_AT.get() or Aggregate.Event.create_timestamp()

        def apply(self, aggregate: Any) -> None:
            super().apply(aggregate)
            aggregate._book(self)

    @classmethod
    def create_id(cls, data: dict[str, Any], meta: dict[str, Any]) -> UUID:
        return UUID(meta["stream_id"]) if meta.get("stream_id") else uuid4()

    def _init_parts(self) -> None:
        """Sub-entity tables of the stream; mixins extend it (and call ``super()``)."""

    # -- bookkeeping run after every event body (on write and on every replay) --------------
    def _book(self, ev: Any) -> None:
        meta, data = ev.meta, getattr(ev, "data", {})
        if not hasattr(self, "index"):
            self.index: dict[str, dict[str, Any]] = {}
            self.obligations: dict[str, dict[str, Any]] = {}
            self.corrections: dict[str, list[dict[str, Any]]] = {}
            self.voided: set[str] = set()
        name = type(ev).__name__
        self.index[meta["event_id"]] = {"type": name, "version": ev.originator_version,
                                        "occurred_at": meta["occurred_at"], "data": data}
        self.last_occurred_at = meta["occurred_at"]
        for ref in meta.get("deadline_refs", ()):
            self._apply_ref(ref, meta)

    def _apply_ref(self, ref: dict[str, Any], meta: dict[str, Any]) -> None:
        oid, effect = ref["obligation_id"], ref["effect"]
        if effect == "start":
            self.obligations[oid] = {**{k: v for k, v in ref.items() if k != "effect"}, "status": "open",
                                     "original_due_at": ref.get("due_at"), "extensions": 0,
                                     "start_event_id": meta["event_id"]}
            return
        ob = self.obligations.get(oid)
        if ob is None:
            return
        if effect == "complete":
            ob.update(status="completed", completed_at=meta["occurred_at"], completed_by_event_id=meta["event_id"])
        elif effect == "cancel":
            ob.update(status="cancelled", completed_at=meta["occurred_at"])
        elif effect == "extend":
            ob.update(due_at=ref["due_at"], due_date=ref.get("due_date"), extensions=ob["extensions"] + 1,
                      extension_pending=False)
        elif effect == "request":
            ob.update(extension_pending=True)
        elif effect == "deny":
            ob.update(extension_pending=False, extensions_denied=ob.get("extensions_denied", 0) + 1)
        elif effect == "pause":
            ob.update(status="paused", paused_at=meta["occurred_at"])
        elif effect == "resume":
            ob.update(status="open", due_at=ref.get("due_at", ob["due_at"]), due_date=ref.get("due_date"))

    # -- writing -------------------------------------------------------------------------------
    @classmethod
    def make_meta(cls, cmd: Cmd, *, refs: Iterable[dict[str, Any]] = (), event_id: str | None = None,
                  sensitivity: str | None = None, stream_id: UUID | None = None) -> dict[str, Any]:
        meta = stored_meta(cmd.meta, cmd.actor, sensitivity=sensitivity or cls.default_sensitivity,
                           event_id=event_id or str(uuid4()))
        meta["stream_type"] = cls.stream_type
        refs = list(refs)
        if refs:
            meta["deadline_refs"] = refs
        if stream_id is not None:
            meta["stream_id"] = str(stream_id)
        return meta

    def approve(self, cmd: Cmd, *, excluded: tuple[str | None, ...] = (), needed: int = 1,
                agencies: Iterable[str] = ()) -> None:
        """Four-eyes check (rules 10, 12); conflict is looked up for the stream's agencies."""
        agencies = list(agencies)
        conflicted = frozenset(a.approver_user_id for a in cmd.meta.approvals
                               if agencies and cmd.is_conflicted(a.approver_user_id, agencies, cmd.at))
        check_approvals(cmd.meta, cmd.actor, excluded=excluded, conflicted=conflicted, needed=needed)

    def check_after(self, cmd: Cmd, predecessor_at: str | None) -> None:
        """Rule 16: an event may not occur before the event it depends on."""
        if predecessor_at and cmd.at < datetime.fromisoformat(predecessor_at):
            raise errors.OccurredBeforePredecessor(
                f"occurred_at {cmd.at.isoformat()} is before the event it follows ({predecessor_at})")

    def open_obligations(self, *types: str, subject: str | None = None) -> list[dict[str, Any]]:
        return [ob for ob in self.obligations.values()
                if ob["status"] in ("open", "paused") and (not types or ob["type"] in types)
                and (subject is None or ob.get("subject") == subject)]

    def closing_refs(self, *types: str, subject: str | None = None, effect: str = "complete") -> list[dict[str, Any]]:
        return [{"obligation_id": ob["obligation_id"], "effect": effect}
                for ob in self.open_obligations(*types, subject=subject)]

    # -- corrections (§4.10) ----------------------------------------------------------------------
    def correct_event(self, cmd: Cmd) -> None:
        target = self._correction_target(cmd)
        self.approve(cmd)
        for change in cmd.data["changes"]:
            path = change["path"].split(".")
            if path[0] in STRUCTURAL_FIELDS or path[-1] in STRUCTURAL_FIELDS or path[-1].endswith(("_id", "_ids")):
                raise errors.CorrectionOfStructuralField(f"{change['path']} decides status or identity; "
                                                         "use a domain event (ClueReopened, NoticeWithdrawn…)")
            old = _lookup(target["data"], path)
            if value_hash(old) != change["old_value_hash"]:
                raise errors.ValidationFailed(f"old_value_hash of {change['path']} does not match the stored value")
        self._event_corrected(cmd.data, self.make_meta(cmd))

    @event("EventCorrected")
    def _event_corrected(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.corrections.setdefault(data["target_event_id"], []).append(data)

    def void_event(self, cmd: Cmd) -> None:
        target = self._correction_target(cmd)
        self.approve(cmd)
        if target["type"] in self.status_events() or self._dependents(target):
            raise errors.VoidHasDependents(f"later events depend on {target['type']} v{target['version']}")
        self._event_voided(cmd.data, self.make_meta(cmd))

    @event("EventVoided")
    def _event_voided(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.voided.add(data["target_event_id"])

    def status_events(self) -> frozenset[str]:
        """Event types that change a stream's status: never voided (fix them with domain events)."""
        return frozenset()

    def _correction_target(self, cmd: Cmd) -> dict[str, Any]:
        target = self.index.get(str(cmd.data["target_event_id"]))
        require(target is not None, errors.NotFound, f"no event {cmd.data['target_event_id']} in this stream")
        require(target["type"] not in CORRECTION_EVENTS, errors.InvalidTransition, "corrections are not corrected")
        require(str(cmd.data["target_event_id"]) not in self.voided, errors.InvalidTransition, "event is voided")
        return target

    def _dependents(self, target: dict[str, Any]) -> list[str]:
        keys = {(k, target["data"].get(k)) for k in ENTITY_KEYS if target["data"].get(k)}
        return [eid for eid, e in self.index.items()
                if e["version"] > target["version"] and e["type"] not in CORRECTION_EVENTS
                and any(e["data"].get(k) == v for k, v in keys)]


def _lookup(data: Any, path: list[str]) -> Any:
    for part in path:
        if isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        elif isinstance(data, dict) and part in data:
            data = data[part]
        else:
            raise errors.ValidationFailed(f"path {'.'.join(path)} does not exist in the target event")
    return data
