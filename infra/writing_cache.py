"""The aggregates this process saved last, kept to decide the next command on the same stream without
reading and replaying its events again (one round trip and the replay's CPU per command).

Safe across processes because nothing is trusted that the store does not check again:
- a cached aggregate is used only when its version equals the command's ``expected_version``;
  otherwise the stream is loaded from the store (another process may have appended);
- when it is used and another process did append meanwhile, the client's expected version is stale
  too, and the save fails on the events' primary key (``STALE_VERSION``), as without the cache;
- ``take`` removes the entry, so a command that fails half-way never leaves a mutated aggregate behind,
  and two threads never share one; ``keep`` stores the aggregates after their events are committed.

``SVLEDGER_CHECK_WRITING_CACHE=1`` replays the stream on every hit and fails if the cached state
differs (used by the test suite to prove the cached state equals the replayed one)."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Any
from uuid import UUID

MAX_ENTRIES = 2_000


class CachedStateDiffers(AssertionError):
    """The state kept after a save is not the state replayed from the stored events."""


class WritingCache:
    def __init__(self, ledger: Any, max_entries: int = MAX_ENTRIES) -> None:
        self.ledger = ledger
        self.max_entries = max_entries
        self.check = os.environ.get("SVLEDGER_CHECK_WRITING_CACHE") == "1"
        self._entries: OrderedDict[UUID, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def take(self, stream_id: UUID, cls: type[Any], expected_version: int) -> Any | None:
        with self._lock:
            agg = self._entries.pop(stream_id, None)
        if agg is None or agg.version != expected_version or not isinstance(agg, cls):
            self.misses += 1
            return None
        self.hits += 1
        if self.check:
            replayed = self.ledger.load(stream_id, cls)
            if vars(replayed) != vars(agg):
                differs = sorted(k for k in vars(agg) if vars(agg).get(k) != vars(replayed).get(k))
                raise CachedStateDiffers(f"stream {stream_id}: cached state differs in {differs}")
        return agg

    def keep(self, aggregates: list[Any]) -> None:
        with self._lock:
            for agg in aggregates:
                self._entries[agg.id] = agg
                self._entries.move_to_end(agg.id)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
