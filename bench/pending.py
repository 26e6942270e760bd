"""Measures whose part of the ledger is not built yet: printed as ``not_built`` rows, never with figures.

Each probe says whether the part now exists, so the row tells the truth either way: "the part is
missing" or "the part exists but its measure is not written yet"."""

from __future__ import annotations

import importlib.util
from typing import Any

from bench.common import not_built


def _cli_commands() -> set[str]:
    try:
        from infra.cli import app
    except Exception:  # noqa: BLE001 - a broken CLI means the part is not there
        return set()
    return {(c.name or c.callback.__name__).replace("_", "-") for c in app.registered_commands if c.callback}


def _module(*names: str) -> str | None:
    for name in names:
        try:
            if importlib.util.find_spec(name) is not None:
                return name
        except (ImportError, ValueError):
            continue
    return None


def _scale_profile() -> bool:
    try:
        from infra.demo import PROFILES
    except Exception:  # noqa: BLE001
        return False
    return "scale" in PROFILES


PENDING: dict[str, dict[str, Any]] = {
    "bulk_import": {"needs": "`svledger demo --profile scale` (bulk import path)", "target": "ratio >= 0.5",
                    "unit": "events/s", "probe": _scale_profile},
    "relay": {"needs": "the Kafka relay and the test broker", "target": "ratio >= 0.8; commit -> topic p99 <= 500 ms",
              "unit": "events/s", "probe": lambda: _module("infra.relay", "relay", "infra.kafka_relay") is not None},
}


def run(name: str) -> dict[str, Any]:
    spec = PENDING[name]
    result = not_built(name, spec["needs"], spec["target"], spec["unit"])
    try:
        present = bool(spec["probe"]())
    except Exception:  # noqa: BLE001
        present = False
    result["part_present"] = present
    result["note"] = ("the part now exists but this measure is not written yet" if present
                      else "the part is not built yet: no figure")
    return result
