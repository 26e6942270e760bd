"""Stream types (domain.md §3 ``stream_type``) and the aggregate class recording each."""

from __future__ import annotations

from importlib import import_module
from typing import Any

AGGREGATES = {
    "Clue": "domain.clue:Clue",
    "ReviewBatch": "domain.review_batch:ReviewBatch",
    "ReconsiderationCase": "domain.reconsideration:ReconsiderationCase",
    "Org": "domain.registry:Org",
    "User": "domain.registry:User",
    "Config": "domain.registry:Config",
    "Identity": "domain.identity:Identity",
    "AccessLog": "domain.access_log:AccessLog",
    "Checkpoint": "domain.checkpoint:Checkpoint",
}


def aggregate_class(stream_type: str) -> type[Any]:
    module, name = AGGREGATES[stream_type].split(":")
    return getattr(import_module(module), name)
