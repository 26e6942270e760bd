"""The command catalogue (domain.md §3 "Commands", §4): one ``CommandSpec`` per mutation.

Each family module (``clue``, ``transfer``, ``notice`` …) defines the payload model of every event
(named exactly as the event, e.g. ``ClueRegistered``) and registers the commands that record it.
``COMMANDS`` maps the GraphQL/CLI command name (camelCase verb phrase) to its spec.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass

from domain.values import Strict

ST, SV, AL, AD = "supervision_staff", "supervisor", "agency_liaison", "admin"
SYS, API, INT = "system_scheduler", "system_api", "integration_12345"
STAFF = (ST, SV)  # §9: a supervisor may record whatever staff may


@dataclass(frozen=True)
class CommandSpec:
    name: str  # camelCase command, e.g. "registerClue"
    event: str  # the event it records, e.g. "ClueRegistered"
    aggregate: str  # stream type: Clue, ReviewBatch, ReconsiderationCase, Org, User, Config, Identity, AccessLog
    handler: str  # the aggregate's public guard method (a constructor classmethod when ``creates``)
    payload: type[Strict]
    who: tuple[str, ...]
    creates: bool = False
    related: str | None = None  # payload field naming other streams the command writes to (one save)


COMMANDS: dict[str, CommandSpec] = {}


def command(name: str, event: str, aggregate: str, handler: str, payload: type[Strict], who: tuple[str, ...],
            *, creates: bool = False, related: str | None = None) -> CommandSpec:
    if name in COMMANDS:
        raise ValueError(f"command {name} registered twice")
    spec = CommandSpec(name, event, aggregate, handler, payload, who, creates, related)
    COMMANDS[name] = spec
    return spec


def load_all() -> dict[str, CommandSpec]:
    """Import every family module of this package so that all commands are registered."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return COMMANDS
