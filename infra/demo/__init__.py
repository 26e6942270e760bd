"""Demo data (domain.md §12.1): ``load_demo`` records the ``demo_2024`` dataset through the command layer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from infra.demo.plan import Plan
from infra.ledger import Ledger

PROFILES = ("demo_2024",)


def build_demo(profile: str = "demo_2024") -> Plan:
    from infra.demo import batches, clues, reconsideration, registry

    if profile not in PROFILES:
        raise ValueError(f"unknown demo profile {profile!r}; known: {', '.join(PROFILES)}")
    plan = Plan(profile)
    registry.load_registry(plan)
    clues.load_clues(plan)
    batches.load_batches(plan)
    reconsideration.load_reconsideration(plan)
    return plan


def load_demo(ledger: Ledger, profile: str = "demo_2024",
              progress: Callable[[int, int], Any] | None = None) -> dict[str, Any]:
    return build_demo(profile).run(ledger, progress)
