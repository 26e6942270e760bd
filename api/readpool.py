"""A small pool of read-model connections for worker threads (one ``ReadDb`` is one connection and is
not shared between threads at the same time): the reads on SQLite (``reads.source.ThreadSource``) and
the statistics, which ``projections.statistics`` computes over a ``ReadDb``."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from contextlib import contextmanager

from infra.settings import Settings
from projections.db import ReadDb


class ReadPool:
    def __init__(self, settings: Settings, size: int = 8) -> None:
        self.settings = settings
        self._all = [ReadDb(settings) for _ in range(size)]
        self._free: queue.Queue[ReadDb] = queue.Queue()
        for db in self._all:
            self._free.put(db)

    @contextmanager
    def connection(self, timeout: float = 30.0) -> Iterator[ReadDb]:
        db = self._free.get(timeout=timeout)
        try:
            yield db
        except BaseException:
            db.close()  # a failed connection is reopened on next use
            raise
        finally:
            self._free.put(db)

    def dicts(self, statement: str, params: tuple | list = ()) -> list[dict]:
        with self.connection() as db:
            return db.dicts(statement, params)

    def close(self) -> None:
        for db in self._all:
            db.close()
