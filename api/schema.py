"""The GraphQL schema: queries (contract names), one mutation per command, subscriptions.

``build_schema(settings)`` adds the configured limits; the SDL does not depend on settings. Nothing is
built at import: ``api.schema:schema`` (for ``strawberry export-schema``) is created on first access.
``python -m api.schema > schema.graphql`` refreshes the exported SDL.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext

from api.config import ApiSettings
from api.documents import DocumentCache, Documents
from api.errors import CodedErrors, log_errors
from api.execution import LeafFastPath
from api.limits import schema_limits
from api.mutations import build_mutation
from api.queries.audit import AuditQueries
from api.queries.clues import ClueQueries
from api.queries.notices import NoticeQueries
from api.queries.registry import RegistryQueries
from api.queries.stats import StatsQueries
from api.queries.verify import VerifyQueries
from api.subscriptions import Subscription


@strawberry.type(description="Reads of the ledger (eventually consistent read models; clue(id) is replayed)")
class Query(ClueQueries, AuditQueries, NoticeQueries, RegistryQueries, StatsQueries, VerifyQueries):
    pass


class LedgerSchema(strawberry.Schema):
    documents: Documents  # parsed and validated documents of this schema

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        log_errors(errors)  # refusals are expected: no tracebacks in the log for them


def build_schema(settings: ApiSettings | None = None) -> LedgerSchema:
    documents = Documents()  # each distinct document is parsed and validated once per process
    schema = LedgerSchema(query=Query, mutation=build_mutation(), subscription=Subscription,
                          extensions=[CodedErrors, *schema_limits(settings), partial(DocumentCache, documents)],
                          execution_context_class=LeafFastPath)
    schema.documents = documents
    return schema


def sdl() -> str:
    return build_schema().as_str() + "\n"


def __getattr__(name: str) -> Any:
    if name == "schema":
        return build_schema()
    raise AttributeError(name)


if __name__ == "__main__":
    print(sdl(), end="")
