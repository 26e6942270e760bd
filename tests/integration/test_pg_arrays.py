"""``infra.pg_arrays`` builds the same arrays PostgreSQL gets from psycopg's own list dumper: PostgreSQL reads
both encodings of the same values and must see equal arrays (elements, NULLs, empty arrays, non-ASCII)."""

from __future__ import annotations

from uuid import UUID, uuid4

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infra import pg_arrays as arr

pytestmark = pytest.mark.postgres
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
CASES = [
    ("uuid[]", arr.uuids, st.lists(st.uuids(), max_size=4)),
    ("bigint[]", arr.bigints, st.lists(st.integers(-(2**63), 2**63 - 1), max_size=4)),
    ("int[]", arr.ints, st.lists(st.integers(-(2**31), 2**31 - 1), max_size=4)),
    ("text[]", arr.texts, st.lists(st.one_of(st.none(), TEXT), max_size=4)),
    ("bytea[]", arr.byteas, st.lists(st.binary(max_size=40), max_size=4)),
]


@pytest.fixture(scope="module")
def conn(pg_database: str):
    with psycopg.connect(pg_database, autocommit=True) as c:
        yield c


@pytest.mark.parametrize("sql_type,build,values", CASES, ids=[c[0] for c in CASES])
def test_postgres_reads_the_same_array(conn, sql_type, build, values) -> None:
    @settings(max_examples=40, deadline=None)
    @given(values)
    def check(items: list) -> None:
        ours, theirs = conn.execute(f"SELECT %s::{sql_type}, %s::{sql_type}", (build(items), items),
                                    binary=True).fetchone()
        assert ours == theirs == items or (not items and ours == theirs == [])
        same = conn.execute(f"SELECT %s::{sql_type} IS NOT DISTINCT FROM %s::{sql_type}", (build(items), items),
                            binary=True).fetchone()[0]
        assert same is True

    check()


def test_a_wrong_element_type_fails_loudly() -> None:
    with pytest.raises((AttributeError, TypeError)):
        arr.texts([1])  # type: ignore[list-item]
    assert isinstance(arr.uuids([uuid4()]).data, bytes) and UUID(bytes=arr.uuids([UUID(int=1)]).data[-16:]).int == 1
