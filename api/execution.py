"""A shorter path through graphql-core for the commonest fields: plain attributes holding a scalar, an
empty list or no object.

An audit trail is ~200 such fields (13 entries × version, eventType, occurredAt, data…, and the empty
``approvals``/``documents`` and absent ``target`` of most entries). graphql-core builds a resolve-info
object, checks arguments and walks ``complete_value`` for every one of them; for a field that has no
resolver of its own (Strawberry's attribute getter), no arguments and a Scalar or Enum type the answer
is just ``coerce_output_value(getattr(…))``; for a list it is ``[]`` when the list is empty, and for
a nullable object ``null`` when there is none.

``execute_fields`` takes that path only when the outcome is certain to be what the full path gives: a
value that coerces, an empty list, null where null is allowed. Anything else — null on a non-null field,
a value that does not coerce, an exception, any object or non-empty list, any middleware — goes through
graphql-core unchanged, so errors, their messages and their paths stay exactly as before
(``tests/unit/test_execution.py`` runs both paths over the same documents and compares)."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLField, GraphQLObjectType, Undefined, is_leaf_type, is_list_type, is_non_null_type
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

_PLAN = "_svledger_leaf"  # per field definition: (leaf type or None, nullable, is a list) or None
_BASIC = "_get_basic_result"  # Strawberry's getter for a field with no resolver, extension or permission


def _leaf_plan(field_def: GraphQLField) -> tuple[Any, bool, bool] | None:
    plan = field_def.__dict__.get(_PLAN, Undefined)
    if plan is Undefined:
        plan = None
        resolve, kind = field_def.resolve, field_def.type
        if (resolve is not None and getattr(resolve, "_is_default", False) and not field_def.args
                and getattr(resolve, "__name__", "") == _BASIC):
            nullable = not is_non_null_type(kind)
            inner = kind if nullable else kind.of_type  # type: ignore[attr-defined]
            plan = (inner if is_leaf_type(inner) else None, nullable, is_list_type(inner))
        field_def.__dict__[_PLAN] = plan
    return plan


class LeafFastPath(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context with the plain-scalar shortcut (module docstring)."""

    def execute_fields(self, parent_type: GraphQLObjectType, source_value: Any, path: Any,
                       grouped_field_set: dict[str, Any], position_context: Any) -> Any:
        manager = self.middleware_manager  # Strawberry always passes one; it matters only when it holds any
        if manager is not None and manager.middlewares:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        leaves, rest = self._plans(parent_type, grouped_field_set)
        if not leaves:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        done: dict[str, Any] = {}
        slow: list[str] = []
        is_awaitable = self.is_awaitable
        for name, (resolve, leaf, nullable, many) in leaves:
            value = resolve(source_value, None)  # Strawberry's attribute getter ignores info
            if value is None:
                if nullable:
                    done[name] = None
                    continue
            elif many:
                if type(value) is list and not value:
                    done[name] = []
                    continue
            elif leaf is not None and not isinstance(value, Exception) and not is_awaitable(value):
                try:
                    coerced = leaf.coerce_output_value(value)
                except Exception:  # noqa: BLE001 - the full path raises it again, located
                    coerced = None
                if coerced is not None and coerced is not Undefined:
                    done[name] = coerced
                    continue
            slow.append(name)
        if slow:  # the full path for what did not succeed here (errors exactly as graphql-core makes them)
            rest = {name: details for name, details in grouped_field_set.items() if name not in done}
        if not rest:
            return done
        others = super().execute_fields(parent_type, source_value, path, rest, position_context)
        if is_awaitable(others):
            async def merged() -> dict[str, Any]:
                return _in_order(grouped_field_set, done, await others)
            return merged()
        return _in_order(grouped_field_set, done, others)

    def _plans(self, parent_type: GraphQLObjectType, grouped_field_set: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
        """The fields of a selection set that may take the short path, and the others (a field set of their
        own, made once per selection set and execution: graphql-core memoises both the same way)."""
        memo = self.__dict__.setdefault("_svledger_plans", {})
        key = (parent_type.name, id(grouped_field_set))
        found = memo.get(key)
        if found is None or found[0] is not grouped_field_set:
            leaves, rest = [], {}
            for name, details in grouped_field_set.items():
                node = details[0].node
                field_def = self.schema.get_field(parent_type, node.name.value)
                plan = _leaf_plan(field_def) if field_def is not None and not node.arguments else None
                if plan is not None and len(details) == 1:
                    leaves.append((name, (field_def.resolve, *plan)))
                else:
                    rest[name] = details
            found = (grouped_field_set, leaves, rest)  # keeps the set alive: its id stays its own
            memo[key] = found
        return found[1], found[2]


def _in_order(grouped_field_set: dict[str, Any], done: dict[str, Any], others: dict[str, Any]) -> dict[str, Any]:
    """One field's answer per response name, in the selection's order (a field whose execution left
    nothing, ``Undefined``, is absent as graphql-core leaves it)."""
    return {name: done[name] if name in done else others[name] for name in grouped_field_set
            if name in done or name in others}
