"""Errors mapped once (style guide: one place): every GraphQL error leaves with ``extensions.code``.

- a refusal of the ledger (``LedgerError``, including ``UNAUTHENTICATED``) keeps its code and message;
- a parse, validation or variable error from GraphQL itself keeps its message with a GRAPHQL_* or
  BAD_USER_INPUT code (QUERY_TOO_DEEP / QUERY_TOO_COMPLEX for the limits; HISTORY_IMMUTABLE for a
  mutation that would update, edit or delete: none exists);
- anything else during execution is masked ("Internal error", INTERNAL_SERVER_ERROR) and logged here,
  so no traceback or internal detail ever reaches a client.
"""

from __future__ import annotations

import logging
import re

from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors

from domain.errors import LedgerError
from infra.ledger import EDIT_VERBS

log = logging.getLogger("svledger.api.errors")
EDIT_FIELD = re.compile(r"Cannot query field '(\w+)' on type 'Mutation'")


def code_of(error: GraphQLError) -> str:
    message = error.message
    edit = EDIT_FIELD.search(message)
    if edit and edit.group(1).lower().startswith(EDIT_VERBS):
        return "HISTORY_IMMUTABLE"  # domain.md §13.4: no interface edits or deletes history
    if "exceeds maximum operation depth" in message:
        return "QUERY_TOO_DEEP"
    if "query complexity" in message or "aliases found" in message or "tokens. Parsing aborted" in message:
        return "QUERY_TOO_COMPLEX"
    if message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if message.startswith("Variable") or "got invalid value" in message:
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"


class CodedErrors(MaskErrors):
    """``MaskErrors`` that translates instead of blanking: codes in ``extensions``, internals masked."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda error: True, error_message="Internal error")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        while isinstance(original, GraphQLError) and original.original_error is not None:
            original = original.original_error
        if isinstance(original, LedgerError):
            extensions = {"code": original.code}
            if original.details:
                extensions["details"] = original.details
            return self._copy(error, original.message, extensions)
        if original is None or error.path is None:
            return self._copy(error, error.message, {"code": code_of(error)})
        log.error("unexpected error at %s", error.path, exc_info=original)
        return self._copy(error, self.error_message, {"code": "INTERNAL_SERVER_ERROR"})

    @staticmethod
    def _copy(error: GraphQLError, message: str, extensions: dict[str, object]) -> GraphQLError:
        return GraphQLError(message=message, nodes=error.nodes, source=error.source, positions=error.positions,
                            path=error.path, original_error=None, extensions=extensions)


def is_client_error(error: GraphQLError) -> bool:
    """A refusal or a bad request: expected, logged without a traceback."""
    original = error.original_error
    return original is None or isinstance(original, LedgerError)


def log_errors(errors: list[GraphQLError]) -> None:
    for error in errors:
        if is_client_error(error):
            log.info("refused: %s", error.message)
        else:
            log.error("unexpected error at %s", error.path, exc_info=error.original_error)
