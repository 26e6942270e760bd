"""The command layer: the only way to write to the ledger (CLI and GraphQL both call ``execute``).

One ``execute`` per command: validate everything, check idempotency and version, let one aggregate
(or several, for multi-stream commands) decide, then save once with the idempotency row and the
number claims in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError

from domain import errors
from domain.base import Cmd, recording_at
from domain.catalogue import CommandSpec, load_all
from domain.claims import NUMBER_FIELDS, claims_for
from domain.envelope import check_no_pii, check_timing
from domain.streams import aggregate_class
from infra.context import CommandContext
from infra.inputs import parse_command
from infra.pg_append import ConfigChanged
from infra.writing_cache import WritingCache
from infra.settings import Settings

CORRECTION_EVENTS = ("EventCorrected", "EventVoided")
NUMBER_RACE_RETRIES = 5
AUTO_NUMBERED = frozenset(field for field, _ in NUMBER_FIELDS.values())
EDIT_VERBS = ("update", "edit", "delete", "modify", "remove", "overwrite")


class _NumberTaken(Exception):
    """A gapless number was claimed concurrently by another stream: number again and retry."""


class Ledger(Application):
    """The supervision ledger application (eventsourcing ``Application``)."""

    name = "SupervisionLedger"

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings.from_env()
        super().__init__(env=self.settings.eventsourcing_env())
        self.commands = load_all()
        self.context = CommandContext(self)
        self.writing = WritingCache(self)

    # -- writing --------------------------------------------------------------------------------------
    def execute(self, command: str, input: dict[str, Any], meta: dict[str, Any], actor: dict[str, Any],
                *, now: datetime | None = None, dry_run: bool = False) -> dict[str, Any]:
        """Record ``command``; returns ``{event_id, stream_id, version, events}`` or raises a LedgerError.
        ``dry_run``: every check, nothing written (``{"dry_run": True}``)."""
        try:
            return self._execute(command, input, meta, actor, now or datetime.now(timezone.utc), dry_run)
        except (OperationalError, InterfaceError) as exc:
            raise errors.StoreUnavailable(f"the event store cannot be reached: {exc}") from None

    def _execute(self, command: str, input: dict[str, Any], meta_in: dict[str, Any], actor_in: dict[str, Any],
                 now: datetime, dry_run: bool = False) -> dict[str, Any]:
        spec = self._spec(command)
        if spec.event in CORRECTION_EVENTS:
            meta_in = {**meta_in, "occurred_at": now.isoformat()}  # §4.10: a correction occurs when recorded
        parsed = parse_command(spec, input, meta_in, actor_in, self.settings.max_payload_bytes)
        meta, actor, data = parsed.meta, parsed.actor, parsed.data
        if actor.role not in spec.who:
            raise errors.NotAuthorized(f"{actor.role} may not {command} (§9)")
        check_no_pii(data, meta)
        check_timing(meta, now)
        payload_hash = _payload_hash(command, meta.stream_id, data, meta.occurred_at)
        try:
            return self._record(spec, parsed, payload_hash, now, dry_run)
        except errors.LedgerError:
            # rule 3 before any refusal: a repeated key answers with the first result (or is refused
            # when its payload differs); the check costs a read only on this path, not on every command
            repeat = self._repeat(spec, meta.idempotency_key, payload_hash)
            if repeat is not None:
                return repeat
            raise

    def _record(self, spec: CommandSpec, parsed: Any, payload_hash: str, now: datetime,
                dry_run: bool) -> dict[str, Any]:
        meta, actor, data = parsed.meta, parsed.actor, parsed.data
        stream_id = meta.stream_id or self.context.natural_stream_id(spec, meta)
        generated = stream_id is None and spec.creates
        stream_id = stream_id or (uuid4() if spec.creates else None)
        if stream_id is None:
            raise errors.ValidationFailed("meta.stream_id is required for this command")
        fresh = dry_run
        for attempt in range(NUMBER_RACE_RETRIES):
            numbered = self.context.fill_numbers(spec, data, meta.occurred_at, bureau=actor.org_id)
            calendar, config, config_check = self.context.for_command(meta.occurred_at, fresh)
            cmd = Cmd(event=spec.event, data=numbered, meta=meta, actor=actor, recorded_at=now,
                      calendar=calendar, config=config, is_conflicted=self.context.is_conflicted)
            with recording_at(now):
                aggregates = self._decide(spec, cmd, stream_id, check_exists=not generated)
            if dry_run:
                return {"dry_run": True, "stream_id": str(aggregates[0].id)}
            try:
                return self._save(spec, aggregates, aggregates[0].id, meta.idempotency_key, payload_hash,
                                  config_check)
            except _NumberTaken:
                if numbered == data or attempt == NUMBER_RACE_RETRIES - 1:  # the caller chose the number
                    raise errors.DuplicateDocNumber("that number was taken concurrently") from None
            except ConfigChanged:
                self.context.forget_config()
                fresh = True
        raise errors.StaleVersion("the configuration or the numbering kept changing concurrently; retry")

    def _spec(self, command: str) -> CommandSpec:
        spec = self.commands.get(command)
        if spec is None:
            if command.lower().startswith(EDIT_VERBS):
                raise errors.HistoryImmutable("stored events are never edited or deleted; record a correction "
                                              "(correctEvent) or a domain event instead")
            raise errors.UnknownCommand(f"no command {command!r}; see `svledger commands`")
        return spec

    def _repeat(self, spec: CommandSpec, key: str, payload_hash: str) -> dict[str, Any] | None:
        found = self.recorder.find_idempotency(spec.aggregate, key)  # type: ignore[attr-defined]
        if found is None:
            return None
        if found[0] != payload_hash:
            raise errors.DuplicateIdempotencyKey(f"idempotency key {key!r} was used with another payload")
        result = json.loads(found[1])
        event_hash = self.recorder.event_hash_of(result["stream_id"], result["version"])  # type: ignore[attr-defined]
        position = self.recorder.position_of(result["stream_id"], result["version"])  # type: ignore[attr-defined]
        return {**result, "event_hash": event_hash, "position": position, "repeated": True}

    def _decide(self, spec: CommandSpec, cmd: Cmd, stream_id: UUID, check_exists: bool = True) -> list[Any]:
        cls = aggregate_class(spec.aggregate)
        if spec.creates:
            if cmd.meta.expected_version != 0:
                raise errors.StaleVersion("a new stream starts at expected_version 0")
            if check_exists and self._exists(stream_id):
                raise errors.StaleVersion(f"stream {stream_id} already exists")
            return [getattr(cls, spec.handler)(cmd, stream_id)]
        opener = getattr(cls, "opener", "")
        if opener and not self._exists(stream_id):  # Config, AccessLog: the first event opens the stream
            if cmd.meta.expected_version != 0:
                raise errors.StaleVersion(f"stream {stream_id} does not exist yet: expected_version is 0")
            return [getattr(cls, opener)(cmd, stream_id)]
        agg = self.writing.take(stream_id, cls, cmd.meta.expected_version) or self.load(stream_id, cls)
        if agg.version != cmd.meta.expected_version:
            raise errors.StaleVersion(f"stream {stream_id} is at version {agg.version}, "
                                      f"not {cmd.meta.expected_version}")
        if spec.handler in ("request_unseal", "approve_unseal"):  # the clue decides who may ask and approve
            clue_id = cmd.data.get("clue_id") or agg.requests.get(str(cmd.data["request_id"]), {}).get("clue_id")
            getattr(agg, spec.handler)(cmd, clue=self.load(UUID(str(clue_id))) if clue_id else None)
            return [agg]
        if spec.related is None:
            getattr(agg, spec.handler)(cmd)
            return [agg]
        related = cmd.data[spec.related]
        others = [self.load(UUID(str(i)), cls) for i in (related if isinstance(related, list) else [related])]
        getattr(agg, spec.handler)(cmd, others)
        return [agg, *others]

    def _save(self, spec: CommandSpec, aggregates: list[Any], stream_id: UUID, key: str,
              payload_hash: str, config_check: tuple[UUID, int] | None = None) -> dict[str, Any]:
        pending = [(agg, ev) for agg in aggregates for ev in agg.collect_events()]
        main = [ev for agg, ev in pending if agg.id == stream_id and type(ev).__name__ == spec.event]
        last = main[-1] if main else pending[-1][1]
        result = {"event_id": last.meta["event_id"], "stream_id": str(stream_id), "version": last.originator_version,
                  "event_type": type(last).__name__,
                  "events": [{"stream_id": str(ev.originator_id), "version": ev.originator_version,
                              "event_type": type(ev).__name__, "event_id": ev.meta["event_id"]} for _, ev in pending]}
        claims = [(scope, value, str(ev.originator_id)) for _, ev in pending
                  for scope, value in claims_for(type(ev).__name__, ev.data, ev.meta)]
        idem = (spec.aggregate, key, payload_hash, json.dumps(result, ensure_ascii=False))
        try:
            hashes: list[tuple[str, int, str, str]] = []
            recordings = self.events.put([ev for _, ev in pending], idempotency=idem, claims=claims, hash_sink=hashes,
                                         config_check=config_check)
        except IntegrityError:
            base = min((ev.originator_version for _, ev in pending if ev.originator_id == stream_id), default=1) - 1
            return self._explain_conflict(spec, key, payload_hash, claims, stream_id, base)
        self.writing.keep(aggregates)
        if config_check and any(ev.originator_id == config_check[0] for _, ev in pending):
            self.context.forget_config()
        result["position"] = max((r.notification.id for r in recordings), default=None)
        result["event_hash"] = next((h for sid, v, _, h in hashes if sid == result["stream_id"]
                                     and v == result["version"]), None)
        return result

    def _explain_conflict(self, spec: CommandSpec, key: str, payload_hash: str,
                          claims: list[tuple[str, str, str]], stream_id: UUID, aggregates_version: int) -> dict[str, Any]:
        """After a failed save: a repeat (rule 3: the first result), a taken number, or a stale version
        (rule 2)."""
        repeat = self._repeat(spec, key, payload_hash)
        if repeat is not None:
            return repeat
        stored = self.recorder.select_events(stream_id, desc=True, limit=1)
        if stored and stored[0].originator_version != aggregates_version:
            raise errors.StaleVersion(f"stream {stream_id} changed concurrently; reload and retry")
        for scope, value, _ in claims:
            if self.recorder.claim_owner(scope, value):  # type: ignore[attr-defined]
                if scope in AUTO_NUMBERED:
                    raise _NumberTaken(value)
                raise errors.DuplicateDocNumber(f"{value} is already used ({scope})")
        raise errors.StaleVersion(f"stream {stream_id} changed concurrently; reload and retry")

    # -- reading --------------------------------------------------------------------------------------
    def load(self, stream_id: UUID, cls: type[Any] | None = None, version: int | None = None) -> Any:
        try:
            agg = self.repository.get(stream_id, version=version)
        except AggregateNotFoundError:
            raise errors.NotFound(f"no stream {stream_id}") from None
        if cls is not None and not isinstance(agg, cls):
            raise errors.NotFound(f"stream {stream_id} is a {type(agg).__name__}, not a {cls.__name__}")
        return agg

    def _exists(self, stream_id: UUID) -> bool:
        return bool(self.recorder.select_events(stream_id, limit=1))

    def stream_events(self, stream_id: UUID) -> list[Any]:
        events = list(self.events.get(stream_id))
        if not events:
            raise errors.NotFound(f"no stream {stream_id}")
        return events

    def notifications(self, after: int = 0, limit: int = 100) -> list[Any]:
        """Stored events in log order with position > ``after`` (positions may have gaps)."""
        return list(self.recorder.select_notifications(start=after + 1, limit=limit))


def _payload_hash(command: str, stream_id: UUID | None, data: dict[str, Any], occurred_at: datetime) -> str:
    body = {"command": command, "stream_id": str(stream_id) if stream_id else None, "data": data,
            "occurred_at": occurred_at.isoformat()}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
