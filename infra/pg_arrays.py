"""One-dimensional PostgreSQL arrays in the binary wire format, built directly from Python lists.

psycopg's generic list dumper inspects every list (element type, nulls, nesting) and picks a dumper per
call: ~60 µs of the ~145 µs CPU that a ``svl_append`` call spent on its ten array parameters
(BENCHMARKS.md). The write path knows each array's element type, so it builds the bytes itself
(``array_recv``'s format: ndim, has-null flag, element OID, then length and lower bound, then each element
as length + bytes, -1 for NULL) and hands them over as a value of that array type.
``tests/unit/test_pg_arrays.py`` has PostgreSQL read both encodings and compares."""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

import psycopg
from psycopg.adapt import Dumper
from psycopg.pq import Format

_HEAD = struct.Struct(">iiIii")  # ndim 1, has nulls, element OID, length, lower bound 1
_EMPTY = struct.Struct(">iiI")  # ndim 0: the empty array
_LEN = struct.Struct(">i")
_NULL = _LEN.pack(-1)
_INT8, _INT4 = struct.Struct(">q"), struct.Struct(">i")


class PgArray:
    """An array parameter already in binary form, with the OID of its array type."""

    __slots__ = ("oid", "data")

    def __init__(self, oid: int, data: bytes) -> None:
        self.oid, self.data = oid, data


class _PgArrayDumper(Dumper):
    format = Format.BINARY

    def dump(self, obj: PgArray) -> bytes:
        return obj.data

    def get_key(self, obj: PgArray, format: Any) -> Any:
        return (PgArray, obj.oid)

    def upgrade(self, obj: PgArray, format: Any) -> Dumper:
        dumper = _PgArrayDumper(PgArray)
        dumper.oid = obj.oid
        return dumper


psycopg.adapters.register_dumper(PgArray, _PgArrayDumper)  # our own type only: nothing else changes


def _array(element_oid: int, array_oid: int, values: Sequence[Any], encode: Callable[[Any], bytes]) -> PgArray:
    if not values:
        return PgArray(array_oid, _EMPTY.pack(0, 0, element_oid))
    parts = [b""]
    nulls = 0
    for v in values:
        if v is None:
            parts.append(_NULL)
            nulls = 1
        else:
            b = encode(v)
            parts.append(_LEN.pack(len(b)))
            parts.append(b)
    parts[0] = _HEAD.pack(1, nulls, element_oid, len(values), 1)
    return PgArray(array_oid, b"".join(parts))


def uuids(values: Sequence[UUID]) -> PgArray:
    return _array(2950, 2951, values, lambda u: u.bytes)


def bigints(values: Sequence[int]) -> PgArray:
    return _array(20, 1016, values, _INT8.pack)


def ints(values: Sequence[int]) -> PgArray:
    return _array(23, 1007, values, _INT4.pack)


def texts(values: Sequence[str | None]) -> PgArray:
    return _array(25, 1009, values, str.encode)


def byteas(values: Sequence[bytes]) -> PgArray:
    return _array(17, 1001, values, bytes)
