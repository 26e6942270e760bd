"""The access log (domain.md §4.9, §10): one ``AccessLog`` stream per bureau and business day.

``system_api`` appends one RecordViewed per request returning S2/S3 data and one RecordExported per
export. The day's first event creates the stream (``AccessLog.opener`` = ``open_day``, an
``OpeningEvent``); every event must fall on the stream's day (+08:00). Entries are S2 (they name
viewers and resources, never values); they are never corrected or voided.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain import errors
from domain.base import Cmd, require
from domain.registry import OpenedStream, OpeningEvent, business_date


def access_log_stream_id(bureau: str, day: date | str) -> UUID:
    text = day.isoformat() if isinstance(day, date) else date.fromisoformat(day).isoformat()
    return uuid5(NAMESPACE_URL, f"svledger:accesslog:{bureau}:{text}")


class AccessLog(OpenedStream):
    stream_type = "AccessLog"
    default_sensitivity = "S2"
    opener = "open_day"

    def __init__(self) -> None:
        self.day: str | None = None
        self.entries: list[dict[str, Any]] = []
        self._init_parts()

    class RecordViewed(OpeningEvent):
        def apply(self, aggregate: Any) -> None:
            aggregate._logged("view", self.data, self.meta)
            super().apply(aggregate)

    class RecordExported(OpeningEvent):
        def apply(self, aggregate: Any) -> None:
            aggregate._logged("export", self.data, self.meta)
            super().apply(aggregate)

    @classmethod
    def open_day(cls, cmd: Cmd, stream_id: UUID) -> AccessLog:
        """Create the day's stream with its first RecordViewed or RecordExported."""
        require(cmd.event in ("RecordViewed", "RecordExported"), errors.ValidationFailed,
                f"{cmd.event} does not open an AccessLog stream")
        meta = cls.make_meta(cmd, stream_id=stream_id)
        return cls._create(getattr(cls, cmd.event), id=stream_id, data=cmd.data, meta=meta)

    def status_events(self) -> frozenset[str]:
        return frozenset({"RecordViewed", "RecordExported"})

    def correct_event(self, cmd: Cmd) -> None:
        raise errors.InvalidTransition("access-log entries are never corrected")

    def void_event(self, cmd: Cmd) -> None:
        raise errors.InvalidTransition("access-log entries are never voided")

    def _same_day(self, cmd: Cmd) -> None:
        day = business_date(cmd.at).isoformat()
        require(day == self.day, errors.ValidationFailed, f"this access log is for {self.day}, not {day}")

    def record_view(self, cmd: Cmd) -> None:
        self._same_day(cmd)
        self._append(self.RecordViewed, cmd.data, self.make_meta(cmd))

    def record_export(self, cmd: Cmd) -> None:
        self._same_day(cmd)
        self._append(self.RecordExported, cmd.data, self.make_meta(cmd))

    def _logged(self, kind: str, data: dict[str, Any], meta: dict[str, Any]) -> None:
        if self.day is None:
            self.day = business_date_of(meta["occurred_at"])
        self.entries.append({"kind": kind, "event_id": meta["event_id"], "viewer": data["viewer"]["user_id"],
                             "resources": list(data["resources"]), "purpose": data["purpose"]})

    def viewed_by(self, user_id: str) -> list[dict[str, Any]]:
        """The entries of one viewer (§9: staff read their own access log)."""
        return [e for e in self.entries if e["viewer"] == user_id]


def business_date_of(occurred_at: str) -> str:
    return business_date(datetime.fromisoformat(occurred_at)).isoformat()
