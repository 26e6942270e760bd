"""A shorter path through graphql-core for the commonest field: a plain attribute holding a scalar.

An audit trail is ~200 such fields (13 entries × version, eventType, occurredAt, data…). graphql-core
builds a resolve-info object, checks arguments and walks ``complete_value`` for every one of them; for
a field that has no resolver of its own (Strawberry marks its attribute getter ``_is_default``), no
arguments and a Scalar or Enum type, the answer is just ``coerce_output_value(getattr(…))``.

``execute_field`` takes that path only when the outcome is certain to be what the full path gives: the
value is present (or null on a nullable field) and coerces to a value. Anything else — null on a
non-null field, a value that does not coerce, an exception, any middleware — goes through graphql-core
unchanged, so errors, their messages and their paths stay exactly as before (``tests/unit/test_execution.py``
runs both paths over the same documents and compares)."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLField, GraphQLObjectType, Undefined, is_leaf_type, is_non_null_type
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

_PLAN = "_svledger_leaf"  # per field definition: (leaf type, nullable) or None
_BASIC = "_get_basic_result"  # Strawberry's getter for a field with no resolver, extension or permission


def _leaf_plan(field_def: GraphQLField) -> tuple[Any, bool] | None:
    plan = field_def.__dict__.get(_PLAN, Undefined)
    if plan is Undefined:
        plan = None
        resolve, kind = field_def.resolve, field_def.type
        if (resolve is not None and getattr(resolve, "_is_default", False) and not field_def.args
                and getattr(resolve, "__name__", "") == _BASIC):
            nullable = not is_non_null_type(kind)
            inner = kind if nullable else kind.of_type  # type: ignore[attr-defined]
            if is_leaf_type(inner):
                plan = (inner, nullable)
        field_def.__dict__[_PLAN] = plan
    return plan


class LeafFastPath(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context with the plain-scalar shortcut (module docstring)."""

    def execute_field(self, parent_type: GraphQLObjectType, source: Any, field_details_list: Any, path: Any,
                      position_context: Any) -> Any:
        node = field_details_list[0].node
        if self.middleware_manager is None and not node.arguments:
            field_def = self.schema.get_field(parent_type, node.name.value)
            plan = _leaf_plan(field_def) if field_def is not None else None
            if plan is not None:
                value = field_def.resolve(source, None)  # type: ignore[misc]  # Strawberry's getter ignores info
                if value is None:
                    if plan[1]:
                        return None
                elif not isinstance(value, Exception) and not self.is_awaitable(value):
                    try:
                        coerced = plan[0].coerce_output_value(value)
                    except Exception:  # noqa: BLE001 - the full path below raises it, located
                        coerced = None
                    if coerced is not None and coerced is not Undefined:
                        return coerced
        return super().execute_field(parent_type, source, field_details_list, path, position_context)
