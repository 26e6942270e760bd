"""The projector's decoding of stored states (``projections.events.loads_state``): the objects ``json.loads`` gives,
whatever the bytes (orjson where it agrees, json where it may not)."""

from __future__ import annotations

import json

import pytest

from projections.events import loads_state

AWKWARD = [
    b'{"a":1}',
    b'{"big":18446744073709551616,"neg":-9223372036854775809,"u64":18446744073709551615}',
    b'{"n":12345678901234567890123}',
    b'{"f":1.5,"g":1e-7,"h":1E+16,"i":-0.0,"j":-0,"k":0.1}',
    b'{"nan":NaN,"inf":Infinity,"m":-Infinity}',
    b'{"huge":1e400}',
    b'{"a":1,"b":2,"a":3}',
    '{"s":"\u4e2d\u6587, \\"quoted\\" \\\\ \\n \\u0000 \\ud83d\\ude00"}'.encode(),
    b'{"lone":"\\ud800"}',
    b'{"raw":"\xed\xa0\x80"}',  # a lone surrogate as UTF-8 bytes: json reads it (surrogatepass), orjson refuses
    b'{"id":"12345678901234567890x","t":true,"f":false,"z":null,"l":[],"o":{}}',
    b' { "spaced" : [ 1 , 2 ] } ',
]


@pytest.mark.parametrize("raw", AWKWARD)
def test_a_state_decodes_as_json_loads_decodes_it(raw: bytes) -> None:
    expected = json.loads(raw.decode("utf-8", "surrogatepass"))
    for given in (raw, bytearray(raw), memoryview(raw)):
        got = loads_state(given)
        assert json.dumps(got, sort_keys=True) == json.dumps(expected, sort_keys=True)
        assert repr(got) == repr(expected)  # same types (int stays int), same key order


def test_a_text_state_decodes_too() -> None:
    assert loads_state('{"a":[1,2.5]}') == {"a": [1, 2.5]}
