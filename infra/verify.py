"""``svledger verify``: recompute every event hash and per-stream chain from the stored events and compare
them with the hashes recorded beside them; versions must be contiguous from 1. Reports the first bad
position and why. Works offline on any copy of the database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from infra.hashing import event_hash, genesis_hash, stream_type_of

BATCH = 2000


@dataclass
class Report:
    checked: int = 0
    streams: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, position: int | None, stream_id: str, version: int | None, why: str) -> None:
        self.problems.append({"position": position, "stream_id": stream_id, "version": version, "why": why})


def verify(ledger: Any, *, start: int = 0, stop: int | None = None,
           progress: Callable[[int, int], None] | None = None, max_problems: int = 20) -> Report:
    report = Report()
    recorded = _recorded_hashes(ledger)
    last: dict[str, tuple[int, str]] = {}
    head = ledger.recorder.max_notification_id() or 0
    position = start
    while len(report.problems) < max_problems:
        batch = ledger.recorder.select_notifications(start=position + 1, limit=BATCH, stop=stop)
        if not batch:
            break
        for n in batch:
            _check(n, last, recorded, report)
        position = batch[-1].id
        report.checked += len(batch)
        if progress:
            progress(position, head)
    for (sid, version) in recorded:
        if sid not in last or version > last[sid][0]:
            if start == 0 and stop is None:
                report.fail(None, sid, version, "a recorded hash has no stored event (row deleted or log truncated)")
                break
    report.streams = len(last)
    return report


def _check(n: Any, last: dict[str, tuple[int, str]], recorded: dict[tuple[str, int], tuple[str, str]],
           report: Report) -> None:
    sid, version = str(n.originator_id), n.originator_version
    previous_version, previous_hash = last.get(sid, (0, ""))
    if version != previous_version + 1:
        report.fail(n.id, sid, version, f"version {version} follows {previous_version}: not contiguous "
                                        "(reordered, deleted or inserted rows)")
    prev = genesis_hash(stream_type_of(n.topic, n.state), sid) if version == 1 else previous_hash
    digest = event_hash(sid, version, n.topic, n.state, prev)
    stored = recorded.get((sid, version))
    if stored is None:
        report.fail(n.id, sid, version, "no recorded hash for this event")
    elif stored[0] != prev:
        report.fail(n.id, sid, version, "chain broken: prev_event_hash differs from the previous event's hash")
    elif stored[1] != digest:
        report.fail(n.id, sid, version, "event_hash mismatch: the stored event was altered")
    last[sid] = (version, stored[1] if stored else digest)  # go on from the recorded chain: report each break once


def _recorded_hashes(ledger: Any) -> dict[tuple[str, int], tuple[str, str]]:
    rows = ledger.recorder._rows("SELECT stream_id, version, prev_hash, event_hash FROM event_hashes", ())
    return {(str(sid), int(v)): (p, h) for sid, v, p, h in rows}
