"""Parsing a command's raw input (JSON from the CLI or GraphQL) into validated domain values."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from domain import errors
from domain.catalogue import CommandSpec
from domain.envelope import Meta
from domain.values import Actor


@dataclass(frozen=True)
class Parsed:
    data: dict[str, Any]
    meta: Meta
    actor: Actor


def parse_command(spec: CommandSpec, input: Any, meta: Any, actor: Any, max_bytes: int) -> Parsed:
    size = len(json.dumps([input, meta], ensure_ascii=False, default=str).encode())
    if size > max_bytes:
        raise errors.PayloadTooLarge(f"the command is {size} bytes; the limit is {max_bytes}")
    for name, value in (("input", input), ("meta", meta), ("actor", actor)):
        if not isinstance(value, dict):
            raise errors.ValidationFailed(f"{name} must be a JSON object")
    return Parsed(
        data=_validate(spec.payload, input, "input").model_dump(mode="json", exclude_none=True),
        meta=_validate(Meta, meta, "meta"),
        actor=_validate(Actor, actor, "actor"),
    )


def _validate(model: Any, value: dict[str, Any], where: str) -> Any:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        problems = "; ".join(f"{where}.{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
                             for e in exc.errors()[:5])
        raise errors.ValidationFailed(problems) from None
