"""Moments given as text (ISO dates mean the business day's end, as ``svledger stats --as-of``)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from projections.events import to_us
from projections.periods import point_in_time


def moment(text: str | None) -> datetime | None:
    return point_in_time(text)


def moment_us(text: str | None) -> int | None:
    at = point_in_time(text)
    return to_us(at) if at else None


def start_us(text: str | None) -> int | None:
    """Start of a range: a date means its beginning (00:00 +08:00)."""
    at = point_in_time(text)
    if at is None:
        return None
    return to_us(at - timedelta(days=1)) if len(text or "") == 10 else to_us(at)


def now_us() -> int:
    return to_us(datetime.now(timezone.utc))
