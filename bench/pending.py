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


# name -> {"needs", "target", "unit", "probe"}. Empty since ``bulk_import`` (bench.bulk_import) and ``relay``
# (bench.relay_rate) are measured; a measure whose part is missing goes here until it can be written.
PENDING: dict[str, dict[str, Any]] = {}


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
