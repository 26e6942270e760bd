"""The per-request context (a dataclass, typed ``strawberry.Info[Context]``): services, caller, loaders."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from graphql import OperationDefinitionNode, print_ast
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


class QueryTexts:
    """Each operation's printed text, kept for the operations of cached documents (``api.documents``
    returns the same nodes for the same text), so that access notes do not print the AST each time."""

    def __init__(self, maxsize: int = 512) -> None:
        self.maxsize = maxsize
        self._hashes: OrderedDict[int, tuple[OperationDefinitionNode, str]] = OrderedDict()
        self._lock = threading.Lock()

    def printed(self, operation: OperationDefinitionNode) -> str:
        with self._lock:
            found = self._hashes.get(id(operation))
            if found is not None and found[0] is operation:
                return found[1]
        text = print_ast(operation)
        with self._lock:
            self._hashes[id(operation)] = (operation, text)
            while len(self._hashes) > self.maxsize:
                self._hashes.popitem(last=False)
        return text


QUERY_TEXTS = QueryTexts()


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
        text = QUERY_TEXTS.printed(info.operation) + json.dumps(info.variable_values, sort_keys=True, default=str)
        self.services.access.note(self.require_principal().actor(), resources, field_classes,
                                  f"graphql:{info.field_name}", hashlib.sha256(text.encode()).hexdigest())


def clue_id(value: str) -> UUID:
    return stream_uuid(value)


__all__ = ["Context", "Loaders", "clue_id"]
