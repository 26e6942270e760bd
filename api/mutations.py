"""One mutation per command of the catalogue (domain.md §3 "Commands"), generated from it.

Each takes ``input`` (the command's payload as JSON, validated by the command layer against the
catalogue's schema) and ``meta`` (the typed envelope), runs the command in a worker thread with the
token's user as the actor, and returns what was recorded. Refusals carry ``extensions.code``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.scalars import JSON

from api.reveal import reveal_identity
from api.types.command import CommandMeta, CommandPayload, meta_dict
from domain.catalogue import CommandSpec, load_all


REVEAL_DESCRIPTION = ("Reveals the approved fields of a sealed identity to the requester of an approved, unexpired "
                      "unseal request; appends IdentityDisclosed and RecordViewed.")


def describe(spec: CommandSpec) -> str:
    fields = spec.payload.model_fields
    shown = ", ".join(f"{name}{'' if f.is_required() else '?'}" for name, f in fields.items()) or "(none)"
    article = "an" if spec.aggregate[0] in "AEIOU" else "a"
    return (f"Records {spec.event} on {article} {spec.aggregate} stream{' (creates it)' if spec.creates else ''}. "
            f"Who: {', '.join(spec.who)}. input: {{{shown}}}")


def resolver(name: str) -> Callable[..., Coroutine[Any, Any, CommandPayload]]:
    async def run(info: strawberry.Info, input: JSON, meta: CommandMeta) -> CommandPayload:
        ctx = info.context
        actor = ctx.require_principal().actor()
        result = await run_in_threadpool(ctx.services.execute, name, input, meta_dict(meta), actor)
        return CommandPayload.of(result)

    run.__name__ = name
    return run


def build_mutation() -> type:
    fields = {spec.name: strawberry.mutation(resolver=resolver(spec.name), name=spec.name, description=describe(spec))
              for spec in sorted(load_all().values(), key=lambda s: s.name)}
    fields["revealIdentity"] = strawberry.mutation(resolver=reveal_identity, name="revealIdentity",
                                                   description=REVEAL_DESCRIPTION)
    cls = type("Mutation", (), fields)
    return strawberry.type(cls, description="One mutation per command of the catalogue (`svledger commands`)")
