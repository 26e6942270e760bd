"""A dataset as a plan: every command with its business time and recorded time, executed through the
command layer (``Script``) in recorded-time order, so that the notification log is in ``recorded_at``
order whatever the order in which the plan was written (clue by clue, batch by batch …).

Everything is deterministic: stream ids, entity ids, document hashes, person tokens and idempotency
keys derive from the profile name and a label (uuid5 / sha256), so loading a plan twice into the same
database records nothing the second time (the command layer answers each repeated key with its
first result).
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from datetime import time as dtime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.calendar import WorkCalendar
from domain.deadlines import BUSINESS_TZ
from infra.ledger import Ledger
from infra.script import Script

CST = BUSINESS_TZ
SYSTEM_ROLES = ("system_scheduler", "system_api")
OPENING, CLOSING = dtime(8, 30), dtime(17, 30)
CALENDAR = WorkCalendar.default()
Input = dict[str, Any] | Callable[[Ledger], dict[str, Any]]


def t(text: str) -> datetime:
    """'2024-01-15 09:10' (or '2024-01-15T09:10') in business time (+08:00)."""
    return datetime.fromisoformat(text).replace(tzinfo=CST)


def d(text: str) -> date:
    return date.fromisoformat(text)


def working_days(start: date | str, end: date | str) -> list[date]:
    """The working days from ``start`` to ``end`` inclusive (调休 days count, holidays do not)."""
    day, last = (d(x) if isinstance(x, str) else x for x in (start, end))
    days = []
    while day <= last:
        if CALENDAR.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def actor(user_id: str, role: str, org_id: str) -> dict[str, str]:
    return {"user_id": user_id, "role": role, "org_id": org_id}


@dataclass
class Step:
    order: int
    command: str
    input: Input
    at: datetime
    actor: dict[str, str]
    stream: UUID
    key: str
    approvers: list[dict[str, str]] = field(default_factory=list)
    recorded: datetime | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    lazy_meta: Callable[[Ledger], dict[str, Any]] | None = None  # meta read from the ledger when run


class Plan:
    """Collects steps; ``run`` executes them sorted by recorded time (stable)."""

    def __init__(self, profile: str, *, delay: timedelta = timedelta(minutes=3),
                 import_at: datetime | None = None, import_backdate: dict[str, str] | None = None,
                 slot_start: dtime = dtime(8, 40), slot_step: timedelta = timedelta(minutes=2)) -> None:
        self.profile = profile
        self.delay = delay
        # import mode (fixtures): every event is recorded at the import session, in business-time order
        self.import_at, self.import_backdate = import_at, import_backdate
        self.steps: list[Step] = []
        self.slot_start, self.slot_step = slot_start, slot_step
        self._slots: dict[date, int] = defaultdict(int)
        self._labels: dict[str, int] = defaultdict(int)
        self.ids: dict[str, Any] = {}

    # -- deterministic values ---------------------------------------------------------------------
    def uid(self, *parts: Any) -> UUID:
        return uuid5(NAMESPACE_URL, "svledger:" + ":".join([self.profile, *map(str, parts)]))

    def sid(self, *parts: Any) -> str:
        return str(self.uid(*parts))

    def token(self, *parts: Any) -> str:
        """A vault person token (``pt_`` + 26 base32 characters); derived from a label, never from identity."""
        digest = hashlib.sha256(":".join([self.profile, "token", *map(str, parts)]).encode()).digest()
        return "pt_" + base64.b32encode(digest).decode().lower()[:26]

    def doc(self, name: str, key: str, *, number: str | None = None, doc_type: str = "document",
            sensitivity: str = "S1", size: int | None = None, mime: str = "application/pdf") -> dict[str, Any]:
        """A DocRef (hashes only; the file lives in the document system)."""
        seed = f"{self.profile}:doc:{key}:{name}:{number or ''}"
        digest = hashlib.sha256(seed.encode()).hexdigest()
        ref = {"doc_id": digest[:24], "name": name, "doc_type": doc_type,
               "content_hash": hashlib.sha256(("content:" + seed).encode()).hexdigest(),
               "size_bytes": size or 20_000 + int(digest[24:30], 16) % 400_000, "mime": mime,
               "storage_ref": f"dms://{self.profile}/{digest[30:46]}", "sensitivity": sensitivity}
        if number:
            ref["doc_number"] = number
        return ref

    def slot(self, day: date | str) -> datetime:
        """The next free business time of ``day`` (08:40, 08:42 …), for bulk records."""
        day = d(day) if isinstance(day, str) else day
        n = self._slots[day]
        self._slots[day] += 1
        at = datetime.combine(day, self.slot_start, CST) + n * self.slot_step
        if at.time() > CLOSING:
            raise ValueError(f"too many records planned on {day}")
        return at

    # -- planning -----------------------------------------------------------------------------------
    def add(self, command: str, input: Input, *, at: datetime, actor: dict[str, str], stream: UUID | str,
            approvers: Iterable[dict[str, str]] = (), recorded: datetime | None = None, key: str | None = None,
            lazy_meta: Callable[[Ledger], dict[str, Any]] | None = None, scope: str | None = None,
            **meta: Any) -> Step:
        """Plan a command. ``key`` labels it (default: stream, command and a counter); the idempotency key
        derives from the label and ``scope`` (default: the profile; shared scopes let two plans record the
        same registry entries once)."""
        stream = UUID(str(stream))
        label = key or f"{stream}:{command}"
        self._labels[label] += 1
        if key is None:
            label = f"{label}:{self._labels[label]}"
        elif self._labels[label] > 1:
            raise ValueError(f"key {key} planned twice")
        idempotency_key = str(uuid5(NAMESPACE_URL, f"svledger:{scope or self.profile}:key:{label}"))
        step = Step(len(self.steps), command, input, at, actor, stream, idempotency_key, list(approvers), recorded,
                    meta, lazy_meta)
        self.steps.append(step)
        return step

    def _recorded(self) -> list[Step]:
        """Steps in execution order with their recorded time set."""
        if self.import_at is None:
            for s in self.steps:
                if s.recorded is None:
                    s.recorded = s.at + self.delay
            return sorted(self.steps, key=lambda s: (s.recorded, s.order))
        ordered = sorted(self.steps, key=lambda s: (s.at, s.order))
        for i, s in enumerate(ordered):
            s.recorded = self.import_at + timedelta(milliseconds=250 * i)
            if self.import_backdate and "backdate" not in s.meta:
                s.meta["backdate"] = dict(self.import_backdate)
        return ordered

    def check(self) -> list[Step]:
        """Validate the plan (working hours, per-stream order) and return the execution order."""
        ordered = self._recorded()
        last: dict[UUID, tuple[datetime, datetime]] = {}
        for s in self.steps:  # in planned order: each stream's steps must be planned in causal order
            if s.actor["role"] not in SYSTEM_ROLES:
                local = s.at.astimezone(CST)
                if not CALENDAR.is_working_day(local.date()) or not OPENING <= local.time() <= CLOSING:
                    raise ValueError(f"{s.command} of {s.key} at {local} is outside working hours")
            prev = last.get(s.stream)
            if prev is not None and (s.at < prev[0] or s.recorded <= prev[1]):
                raise ValueError(f"{s.command} at {s.at} is planned out of order in stream {s.stream}")
            last[s.stream] = (s.at, s.recorded)
        return ordered

    # -- execution ------------------------------------------------------------------------------------
    def run(self, ledger: Ledger, progress: Callable[[int, int], Any] | None = None) -> dict[str, Any]:
        ordered = self.check()
        script = Script(ledger, self.profile, record_delay=self.delay)
        started, new_steps, new_events, total = time.perf_counter(), 0, 0, len(ordered)
        for n, s in enumerate(ordered, 1):
            data = s.input(ledger) if callable(s.input) else s.input
            meta = {"idempotency_key": s.key, **s.meta, **(s.lazy_meta(ledger) if s.lazy_meta else {})}
            try:
                result = script.run(s.command, data, at=s.at, actor=s.actor, stream=s.stream,
                                    approvers=s.approvers, recorded=s.recorded.astimezone(timezone.utc), **meta)
            except Exception as exc:  # keep the ledger's error (and its code); say which step failed
                exc.add_note(f"{self.profile}: step {s.command} at {s.at.isoformat()} (stream {s.stream})")
                raise
            if not result.get("repeated"):
                new_steps += 1
                new_events += len(result["events"])
            if progress is not None:
                progress(n, total)
        return {"profile": self.profile, "commands": total, "recorded_commands": new_steps,
                "recorded_events": new_events, "seconds": round(time.perf_counter() - started, 2), **self.ids}


def obligation_of(ledger: Ledger, stream: UUID, ob_type: str, subject: str | None = None) -> dict[str, Any]:
    """An obligation of a stream as its aggregate holds it (ids derive from stored event ids)."""
    agg = ledger.load(stream)
    found = [ob for ob in agg.obligations.values()
             if ob["type"] == ob_type and (subject is None or ob.get("subject") == subject)]
    if not found:
        raise LookupError(f"no {ob_type} obligation on {stream}")
    return found[0]
