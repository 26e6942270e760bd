"""Only one relay publishes at a time; a second one waits as a hot standby and takes over when the
first dies (its lock dies with its session or process).

- PostgreSQL: a session-level advisory lock held on a dedicated connection. If that connection is
  lost, so is the lock: ``held()`` turns false and the relay stops before committing anything more.
- SQLite: an exclusive ``flock`` on ``<database>.relay.lock`` next to the database file, released by
  the kernel when the process dies (also on ``kill -9``).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import time
from collections.abc import Callable
from typing import Any

import psycopg

from infra.settings import Settings

log = logging.getLogger("svledger.relay")
LOCK_NAME = "svledger:partner-feed-relay"


def advisory_key(name: str = LOCK_NAME) -> int:
    """A signed 64-bit key for ``pg_advisory_lock``, derived from a readable name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class RelayLock:
    def __init__(self, settings: Settings, name: str = LOCK_NAME) -> None:
        self.settings, self.name = settings, name
        self._conn: Any = None
        self._fd: int | None = None

    @property
    def lock_file(self) -> str | None:
        path = self.settings.sqlite_path
        if path in (":memory:", "") or path.startswith("file:"):
            return None
        return path + ".relay.lock"

    def try_acquire(self) -> bool:
        if self.settings.is_postgres:
            return self._try_pg()
        return self._try_file()

    def acquire(self, stop: Callable[[], bool] = lambda: False, poll_seconds: float = 1.0) -> bool:
        """Block (as a hot standby) until the lock is ours; False if ``stop()`` turned true first."""
        announced = False
        while not stop():
            try:
                if self.try_acquire():
                    if announced:
                        log.warning("relay lock acquired: this relay is now active")
                    return True
            except psycopg.Error as exc:
                log.warning("relay lock: database unavailable (%s); retrying", exc)
                self.release()
            if not announced:
                log.warning("another relay holds the lock %r: waiting as hot standby", self.name)
                announced = True
            time.sleep(poll_seconds)
        return False

    def held(self) -> bool:
        if self.settings.is_postgres:
            if self._conn is None:
                return False
            try:
                self._conn.execute("SELECT 1")
                return True
            except psycopg.Error:
                self.release()
                return False
        return self._fd is not None or self.lock_file is None

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()  # closing the session releases the advisory lock
            except psycopg.Error:
                pass
            self._conn = None
        if self._fd is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None

    # -- backends -----------------------------------------------------------------------------------------
    def _try_pg(self) -> bool:
        if self._conn is None:
            self._conn = psycopg.connect(self.settings.database_url, autocommit=True, connect_timeout=5)
        row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (advisory_key(self.name),)).fetchone()
        return bool(row and row[0])

    def _try_file(self) -> bool:
        path = self.lock_file
        if path is None:
            return True
        if self._fd is None:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            self._fd = fd
        return True
