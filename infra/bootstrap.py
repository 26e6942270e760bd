"""One bootstrap for every entrypoint (CLI, ASGI app, projector, relay)."""

from __future__ import annotations

from infra.ledger import Ledger
from infra.settings import Settings


def build_ledger(database_url: str | None = None, settings: Settings | None = None) -> Ledger:
    settings = settings or Settings.from_env(database_url=database_url)
    return Ledger(settings)
