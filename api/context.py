"""The per-request context (a dataclass, typed ``strawberry.Info[Context]``): services, caller, loaders."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader

from api.auth import Principal, Unauthenticated
from api.reads.clues import overdue_streams, stream_versions
from api.reads.notices import notice_dues
from api.reads.streams import Replayed, replay
from api.redaction import Redactor
from api.services import Services
from domain import errors
from domain.clue import Clue
from infra.context import stream_uuid


class Loaders:
    """DataLoaders of one request (batched, cached per request: no N+1 over a page). Created when first
    used: most requests need none."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._loaders: dict[str, DataLoader[Any, Any]] = {}

    def _get(self, name: str, load: Any) -> DataLoader[Any, Any]:
        loader = self._loaders.get(name)
        if loader is None:
            loader = self._loaders[name] = DataLoader(load)
        return loader

    @property
    def clue(self) -> DataLoader[str, Replayed]:
        """Clues replayed from their streams (one read of the stored events per batch)."""
        return self._get("clue", self._clues)

    @property
    def notice_due(self) -> DataLoader[str, Any]:
        return self._get("notice_due", self._notice_dues)

    @property
    def stream_version(self) -> DataLoader[str, int | None]:
        return self._get("stream_version", self._versions)

    def overdue(self, at_us: int) -> DataLoader[str, bool]:
        """Whether a listed clue has an open deadline past due at ``at_us`` (``obligations``)."""
        async def load(ids: list[str]) -> list[bool]:
            late = await overdue_streams(self.services.source, ids, at_us)
            return [i in late for i in ids]

        return self._get(f"overdue:{at_us}", load)

    async def _clues(self, ids: list[str]) -> list[Any]:
        try:
            uuids = [UUID(i) for i in ids]
        except ValueError:
            raise errors.ValidationFailed("not a clue id") from None
        return await replay(self.services.source, self.services.ledger, uuids, Clue)

    async def _notice_dues(self, ids: list[str]) -> list[Any]:
        found = await notice_dues(self.services.source, ids)
        return [found.get(i) for i in ids]

    async def _versions(self, ids: list[str]) -> list[int | None]:
        found = await stream_versions(self.services.source, ids)
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
        return Redactor(p.role, p.org_id, self.services.settings.pseudonym_key, shredded=shredded.__contains__)

    def note_view(self, info: Any, resources: list[str], field_classes: list[str]) -> None:
        """Queue an access event for S2/S3 data returned by this request (recorded in batches)."""
        if not resources:
            return
        printed = self.services.texts.printed(info.operation)
        text = printed + json.dumps(info.variable_values, sort_keys=True, default=str)
        self.services.access.note(self.require_principal().actor(), resources, field_classes,
                                  f"graphql:{info.field_name}", hashlib.sha256(text.encode()).hexdigest())


def clue_id(value: str) -> UUID:
    return stream_uuid(value)


__all__ = ["Context", "Loaders", "clue_id"]
