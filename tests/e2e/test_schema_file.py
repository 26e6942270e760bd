"""``schema.graphql`` at the repository root is the exported SDL: it fails when the code drifts from it.
Refresh it with ``python -m api.schema > schema.graphql``."""

from __future__ import annotations

from pathlib import Path

from api.schema import sdl
from domain.catalogue import load_all

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_exported_schema_matches_the_code() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == sdl(), \
        "schema.graphql is stale: run `python -m api.schema > schema.graphql`"


def test_one_mutation_per_command_and_the_contract_queries() -> None:
    text = sdl()
    for name in load_all():
        assert f"  {name}(input: JSON!, meta: CommandMeta!): CommandPayload!" in text, name
    for query in ("clue(id:", "clues(filter:", "auditTrail(clueId:", "clueAsOf(id:", "agencies:", "agencyBoard(",
                  "notices(filter:", "overdue(asOf:", "statistics(period:", "reviewBatches", "events(after:",
                  "clueEvents(clueId:"):
        assert query in text, query
