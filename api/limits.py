"""Hardening: depth, complexity, alias and token limits on documents; introspection switch; and a
request body limit (413, ``PAYLOAD_TOO_LARGE``) in front of everything."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

from graphql import (FieldNode, FragmentDefinitionNode, FragmentSpreadNode, GraphQLError, InlineFragmentNode,
                     IntValueNode, OperationDefinitionNode, SelectionSetNode, ValidationRule)
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import (AddValidationRules, DisableIntrospection, MaxAliasesLimiter, MaxTokensLimiter,
                                   QueryDepthLimiter, SchemaExtension)

from api.config import ApiSettings
from api.types.common import MAX_PAGE

PAGE_ARGS = ("first", "last")


def _multiplier(field: FieldNode) -> int:
    for arg in field.arguments or ():
        if arg.name.value in PAGE_ARGS:
            return int(arg.value.value) if isinstance(arg.value, IntValueNode) else MAX_PAGE
    return 1


def cost(selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode],
         seen: frozenset[str] = frozenset()) -> int:
    """1 per field; a paginated field's children count ``first`` times (a variable counts as the maximum)."""
    if selection_set is None:
        return 0
    total = 0
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            if not sel.name.value.startswith("__"):
                total += 1 + max(_multiplier(sel), 1) * cost(sel.selection_set, fragments, seen)
        elif isinstance(sel, InlineFragmentNode):
            total += cost(sel.selection_set, fragments, seen)
        elif isinstance(sel, FragmentSpreadNode) and sel.name.value not in seen and sel.name.value in fragments:
            total += cost(fragments[sel.name.value].selection_set, fragments, seen | {sel.name.value})
    return total


def complexity_rule(max_cost: int) -> type[ValidationRule]:
    class ComplexityLimit(ValidationRule):
        def enter_document(self, node: Any, *_: Any) -> None:
            fragments = {d.name.value: d for d in node.definitions if isinstance(d, FragmentDefinitionNode)}
            for d in node.definitions:
                if isinstance(d, OperationDefinitionNode):
                    found = cost(d.selection_set, fragments)
                    if found > max_cost:
                        self.report_error(GraphQLError(
                            f"query complexity {found} exceeds the maximum of {max_cost}", d))

    return ComplexityLimit


def validation_rules(settings: ApiSettings | None) -> list[type[ValidationRule]]:
    """The document rules (depth, complexity, aliases; introspection when switched off), built once per
    schema: every request validates against the same rule classes, so ``ValidationCache`` hits."""
    s = settings
    rules = [*QueryDepthLimiter(max_depth=s.max_depth if s else 10).validation_rules,
             complexity_rule(s.max_complexity if s else 5000),
             *MaxAliasesLimiter(max_alias_count=s.max_aliases if s else 30).validation_rules]
    if s is not None and not s.introspection:
        rules.extend(DisableIntrospection().validation_rules)
    return rules


def schema_limits(settings: ApiSettings | None) -> list[Callable[[], SchemaExtension]]:
    """Extension factories (a fresh extension per request, the same rule classes for all of them)."""
    rules = validation_rules(settings)
    return [partial(MaxTokensLimiter, max_token_count=settings.max_tokens if settings else 5000),
            partial(AddValidationRules, rules)]


class BodyLimit:
    """Refuse an HTTP body over ``max_bytes`` with 413 before the application reads it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        body, more = bytearray(), True
        messages: list[Message] = []
        while more:
            message = await receive()
            if message["type"] != "http.request":
                messages.append(message)
                break
            body.extend(message.get("body", b""))
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await self._refuse(send)
                return
        replay = [{"type": "http.request", "body": bytes(body), "more_body": False}, *messages]

        async def replayed() -> Message:
            return replay.pop(0) if replay else await receive()

        await self.app(scope, replayed, send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"errors": [{"message": f"the request body exceeds {self.max_bytes} bytes",
                                       "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
