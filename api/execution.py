"""A shorter path through graphql-core for the commonest fields: plain attributes holding a scalar, an
empty list, an object, or nothing.

An audit trail is ~200 such fields (13 entries × version, eventType, occurredAt, data…, each entry's
``actor``, the empty ``approvals``/``documents`` and absent ``target`` of most entries). graphql-core
builds a resolve-info object, checks arguments and walks ``complete_value`` for every one of them. For a
field that has no resolver of its own (Strawberry's attribute getter), no arguments and no field
middleware, the answer is: ``coerce_output_value(getattr(…))`` for a Scalar or Enum; ``[]`` for an
empty list; ``null`` where null is allowed; for an object (of a type without ``is_type_of``) the
execution of its selection set, with graphql-core's own error handling for the field.

``execute_fields`` is graphql-core's loop (same order, same gathering of awaitables) taking that path only
when the outcome is certain to be what the full path gives. Anything else — null on a non-null field, a
value that does not coerce, an exception, a non-empty list, any middleware — goes through graphql-core's
``execute_field`` unchanged, so answers, errors, their messages, paths and order stay exactly as before
(``tests/unit/test_execution.py`` runs both over the same documents and compares)."""

from __future__ import annotations

from typing import Any

from graphql import (GraphQLField, GraphQLObjectType, Undefined, is_leaf_type, is_list_type, is_non_null_type,
                     is_object_type)
from graphql.pyutils import Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

_PLAN = "_svledger_plan"  # per field: (leaf type or None, nullable, is a list, object type or None) or None
_BASIC = "_get_basic_result"  # Strawberry's getter for a field with no resolver, extension or permission


def _leaf_plan(field_def: GraphQLField) -> tuple[Any, bool, bool, Any] | None:
    plan = field_def.__dict__.get(_PLAN, Undefined)
    if plan is Undefined:
        plan = None
        resolve, kind = field_def.resolve, field_def.type
        if (resolve is not None and getattr(resolve, "_is_default", False) and not field_def.args
                and getattr(resolve, "__name__", "") == _BASIC):
            nullable = not is_non_null_type(kind)
            inner = kind if nullable else kind.of_type  # type: ignore[attr-defined]
            obj = inner if is_object_type(inner) and inner.is_type_of is None else None  # type: ignore[union-attr]
            plan = (inner if is_leaf_type(inner) else None, nullable, is_list_type(inner), obj)
        field_def.__dict__[_PLAN] = plan
    return plan


class LeafFastPath(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context with the plain-attribute shortcut (module docstring)."""

    def execute_fields(self, parent_type: GraphQLObjectType, source_value: Any, path: Any,
                       grouped_field_set: dict[str, Any], position_context: Any) -> Any:
        manager = self.middleware_manager  # Strawberry always passes one; it matters only when it holds any
        if manager is not None and manager.middlewares:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        results: dict[str, Any] = {}
        awaiting: list[str] = []
        is_awaitable, type_name = self.is_awaitable, parent_type.name
        try:
            for name, details, plan in self._plans(parent_type, grouped_field_set):
                if plan is not None:
                    resolve, leaf, nullable, many, obj, return_type = plan
                    value = resolve(source_value, None)  # Strawberry's attribute getter ignores info
                    if value is None:
                        if nullable:
                            results[name] = None
                            continue
                    elif many:
                        if type(value) is list and not value:
                            results[name] = []
                            continue
                    elif not isinstance(value, Exception) and not is_awaitable(value):
                        if leaf is not None:
                            try:
                                coerced = leaf.coerce_output_value(value)
                            except Exception:  # noqa: BLE001 - the full path raises it again, located
                                coerced = None
                            if coerced is not None and coerced is not Undefined:
                                results[name] = coerced
                                continue
                        elif obj is not None:
                            result = self._object(obj, return_type, details, Path(path, name, type_name), value,
                                                  position_context)
                            results[name] = result
                            if is_awaitable(result):
                                awaiting.append(name)
                            continue
                result = self.execute_field(parent_type, source_value, details, Path(path, name, type_name),
                                            position_context)
                if result is not Undefined:
                    results[name] = result
                    if is_awaitable(result):
                        awaiting.append(name)
        except Exception:
            if awaiting:  # settle what other fields started, as graphql-core does
                self.settle_in_background([results[name] for name in awaiting])
            raise
        if not awaiting:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaiting) == 1:
                results[awaiting[0]] = await results[awaiting[0]]
            else:
                values = await gather_with_cancel(*(results[name] for name in awaiting))
                results.update(zip(awaiting, values, strict=True))
            return results

        return get_results()

    def _object(self, obj: GraphQLObjectType, return_type: Any, details: Any, path: Any, value: Any,
                position_context: Any) -> Any:
        """``execute_field`` + ``complete_value`` for an object value of a type without ``is_type_of``: its
        selection set executed, an error handled for this field as graphql-core handles it."""
        try:
            completed = self.collect_and_execute_subfields(obj, details, path, value, position_context)
        except Exception as raw_error:  # noqa: BLE001 - located and collected (or raised) by graphql-core
            self.handle_field_error(raw_error, return_type, details, path)
            return None
        if not self.is_awaitable(completed):
            return completed

        async def await_completed() -> Any:
            try:
                return await completed
            except Exception as raw_error:  # noqa: BLE001 - as graphql-core's await_completed
                self.handle_field_error(raw_error, return_type, details, path)
                return None

        return await_completed()

    def _plans(self, parent_type: GraphQLObjectType, grouped_field_set: dict[str, Any]) -> list[Any]:
        """Each field of a selection set with its short-path plan or None, in order (made once per selection
        set and execution: graphql-core memoises the sets the same way)."""
        memo = self.__dict__.setdefault("_svledger_plans", {})
        key = (parent_type.name, id(grouped_field_set))
        found = memo.get(key)
        if found is None or found[0] is not grouped_field_set:
            plans = []
            for name, details in grouped_field_set.items():
                node = details[0].node
                field_def = self.schema.get_field(parent_type, node.name.value)
                plan = _leaf_plan(field_def) if field_def is not None and not node.arguments else None
                plans.append((name, details, (field_def.resolve, *plan, field_def.type)  # type: ignore[union-attr]
                              if plan is not None and len(details) == 1 else None))
            found = (grouped_field_set, plans)  # keeps the set alive: its id stays its own
            memo[key] = found
        return found[1]
