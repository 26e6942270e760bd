"""The per-request context (a dataclass, typed ``strawberry.Info[Context]``): services, caller, loaders."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from graphql import print_ast
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader

from api.auth import Principal, Unauthenticated
from api.reads.clues import stream_versions
from api.reads.notices import notice_dues
from api.redaction import Redactor
from api.services import Services
from domain import errors
from domain.clue import Clue
from infra.context import stream_uuid


class Loaders:
    """DataLoaders of one request (batched, cached per request: no N+1 over a page)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.clue: DataLoader[str, Any] = DataLoader(self._clues)
        self.notice_due: DataLoader[str, Any] = DataLoader(self._notice_dues)
        self.stream_version: DataLoader[str, int | None] = DataLoader(self._versions)

    async def _clues(self, ids: list[str]) -> list[Any]:
        return await run_in_threadpool(self._load_clues, ids)

    def _load_clues(self, ids: list[str]) -> list[Any]:
        out: list[Any] = []
        for i in ids:
            try:
                out.append(self.services.ledger.load(UUID(i), Clue))
            except errors.LedgerError as exc:
                out.append(exc)
        return out

    async def _notice_dues(self, ids: list[str]) -> list[Any]:
        found = await run_in_threadpool(notice_dues, self.services.reads, ids)
        return [found.get(i) for i in ids]

    async def _versions(self, ids: list[str]) -> list[int | None]:
        found = await run_in_threadpool(stream_versions, self.services.reads, ids)
        return [found.get(i) for i in ids]


@dataclass
class Context:
    services: Services
    request: Request | WebSocket
    response: Any = None
    principal: Principal | None = None
    connection_params: dict[str, Any] | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.services)

    def require_principal(self) -> Principal:
        if self.principal is None:
            raise Unauthenticated("send Authorization: Bearer <token> (see `svledger token`)")
        return self.principal

    def redactor(self, shredded: set[str] | frozenset[str] = frozenset()) -> Redactor:
        p = self.require_principal()
        return Redactor(p.role, p.org_id, self.services.settings.pseudonym_key, shredded=lambda t: t in shredded)

    def note_view(self, info: Any, resources: list[str], field_classes: list[str]) -> None:
        """Queue an access event for S2/S3 data returned by this request (recorded in batches)."""
        if not resources:
            return
        text = print_ast(info.operation) + json.dumps(info.variable_values, sort_keys=True, default=str)
        self.services.access.note(self.require_principal().actor(), resources, field_classes,
                                  f"graphql:{info.field_name}", hashlib.sha256(text.encode()).hexdigest())


def clue_id(value: str) -> UUID:
    return stream_uuid(value)


__all__ = ["Context", "Loaders", "clue_id"]
