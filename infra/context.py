"""Facts a command needs from outside its own stream: calendars and configuration published in the
Config stream, conflict-of-interest lookups over User/Org streams, and gapless numbering."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain import errors
from domain.calendar import WorkCalendar
from domain.catalogue import CommandSpec
from domain.claims import NUMBER_FIELDS, format_number, number_prefix
from domain.deadlines import BUSINESS_TZ


class CommandContext:
    def __init__(self, ledger: Any) -> None:
        self.ledger = ledger
        self._calendar = WorkCalendar.default()
        self._cached: tuple[int, Any, WorkCalendar] | None = None  # (Config version, aggregate, calendar)

    def _config_state(self, fresh: bool = True) -> tuple[int, Any | None, WorkCalendar]:
        """The bureau's Config stream and the calendar it publishes, reloaded only when the stream grew.
        ``fresh=False`` (commands) trusts the cached version: the write then checks it (``config_check``)."""
        from domain.registry import config_stream_id

        stream = config_stream_id(self.ledger.settings.bureau)
        if fresh or self._cached is None:
            head = self.ledger.recorder.select_events(stream, desc=True, limit=1)
            version = head[0].originator_version if head else 0
            if self._cached is None or self._cached[0] != version:
                config = self._get(stream) if version else None
                calendar = self._calendar
                for payload in (config.calendar_years() if config is not None else []):
                    calendar = calendar.with_published(payload)
                self._cached = (version, config, calendar)
        return self._cached

    def forget_config(self) -> None:
        self._cached = None

    def _config_aggregate(self) -> Any | None:
        return self._config_state()[1]

    def calendar(self) -> WorkCalendar:
        return self._config_state()[2]

    def for_command(self, at: datetime, fresh: bool) -> tuple[WorkCalendar, dict[str, Any], tuple[UUID, int]]:
        """Calendar and configuration at ``at`` from one look at the Config stream (what every command
        needs), with the ``(stream, version)`` they came from: the save refuses if the stream moved since.
        ``fresh=False`` trusts the cached version instead of reading the stream's head first."""
        from domain.registry import config_stream_id

        version, config, calendar = self._config_state(fresh)
        values = dict(config.values_at(at)) if config is not None else {}
        return calendar, values, (config_stream_id(self.ledger.settings.bureau), version)

    def config(self, at: datetime | None = None) -> dict[str, Any]:
        config = self._config_aggregate()
        if config is None:
            return {}
        return dict(config.values_at(at)) if at is not None else dict(config.values_at(datetime.now(BUSINESS_TZ)))

    def is_conflicted(self, user_id: str, agency_ids: Any, at: datetime) -> bool:
        """§10 回避 over the user's stream and the agencies' streams (their predecessors count too)."""
        from domain.conflicts import CONFIG_KEY, LOOKBACK_MONTHS, ConflictIndex
        from domain.registry import org_stream_id, user_stream_id

        agencies = list(agency_ids)
        users = [u for u in [self._get(user_stream_id(user_id))] if u is not None]
        if not users:
            return False
        orgs = [o for o in (self._get(org_stream_id(a)) for a in agencies) if o is not None]
        months = int(self.config().get(CONFIG_KEY, LOOKBACK_MONTHS))
        return ConflictIndex.from_states(users, orgs, months=months).check(user_id, agencies, at)

    def _get(self, stream_id: UUID) -> Any | None:
        try:
            return self.ledger.repository.get(stream_id)
        except AggregateNotFoundError:
            return None

    def natural_stream_id(self, spec: CommandSpec, meta: Any) -> UUID | None:
        """Streams addressed by natural key: the bureau's Config stream, its AccessLog stream of the day."""
        from domain.access_log import access_log_stream_id
        from domain.registry import config_stream_id

        bureau = self.ledger.settings.bureau
        if spec.aggregate == "Config":
            return config_stream_id(bureau)
        if spec.aggregate == "AccessLog":
            return access_log_stream_id(bureau, meta.occurred_at.astimezone(BUSINESS_TZ).date())
        return None

    def fill_numbers(self, spec: CommandSpec, data: dict[str, Any], occurred_at: datetime,
                     bureau: str | None = None) -> dict[str, Any]:
        """Assign the next gapless number (clue, case, batch) of ``bureau`` (the recording staff's org) when
        omitted; check a given one is the next."""
        if spec.event not in NUMBER_FIELDS:
            return data
        field = NUMBER_FIELDS[spec.event][0]
        prefix = number_prefix(spec.event, bureau or self.ledger.settings.bureau, occurred_at.astimezone(BUSINESS_TZ).year)
        expected = format_number(spec.event, prefix, self.ledger.recorder.count_claims(field, prefix) + 1)
        given = data.get(field)
        if given and given != expected:
            if self.ledger.recorder.claim_owner(field, given):
                raise errors.DuplicateDocNumber(f"{given} is already used")
            raise errors.ValidationFailed(f"{field} is gapless per bureau and year: the next is {expected}")
        return {**data, field: expected}


def stream_uuid(value: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise errors.ValidationFailed(f"{value!r} is not a stream id (UUID)") from None
