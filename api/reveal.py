"""``revealIdentity``: the only way an identity leaves the vault over HTTP (domain.md §10, scenario 10).

The requester of an approved, unexpired unseal request receives the approved fields; the reveal
appends IdentityDisclosed and RecordViewed. Nothing is recorded when the approval or the record is
missing, or when the identity was crypto-shredded."""

from __future__ import annotations

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.scalars import JSON

from domain import errors

REVEALERS = ("supervision_staff", "supervisor", "auditor")


@strawberry.type(description="The fields of a sealed identity revealed to the requester of an approved unseal")
class RevealedIdentity:
    person_token: str
    fields: JSON


async def reveal_identity(info: strawberry.Info, person_token: str, request_id: strawberry.ID,
                          fields: list[str]) -> RevealedIdentity:
    from infra.vault import Vault

    actor = info.context.require_principal().actor()
    if actor["role"] not in REVEALERS:
        raise errors.NotAuthorized(f"{actor['role']} never sees a reporter's identity (§9)")
    ledger = info.context.services.ledger
    revealed = await run_in_threadpool(lambda: Vault(ledger).reveal(person_token, str(request_id), list(fields),
                                                                     actor["user_id"], viewer=actor))
    return RevealedIdentity(person_token=person_token, fields=revealed)
