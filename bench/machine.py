"""The machine the figures come from, read from the machine itself."""

from __future__ import annotations

import os
import platform
from typing import Any


def _mem_total_gib() -> float | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        return None
    return None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def machine_facts() -> dict[str, Any]:
    from bench.common import server_facts

    facts: dict[str, Any] = {"nproc": os.cpu_count(), "cpu": _cpu_model(), "mem_gib": _mem_total_gib(),
                             "python": platform.python_version()}
    try:
        pg = server_facts()
        facts.update(postgres=pg["server_version"], synchronous_commit=pg["synchronous_commit"], fsync=pg["fsync"],
                     wal_sync_method=pg["wal_sync_method"], shared_buffers=pg["shared_buffers"])
    except Exception as exc:  # noqa: BLE001 - reported, the measures will fail with the real error
        facts["postgres"] = f"unreachable ({type(exc).__name__})"
    return facts
