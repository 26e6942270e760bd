"""``api.execution.LeafFastPath`` answers exactly what Strawberry's own execution context answers: the
same data, and the same errors with the same messages and paths, for plain scalar fields that succeed,
that are null where they may or may not be, that fail to coerce, or that hold an exception."""

from __future__ import annotations

import asyncio
import enum
import json
from datetime import datetime, timezone
from typing import Any

import pytest
import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.permission import BasePermission
from strawberry.scalars import JSON
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.execution import LeafFastPath, _leaf_plan


class Colour(enum.Enum):
    RED = "red"


class Never(BasePermission):
    message = "not allowed"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Inner:
    n: int

    @strawberry.field
    async def later(self) -> int:  # an awaitable inside an object
        if self.n == 3:
            raise ValueError("three")
        return self.n * 10


@strawberry.type
class Pair:
    left: Inner  # non-null object: an error inside it reaches the pair
    right: Inner | None


@strawberry.type
class Item:
    i: int
    s: str | None
    when: datetime | None
    colour: Colour | None
    blob: JSON
    strict: int  # set to None / a string / an exception in some items
    inner: Inner | None
    tags: list[str] = strawberry.field(default_factory=list)
    kids: list[Inner] | None = strawberry.field(default_factory=list)
    guarded: str = strawberry.field(default="x", permission_classes=[Never])

    @strawberry.field
    def computed(self, times: int = 2) -> int:
        return self.i * times


NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)


def items() -> list[Item]:
    good = [Item(i=k, s=None if k % 2 else f"s{k}", when=NOW if k % 3 else None, colour=Colour.RED,
                 blob={"k": [k, "中"]}, strict=k, inner=Inner(n=k) if k % 2 else None, tags=["t"] * (k % 2),
                 kids=[Inner(n=k)] * (k % 3) if k != 4 else None) for k in range(5)]
    bad_null = Item(i=9, s="a", when=NOW, colour=None, blob={}, strict=None, inner=None, tags=None)  # type: ignore[arg-type]
    bad_type = Item(i=10, s="b", when="not a date", colour="green", blob={}, strict="x", inner=None,
                    tags=(), kids=[None])  # type: ignore[arg-type]
    bad_exc = Item(i=11, s="c", when=NOW, colour=None, blob={}, strict=ValueError("boom"), inner=None)  # type: ignore[arg-type]
    return [*good, bad_null, bad_type, bad_exc]


@strawberry.type
class Query:
    @strawberry.field
    def good(self) -> list[Item]:
        return items()[:5]

    @strawberry.field
    async def all(self) -> list[Item | None]:
        return items()  # type: ignore[return-value]

    @strawberry.field
    def pairs(self) -> list[Pair | None]:
        bad = Inner(n=None)  # type: ignore[arg-type]
        return [Pair(left=Inner(n=1), right=Inner(n=2)), Pair(left=bad, right=Inner(n=3)),
                Pair(left=Inner(n=4), right=bad), Pair(left=Inner(n=5), right=None)]


DOCUMENTS = [
    "{ good { i s when colour blob strict inner { n } computed(times: 3) } }",
    "{ all { i s when colour blob strict inner { n } } }",
    "{ all { when } }",
    "{ all { strict } }",
    "{ good { i guarded } }",
    "{ good { ...F } } fragment F on Item { i colour }",
    "{ good { a: i i s b: s inner { n } c: computed ... on Item { i when } } }",  # aliases, repeats, fragments
    "{ all { inner { n } i strict s } good { s } }",  # an error between plain fields; key order kept
    "{ all { i tags kids { n } } good { tags kids { n } } }",  # empty, non-empty, null and odd lists
    "{ pairs { left { n } right { n } } }",  # a null inside a non-null object, inside a nullable one
    "{ pairs { right { later n } left { n later } } }",  # awaitables inside objects, one failing
    "{ good { inner { n later } i } all { inner { later } } }",
]


def run(context: type, document: str) -> tuple[str, list[tuple[str, Any]]]:
    """The answer as JSON text (so the order of keys counts) and the errors with their paths, in order."""
    schema = strawberry.Schema(query=Query, execution_context_class=context)
    result = asyncio.run(schema.execute(document))
    return json.dumps(result.data), [(e.message, e.path) for e in result.errors or []]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_fast_path_answers_like_strawberry(document: str) -> None:
    assert run(LeafFastPath, document) == run(StrawberryGraphQLCoreExecutionContext, document)


def test_the_bad_items_do_raise_errors() -> None:
    _, errors = run(LeafFastPath, "{ all { i when strict colour } }")
    assert {path[-1] for _, path in errors} >= {"strict", "when"}


def test_only_plain_scalar_attributes_take_the_short_path() -> None:
    schema = strawberry.Schema(query=Query, execution_context_class=LeafFastPath)
    fields = schema._schema.type_map["Item"].fields  # type: ignore[attr-defined]
    planned = {name for name, f in fields.items() if _leaf_plan(f) is not None}
    assert planned == {"i", "s", "when", "colour", "blob", "strict", "inner", "tags", "kids"}  # not guarded, computed
    pair = schema._schema.type_map["Pair"].fields  # type: ignore[attr-defined]
    assert _leaf_plan(pair["left"])[3] is not None and _leaf_plan(pair["right"])[3] is not None  # type: ignore[index]


def test_response_json_is_compact_utf8_and_takes_any_integer() -> None:
    from api.view import LedgerGraphQL

    encode = LedgerGraphQL.encode_json
    assert encode(None, {"data": {"a": [1, "中"], "b": None}}) == '{"data":{"a":[1,"中"],"b":null}}'  # type: ignore[arg-type]
    assert encode(None, {"n": 2**70}) == '{"n":1180591620717411303424}'  # type: ignore[arg-type]


class Shout(SchemaExtension):
    """A field middleware (``resolve``): every string upper-cased. Its presence must switch the short path off."""

    def resolve(self, _next: Any, root: Any, info: strawberry.Info, *args: Any, **kwargs: Any) -> Any:
        value = _next(root, info, *args, **kwargs)
        return value.upper() if isinstance(value, str) else value


class Quiet(SchemaExtension):
    def on_operation(self) -> Any:
        yield


def calls(context: type, extensions: list[Any], monkeypatch: pytest.MonkeyPatch) -> tuple[str, int]:
    """The answer, and how many fields went through graphql-core's own ``execute_field``."""
    count = {"n": 0}
    original = StrawberryGraphQLCoreExecutionContext.execute_field

    def counted(self: Any, *args: Any) -> Any:
        count["n"] += 1
        return original(self, *args)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "execute_field", counted)
    schema = strawberry.Schema(query=Query, execution_context_class=context, extensions=extensions)
    result = asyncio.run(schema.execute("{ good { i s when tags inner { n } } }"))
    assert not result.errors
    return json.dumps(result.data), count["n"]


def test_the_short_path_is_taken_under_strawberrys_extensions(monkeypatch: pytest.MonkeyPatch) -> None:
    ours, fast_calls = calls(LeafFastPath, [Quiet], monkeypatch)
    theirs, all_calls = calls(StrawberryGraphQLCoreExecutionContext, [Quiet], monkeypatch)
    assert ours == theirs
    # the list, 5 fields × 5 items and 2 inner objects; fast: the list and the 2 non-empty tags
    assert all_calls == 1 + 5 * 5 + 2 and fast_calls == 1 + 2


def test_a_field_middleware_switches_the_short_path_off(monkeypatch: pytest.MonkeyPatch) -> None:
    ours, fast_calls = calls(LeafFastPath, [Shout], monkeypatch)
    theirs, all_calls = calls(StrawberryGraphQLCoreExecutionContext, [Shout], monkeypatch)
    assert ours == theirs and '"S0"' in ours  # the middleware ran on every field
    assert fast_calls == all_calls
