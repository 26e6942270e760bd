"""Demo data (domain.md §12): ``load_demo`` records the ``demo_2024`` dataset and ``load_fixture`` the statistics
fixtures F-J, F-X and F-X2, all through the command layer (``Ledger.execute``), in recorded-time order, with
deterministic ids and idempotency keys: loading twice records nothing the second time.

Modules: ``plan`` (steps, ordering, deterministic ids), ``registry`` (汉渠市司法局, people, units), ``clues``
(D1–D8), ``batches`` (HQ-RB-2024-01…06), ``reconsideration`` (行政复议 2023 Q4 – 2024), ``fixtures``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from infra.demo.fixtures import FIXTURES, load_fixture
from infra.demo.plan import Plan
from infra.ledger import Ledger

PROFILES = ("demo_2024", "stress", "scale")
__all__ = ["FIXTURES", "PROFILES", "build_demo", "load_demo", "load_fixture"]


def build_demo(profile: str = "demo_2024") -> Plan:
    """The plan of a demo profile (nothing recorded yet)."""
    from infra.demo import batches, clues, reconsideration, registry

    if profile != "demo_2024":  # stress and scale are generated (infra.demo.synthetic), not planned
        raise ValueError(f"no plan for profile {profile!r}; planned profiles: demo_2024")
    plan = Plan(profile)
    registry.load_registry(plan)
    clues.load_clues(plan)
    batches.load_batches(plan)
    reconsideration.load_reconsideration(plan)
    return plan


def load_demo(ledger: Ledger, profile: str = "demo_2024",
              progress: Callable[[int, int], Any] | None = None, events: int | None = None) -> dict[str, Any]:
    """Record ``profile`` into ``ledger``; ``progress(done, total)`` is called after each command.

    Returns the counts (``commands``, ``recorded_commands``, ``recorded_events``, ``seconds``) and the ids:
    ``clues`` (D1…D8 → stream id), ``batches`` (RB-2024-01… → stream id), ``reconsideration`` (case key →
    stream id), ``d4_reporter_token``. A fixture name (``F-J``, ``F-X``, ``F-X2``) loads that fixture.

    ``stress`` and ``scale`` (domain.md §12.2) are recorded with the bulk path (``infra.bulk``, every domain rule
    still applies; ``infra.demo.synthetic``): ``progress`` is called after each flush, ``events`` is the size of
    ``scale`` (default 1,000,000); they return ``events``, ``seconds``, ``events_per_s`` and the mix."""
    if events is not None and profile != "scale":
        raise ValueError("events (--events) is for the scale profile")
    if profile in FIXTURES:
        return load_fixture(ledger, profile, progress)
    if profile == "stress":
        from infra.demo.synthetic import load_stress

        return load_stress(ledger, progress)
    if profile == "scale":
        from infra.demo.synthetic import load_scale

        return load_scale(ledger, progress, events=events or 1_000_000)
    return build_demo(profile).run(ledger, progress)
