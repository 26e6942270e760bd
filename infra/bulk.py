"""Bulk import through the domain rules (``BulkSession``): the benchmark profiles (``stress``, ``scale``) and
any large import that must still obey every rule of §5.3.

Per command it does what ``Ledger.execute`` does — spec lookup, payload/meta/actor validation
(``parse_command``), the role check (rule 22), PII (rule 20), timing against the given ``now`` (rule 16),
the expected version (rule 2) and every domain guard, because each event still comes out of the aggregate's
guard method (``Ledger._decide`` is called as is, over streams kept in memory) — and it claims numbers
(rule 21, gapless clue/case/batch numbers). What differs:

- aggregates stay in memory between commands (an LRU cache; registry and config streams are pinned), so a
  command does not reload its stream;
- the events of many commands are saved together, in execution order, every ``flush_every`` events, with
  one ``ledger.events.put(...)`` (their number claims and hash-chain rows in the same transaction);
- gapless numbers come from per-prefix counters started from ``recorder.count_claims`` (``fill_numbers``
  counts in the database and would not see claims that are not flushed yet); other claims (文号, 复议案号)
  are checked against this session's claims and the database before the command is accepted;
- **no idempotency rows**: a bulk import is not retried command by command. ``meta.idempotency_key`` is
  still required and validated, but not stored, so a repeated command is *not* recognised. The import as a
  whole is the unit of retry: give ``first_stream`` (the import's first, deterministic stream) and the
  session refuses to start (``STALE_VERSION``) when that stream exists, i.e. when the import was already
  recorded, completely or partly. A failed flush records nothing of that flush (one transaction) but the
  earlier flushes stay: restart the (deterministic) import on a fresh database.

On a store that held no event when the session started (an import into a fresh database, as the profiles
do), "does this stream exist?" and "is this number taken?" are answered from what the session itself recorded,
without a query per new stream or claimed number: nothing else can be there, since a concurrent writer is not
supported (below), and a stream or number a concurrent writer took anyway still makes the flush fail on the
store's keys, as a number taken between a command's check and its flush always did.

A refused command raises its ``LedgerError`` and records nothing; the session stays usable (aggregates that
the failed command touched are rebuilt from the store and this session's unflushed events). A bulk import is the
only writer of its streams while it runs: a concurrent write to one of them makes a later flush fail
(``STALE_VERSION``), and the session then accepts nothing more.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, project_aggregate
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError
from eventsourcing.utils import get_topic

from domain import errors
from domain.base import Cmd, recording_at
from domain.calendar import WorkCalendar
from domain.catalogue import CommandSpec
from domain.claims import NUMBER_FIELDS, claims_for, format_number, number_prefix
from domain.conflicts import CONFIG_KEY as LOOKBACK_KEY
from domain.conflicts import LOOKBACK_MONTHS, ConflictIndex
from domain.deadlines import BUSINESS_TZ
from domain.envelope import check_no_pii, check_timing
from domain.registry import User, config_stream_id, org_stream_id, user_stream_id
from infra.context import CommandContext
from infra.inputs import parse_command
from infra.ledger import AUTO_NUMBERED, CORRECTION_EVENTS, Ledger

PINNED = frozenset({"Org", "User", "Config"})  # read by other commands (conflicts, calendar): never evicted
_ABSENT = object()


class BulkSession:
    """Record many commands through the domain rules, saving every ``flush_every`` events in one transaction.

    ``execute`` has ``Ledger.execute``'s signature (``now`` is required: a bulk import states its clock) and
    returns ``{event_id, stream_id, version, event_type, events}`` (no ``position``/``event_hash`` before the
    flush). ``progress(recorded_events)`` is called after every flush. Use as a context manager (flushes on a
    normal exit) or call ``flush()`` at the end."""

    def __init__(self, ledger: Ledger, flush_every: int = 2000, *, first_stream: UUID | None = None,
                 max_cached: int = 8000, progress: Callable[[int], Any] | None = None) -> None:
        self.ledger = ledger
        self.flush_every = max(1, flush_every)
        self.max_cached = max_cached
        self.progress = progress
        if first_stream is not None and ledger._exists(first_stream):
            raise errors.StaleVersion(f"stream {first_stream} exists: this import was already recorded (completely or "
                                      "partly); a bulk import is not resumed command by command — load it into a "
                                      "fresh database")
        self._cache: OrderedDict[UUID, Any] = OrderedDict()  # stream id → aggregate (or _ABSENT)
        self._pending: list[Any] = []  # events not yet saved, in execution order
        self._claims: list[tuple[str, str, str]] = []  # their claims
        self._claimed: set[tuple[str, str]] = set()  # every claim of this session
        self._empty_store = not (ledger.recorder.max_notification_id() or 0)  # nothing recorded before this session
        self._written: set[UUID] = set()  # every stream this session recorded events in (flushed or not)
        self._counters: dict[tuple[str, str], int] = {}
        self._touched: list[Any] = []
        self._calendar_key: tuple[int, int] | None = None
        self._calendar: Any = None
        self._users: bool | None = None  # does any User stream exist (store, checked once, or this session)?
        self._view = _View(self)
        self.context = CommandContext(self._view)  # natural stream ids (Config, AccessLog of the day)
        self._config_id = config_stream_id(ledger.settings.bureau)
        self._failed = ""  # set when a flush failed: the session accepts nothing more
        self.recorded = 0  # events saved
        self.commands = 0  # commands accepted

    # -- the command ------------------------------------------------------------------------------------------
    def execute(self, command: str, input: dict[str, Any], meta: dict[str, Any], actor: dict[str, Any],
                *, now: datetime) -> dict[str, Any]:
        if self._failed:
            raise errors.StoreUnavailable(f"this bulk session stopped: {self._failed}")
        try:
            result = self._execute(command, input, meta, actor, now)
        except (OperationalError, InterfaceError) as exc:
            raise errors.StoreUnavailable(f"the event store cannot be reached: {exc}") from None
        if len(self._pending) >= self.flush_every:
            self.flush()
        return result

    def _execute(self, command: str, input: dict[str, Any], meta_in: dict[str, Any], actor_in: dict[str, Any],
                 now: datetime) -> dict[str, Any]:
        spec = self.ledger._spec(command)
        if spec.event in CORRECTION_EVENTS:
            meta_in = {**meta_in, "occurred_at": now.isoformat()}  # §4.10: a correction occurs when recorded
        parsed = parse_command(spec, input, meta_in, actor_in, self.ledger.settings.max_payload_bytes)
        meta, actor, data = parsed.meta, parsed.actor, parsed.data
        if actor.role not in spec.who:
            raise errors.NotAuthorized(f"{actor.role} may not {command} (§9)")
        check_no_pii(data, meta)
        check_timing(meta, now)
        stream_id = (meta.stream_id or self.context.natural_stream_id(spec, meta)
                     or (uuid4() if spec.creates else None))
        if stream_id is None:
            raise errors.ValidationFailed("meta.stream_id is required for this command")
        numbered, counter = self._number(spec, data, meta.occurred_at, actor.org_id)
        config = self._config()
        cmd = Cmd(event=spec.event, data=numbered, meta=meta, actor=actor, recorded_at=now,
                  calendar=self._work_calendar(config),
                  config=dict(config.values_at(meta.occurred_at)) if config is not None else {},
                  is_conflicted=self._is_conflicted)
        self._touched = []
        try:
            with recording_at(now):
                aggregates = Ledger._decide(self._view, spec, cmd, stream_id)  # type: ignore[arg-type]
            pending = [(agg, ev) for agg in aggregates for ev in agg.pending_events]
            claims = [(scope, value, str(ev.originator_id)) for _, ev in pending
                      for scope, value in claims_for(type(ev).__name__, ev.data, ev.meta)]
            self._check_claims(claims)
        except BaseException:
            self._repair()
            raise
        for agg in aggregates:
            agg.collect_events()
            self._remember(agg.id, agg)
            if agg.stream_type == "User":
                self._users = True
        self._pending.extend(ev for _, ev in pending)
        self._claims.extend(claims)
        self._claimed.update((scope, value) for scope, value, _ in claims)
        self._written.update(ev.originator_id for _, ev in pending)
        if counter is not None:
            self._counters[counter] += 1
        self.commands += 1
        main = [ev for agg, ev in pending if agg.id == stream_id and type(ev).__name__ == spec.event]
        last = main[-1] if main else pending[-1][1]
        return {"event_id": last.meta["event_id"], "stream_id": str(stream_id), "version": last.originator_version,
                "event_type": type(last).__name__,
                "events": [{"stream_id": str(ev.originator_id), "version": ev.originator_version,
                            "event_type": type(ev).__name__, "event_id": ev.meta["event_id"]} for _, ev in pending]}

    # -- numbers and claims (rule 21) ----------------------------------------------------------------------------
    def _number(self, spec: CommandSpec, data: dict[str, Any], occurred_at: datetime,
                bureau: str) -> tuple[dict[str, Any], tuple[str, str] | None]:
        """``CommandContext.fill_numbers`` over the session's counters (they see unflushed claims)."""
        if spec.event not in NUMBER_FIELDS:
            return data, None
        field = NUMBER_FIELDS[spec.event][0]
        prefix = number_prefix(spec.event, bureau or self.ledger.settings.bureau,
                               occurred_at.astimezone(BUSINESS_TZ).year)
        key = (field, prefix)
        recorder: Any = self.ledger.recorder
        if key not in self._counters:
            self._counters[key] = 0 if self._empty_store else recorder.count_claims(field, prefix)
        expected = format_number(spec.event, prefix, self._counters[key] + 1)
        given = data.get(field)
        if given and given != expected:
            if (field, given) in self._claimed or (not self._empty_store and recorder.claim_owner(field, given)):
                raise errors.DuplicateDocNumber(f"{given} is already used")
            raise errors.ValidationFailed(f"{field} is gapless per bureau and year: the next is {expected}")
        return {**data, field: expected}, key

    def _check_claims(self, claims: list[tuple[str, str, str]]) -> None:
        seen: set[tuple[str, str]] = set()
        for scope, value, _ in claims:
            taken = (scope, value) in self._claimed or (scope, value) in seen
            if not taken and scope not in AUTO_NUMBERED and not self._empty_store:  # auto numbers: counters above
                taken = bool(self.ledger.recorder.claim_owner(scope, value))  # type: ignore[attr-defined]
            if taken:
                raise errors.DuplicateDocNumber(f"{value} is already used ({scope})")
            seen.add((scope, value))

    # -- injected facts (as ``CommandContext`` gives them, but over this session's streams) -----------------------
    def _config(self) -> Any | None:
        """The bureau's Config stream with this session's unflushed events (``CommandContext`` reads the store's
        version per call, which neither sees them nor is cheap)."""
        agg = self._lookup(self._config_id)
        return None if agg is _ABSENT else agg

    def _work_calendar(self, config: Any | None) -> WorkCalendar:
        """``CommandContext.calendar``: the shipped calendar with every published year, per Config version."""
        key = (id(config), config.version) if config is not None else (0, 0)
        if key != self._calendar_key:
            calendar = WorkCalendar.default()
            for payload in (config.calendar_years() if config is not None else []):
                calendar = calendar.with_published(payload)
            self._calendar, self._calendar_key = calendar, key
        return self._calendar

    def _is_conflicted(self, user_id: str, agency_ids: Any, at: datetime) -> bool:
        """§10 回避 as ``CommandContext.is_conflicted`` decides it, over this session's User/Org streams (it sees
        unflushed registry events). While no User stream exists (the store is checked once, then this session
        knows), nobody is conflicted. The lookback is the configured one in force at ``at``."""
        if self._users is None:
            topic = get_topic(User.UserRegistered)
            self._users = bool(self.ledger.recorder.select_notifications(start=1, limit=1, topics=[topic]))
        if not self._users:
            return False
        agencies = list(agency_ids)
        user = self._lookup(_user_stream(user_id))
        if user is _ABSENT:
            return False
        orgs = [o for o in (self._lookup(_org_stream(a)) for a in agencies) if o is not _ABSENT]
        config = self._config()
        months = int(config.value_at(LOOKBACK_KEY, at, LOOKBACK_MONTHS) if config is not None else LOOKBACK_MONTHS)
        return ConflictIndex.from_states([user], orgs, months=months).check(user_id, agencies, at)

    # -- streams in memory ---------------------------------------------------------------------------------------
    def get(self, stream_id: UUID | str) -> Any:
        """The stream's current state (this session's unflushed events included); read it, never change it."""
        return self._view.load(UUID(str(stream_id)))

    def forget(self, stream_id: UUID | str) -> None:
        """The import is done with this stream: it is the first to leave memory after a flush (its unflushed events
        must stay until then; it is reloaded from the store if needed again)."""
        sid = UUID(str(stream_id))
        if sid in self._cache:
            self._cache.move_to_end(sid, last=False)

    def _remember(self, stream_id: UUID, agg: Any) -> None:
        self._cache[stream_id] = agg
        self._cache.move_to_end(stream_id)

    def _lookup(self, stream_id: UUID) -> Any:
        """The cached aggregate, ``_ABSENT`` if known not to exist, or loaded from the store."""
        agg = self._cache.get(stream_id)
        if agg is None:
            if self._empty_store and stream_id not in self._written:  # the store holds only what we wrote
                agg = _ABSENT
            else:
                try:
                    agg = self.ledger.repository.get(stream_id)
                except AggregateNotFoundError:
                    agg = _ABSENT
            self._cache[stream_id] = agg
        else:
            self._cache.move_to_end(stream_id)
        if agg is not _ABSENT:
            self._touched.append(agg)
        return agg

    def _repair(self) -> None:
        """A refused command may have left events on an aggregate (a guard failing after an earlier event of
        the same command): rebuild such aggregates from the store plus this session's unflushed events."""
        for agg in self._touched:
            if agg.pending_events:
                agg.collect_events()
                self._cache.pop(agg.id, None)
                stored = list(self.ledger.events.get(agg.id))
                rebuilt = project_aggregate(None, [*stored, *(e for e in self._pending if e.originator_id == agg.id)])
                self._cache[agg.id] = rebuilt if rebuilt is not None else _ABSENT
        self._touched = []

    # -- saving ------------------------------------------------------------------------------------------------
    def flush(self) -> int:
        """Save the pending events (and their claims and hash rows) in one transaction; returns how many."""
        if not self._pending or self._failed:
            return 0
        events, claims = self._pending, self._claims
        try:
            self.ledger.events.put(events, claims=claims)
        except IntegrityError as exc:
            self._failed = f"the store refused a flush of {len(events)} events ({exc})"
            raise errors.StaleVersion(f"{self._failed}; nothing of that flush was recorded (a concurrent writer?): "
                                      "restart the import on a fresh database") from None
        except (OperationalError, InterfaceError) as exc:
            self._failed = f"a flush of {len(events)} events failed ({exc})"
            raise errors.StoreUnavailable(f"the event store cannot be reached: {exc}") from None
        self._pending, self._claims = [], []
        self.recorded += len(events)
        self._trim()
        if self.progress is not None:
            self.progress(self.recorded)
        return len(events)

    def _trim(self) -> None:
        excess = len(self._cache) - self.max_cached
        if excess <= 0:
            return
        for sid in list(self._cache):
            agg = self._cache[sid]
            if agg is _ABSENT or agg.stream_type not in PINNED:
                del self._cache[sid]
                excess -= 1
                if excess <= 0:
                    return

    @property
    def pending(self) -> int:
        return len(self._pending)

    def __enter__(self) -> BulkSession:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.flush()


@lru_cache(maxsize=100_000)
def _user_stream(user_id: str) -> UUID:
    return user_stream_id(user_id)


@lru_cache(maxsize=100_000)
def _org_stream(org_code: str) -> UUID:
    return org_stream_id(org_code)


class _NoWritingCache:
    """``Ledger.writing`` for the session's view: never a hit, so ``_decide`` loads through ``_View.load``."""

    def take(self, stream_id: UUID, cls: type[Any], expected_version: int) -> None:
        return None


class _View:
    """What ``Ledger._decide`` and ``CommandContext`` read (``load``, ``_exists``, ``repository``, ``settings``,
    ``recorder``), answered from the session's streams in memory first."""

    def __init__(self, session: BulkSession) -> None:
        self.session = session
        self.settings = session.ledger.settings
        self.recorder = session.ledger.recorder
        self.repository = self
        self.writing = _NoWritingCache()  # ``Ledger._decide`` asks it first; the session's streams are the cache

    def get(self, stream_id: UUID, version: int | None = None) -> Any:  # repository.get
        agg = self.session._lookup(stream_id)
        if agg is _ABSENT:
            raise AggregateNotFoundError(stream_id)
        return agg

    def load(self, stream_id: UUID, cls: type[Any] | None = None) -> Any:
        agg = self.session._lookup(stream_id)
        if agg is _ABSENT:
            raise errors.NotFound(f"no stream {stream_id}")
        if cls is not None and not isinstance(agg, cls):
            raise errors.NotFound(f"stream {stream_id} is a {type(agg).__name__}, not a {cls.__name__}")
        return agg

    def _exists(self, stream_id: UUID) -> bool:
        return self.session._lookup(stream_id) is not _ABSENT
