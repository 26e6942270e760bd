"""The fast paths of ``svledger verify`` give exactly what the reference functions give: ``fast_event_hash``
is ``infra.hashing.event_hash`` byte for byte (plain and non-plain inputs), ``Frontier.extend`` is a run of
``Frontier.append``, and ``Scan.feed`` (fast path + slow path) reports what the original per-event check
reported, on regular and tampered logs."""

from __future__ import annotations

import hashlib
import random
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.checkpoints import CHECKPOINT_TOPIC as CHECKPOINTS_MODULE_TOPIC
from infra.hashing import event_hash, genesis_hash, stream_type_of
from infra.merkle import Frontier, root_of
from infra.verify_scan import CHECKPOINT_TOPIC, Scan, fast_event_hash

PLAIN_TEXT = st.text(alphabet="abcXYZ019_.:-", max_size=12)
ANY_TEXT = st.one_of(PLAIN_TEXT, st.text(max_size=12), st.sampled_from(['a"b', "a\\b", "x\n", "é", "\u2028", ""]))
HEX = st.binary(min_size=32, max_size=32).map(lambda b: b.hex())


def outcome(fn: Any, *args: Any) -> tuple[str, Any]:
    try:
        return "ok", fn(*args)
    except Exception as exc:  # noqa: BLE001 - the same failure is part of "the same result"
        return "raises", type(exc)


@settings(max_examples=600, deadline=None)
@given(sid=st.one_of(st.uuids().map(str), ANY_TEXT, st.uuids()),
       version=st.one_of(st.integers(min_value=-2, max_value=10**20), st.booleans(),
                         st.floats(allow_nan=False, allow_infinity=False)),
       topic=st.one_of(st.sampled_from(["domain.clue:Clue.ClueReceived", CHECKPOINT_TOPIC]), ANY_TEXT),
       state=st.one_of(st.binary(max_size=64), st.text(max_size=16), st.binary(max_size=8).map(bytearray),
                       st.just(b'{"meta": {"stream_type": "Clue"}}')),
       prev=st.one_of(HEX, ANY_TEXT))
def test_fast_event_hash_is_event_hash_byte_for_byte(sid: Any, version: Any, topic: str, state: Any,
                                                     prev: str) -> None:
    assert outcome(fast_event_hash, sid, version, topic, state, prev) == outcome(event_hash, sid, version, topic,
                                                                                 state, prev)


def test_fast_event_hash_on_regular_envelopes() -> None:
    for i in range(200):
        sid, prev = str(uuid.uuid4()), hashlib.sha256(str(i).encode()).hexdigest()
        state = random.randbytes(random.randint(0, 3000))
        assert fast_event_hash(sid, i + 1, "domain.clue:Clue.EvidenceRecorded", state, prev) == event_hash(
            sid, i + 1, "domain.clue:Clue.EvidenceRecorded", state, prev)


def test_the_checkpoint_topic_is_the_one_checkpoints_record() -> None:
    assert CHECKPOINT_TOPIC == CHECKPOINTS_MODULE_TOPIC


@settings(max_examples=60, deadline=None)
@given(chunks=st.lists(st.integers(min_value=0, max_value=70), max_size=12), seed=st.integers(0, 1000))
def test_frontier_extend_is_append_in_turn(chunks: list[int], seed: int) -> None:
    rng = random.Random(seed)
    bulk, one = Frontier(), Frontier()
    leaves: list[bytes] = []
    for n in chunks:
        new = [rng.randbytes(32) for _ in range(n)]
        leaves += new
        bulk.extend(new)
        for leaf in new:
            one.append(leaf)
        assert (bulk.size, bulk.stack) == (one.size, one.stack)
        assert bulk.root() == one.root() == root_of(leaves)
    copy = bulk.copy()
    copy.extend([b"x"])
    assert bulk.size == one.size and copy.size == one.size + 1


# --- Scan.feed against the original per-event check ------------------------------------------------------

Hashes = dict[tuple[str, int], list[str]]


def reference(events: list[list[Any]], hashes: Hashes) -> tuple[list[tuple[Any, ...]], list[bytes]]:
    """The check as ``infra/verify.py`` ran it before the fast path (one event at a time, the recorded hashes
    in a dict), with the Merkle leaves it appended."""
    last: dict[str, tuple[int, str]] = {}
    problems, leaves = [], []
    for pos, oid, version, topic, state in events:
        sid = str(uuid.UUID(oid))
        previous_version, previous_hash = last.get(sid, (0, ""))
        if version != previous_version + 1:
            problems.append((pos, sid, version, f"version {version} follows {previous_version}: not contiguous "
                                                "(reordered, deleted or inserted rows)"))
        prev = genesis_hash(stream_type_of(topic, state), sid) if version == 1 else previous_hash
        digest = event_hash(sid, version, topic, state, prev)
        stored = hashes.get((sid, version))
        if stored is None:
            problems.append((pos, sid, version, "no recorded hash for this event"))
        elif stored[0] != prev:
            problems.append((pos, sid, version, "chain broken: prev_event_hash differs from the previous event's "
                                                "hash"))
        elif stored[1] != digest:
            problems.append((pos, sid, version, "event_hash mismatch: the stored event was altered"))
        last[sid] = (version, stored[1] if stored else digest)
        leaves.append(bytes.fromhex(stored[1] if stored else digest))
    return problems, leaves


def make_log(rng: random.Random, events: int, streams: int) -> tuple[list[list[Any]], Hashes]:
    """Events as stored (SQLite form of the stream id) and their hashes as the recorders write them."""
    ids = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(streams)]
    topics = ["domain.clue:Clue.ClueReceived", "domain.clue:Clue.EvidenceRecorded", CHECKPOINT_TOPIC,
              "domain.access_log:AccessLog.RecordViewed"]
    versions: dict[uuid.UUID, int] = {}
    rows, hashes = [], {}
    for pos in range(1, events + 1):
        oid = rng.choice(ids)
        version = versions[oid] = versions.get(oid, 0) + 1
        topic = rng.choice(topics)
        state = (b'{"meta": {"stream_type": "Clue"}, "n": %d}' % pos if rng.random() < 0.8
                 else rng.randbytes(rng.randint(1, 40)))
        sid = str(oid)
        prev = genesis_hash(stream_type_of(topic, state), sid) if version == 1 else hashes[(sid, version - 1)][1]
        hashes[(sid, version)] = [prev, event_hash(sid, version, topic, state, prev)]
        rows.append([pos, oid.hex, version, topic, state])
    return rows, hashes


def tamper(rng: random.Random, events: list[list[Any]], hashes: Hashes) -> tuple[list[list[Any]], Hashes]:
    """What an attacker with database access (triggers dropped) may do to the rows."""
    events, hashes = [list(e) for e in events], {k: list(v) for k, v in hashes.items()}
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(events))
        event = events[i]
        key = (str(uuid.UUID(event[1])), event[2])
        kind = rng.choice(["flip", "delete", "swap", "topic", "prev", "digest", "unrecorded", "version", "quote",
                           "truncate"])
        if kind == "flip" and event[4]:
            state = bytearray(event[4])
            state[rng.randrange(len(state))] ^= 1 << rng.randrange(8)
            event[4] = bytes(state)
        elif kind == "delete" and len(events) > 2:
            del events[i]
        elif kind == "truncate" and len(events) > 2:
            del events[max(i, 1):]
        elif kind == "swap" and i + 1 < len(events):
            events[i], events[i + 1] = events[i + 1], events[i]
        elif kind == "topic":
            event[3] = event[3] + "X"
        elif kind == "prev" and key in hashes:
            hashes[key][0] = hashlib.sha256(b"forged").hexdigest()
        elif kind == "digest" and key in hashes:
            hashes[key][1] = hashes[key][1].upper() if rng.random() < 0.5 else hashlib.sha256(b"f").hexdigest()
        elif kind == "unrecorded":
            hashes.pop(key, None)
        elif kind == "version":
            event[2] += 1
        elif kind == "quote" and key in hashes:  # a topic the canonicaliser escapes, its hash recomputed
            event[3] = 'domain.clue:Clue."Odd"\n'
            hashes[key][1] = event_hash(key[0], event[2], event[3], event[4], hashes[key][0])
    for pos, event in enumerate(events, start=1):
        event[0] = pos
    return events, hashes


def joined(events: list[list[Any]], hashes: Hashes) -> list[tuple[Any, ...]]:
    """The rows of the verify query: each event with the hash row of its key, as the database joins them."""
    out = []
    for pos, oid, version, topic, state in events:
        key = (str(uuid.UUID(oid)), version)
        rec = hashes.get(key)
        out.append((pos, oid, version, topic, state, *((*key, *rec) if rec else (None, None, None, None))))
    return out


def run_scan(rows: list[tuple[Any, ...]], batch: int, scan: Scan | None = None,
             split: bool = False) -> tuple[list[Any], list[bytes], Scan]:
    """Feed ``rows`` in batches, as nine-column rows (SQLite) or as events and hash rows apart (PostgreSQL)."""
    scan = scan or Scan()
    for i in range(0, len(rows), batch):
        part = rows[i:i + batch]
        if split:
            scan.feed([r[:5] for r in part], [r[5:] for r in part])
        else:
            scan.feed(part)
    blob = scan.leaves()
    leaves = [scan.odd_leaves.get(i, blob[i * 32:i * 32 + 32]) for i in range(len(blob) // 32)]
    return scan.problems, leaves, scan


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 10**6), events=st.integers(1, 120), streams=st.integers(1, 12),
       tampered=st.booleans(), batch=st.sampled_from([1, 7, 1000]), split=st.booleans())
def test_scan_reports_what_the_original_check_reported(seed: int, events: int, streams: int, tampered: bool,
                                                       batch: int, split: bool) -> None:
    rng = random.Random(seed)
    log, hashes = make_log(rng, events, streams)
    if tampered:
        log, hashes = tamper(rng, log, hashes)
    expected_problems, expected_leaves = reference(log, hashes)
    problems, leaves, scan = run_scan(joined(log, hashes), batch, split=split)
    assert problems == expected_problems
    assert leaves == expected_leaves
    assert scan.count == len(log)
    assert [p for p, _ in scan.checkpoints] == [e[0] for e in log if e[3] == CHECKPOINT_TOPIC]
    if not tampered:
        assert problems == []


def test_misaligned_hash_rows_are_looked_up_by_key() -> None:
    """SQLite joins the hash row at the same rowid: when it belongs to another event, the lookup decides."""
    log, hashes = make_log(random.Random(3), 60, 4)
    rows = joined(log, hashes)
    shifted = [(*r[:5], *rows[(i + 1) % len(rows)][5:]) for i, r in enumerate(rows)]
    lookup = {k: (v[0], v[1]) for k, v in hashes.items()}.get
    problems, leaves, _ = run_scan(shifted, 25, Scan(lookup=lambda sid, version: lookup((sid, version))))
    assert problems == [] and leaves == reference(log, hashes)[1]


def test_a_range_primed_with_the_state_before_it_is_the_whole_scan() -> None:
    log, hashes = make_log(random.Random(7), 200, 9)
    rows = joined(log, hashes)
    whole = run_scan(rows, 50)[2]
    first = run_scan(rows[:83], 50)[2]
    second = run_scan(rows[83:], 50, Scan().prime(first.heads()))[2]
    assert whole.problems == first.problems == second.problems == []
    assert whole.heads() == {**first.heads(), **second.heads()}
    assert whole.leaves() == first.leaves() + second.leaves()


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 10**6), events=st.integers(2, 120), streams=st.integers(1, 12),
       tampered=st.booleans(), cut=st.floats(0.0, 1.0))
def test_two_ranges_checked_apart_agree_with_one_scan(seed: int, events: int, streams: int, tampered: bool,
                                                      cut: float) -> None:
    """What the second process does: its range is checked without the state before it (``defer``), which is
    compared afterwards with the state the first range left. Clean in both ⟺ clean in one scan."""
    rng = random.Random(seed)
    log, hashes = make_log(rng, events, streams)
    if tampered:
        log, hashes = tamper(rng, log, hashes)
    rows = joined(log, hashes)
    split = int(cut * len(rows))
    whole = run_scan(rows, 1000)[2]
    first = run_scan(rows[:split], 1000)[2]
    second = run_scan(rows[split:], 1000, Scan(defer=True))[2]
    clean_apart = not first.problems and not second.problems and second.continues(first.heads())
    assert clean_apart == (not whole.problems)
    if clean_apart:
        assert whole.heads() == {**first.heads(), **second.heads()}
        assert whole.leaves() == first.leaves() + second.leaves()


@settings(max_examples=80, deadline=None)
@given(n=st.integers(1, 300), cuts=st.lists(st.integers(1, 299), max_size=3), odd=st.booleans(),
       seed=st.integers(0, 1000))
def test_pyramids_of_adjacent_ranges_give_every_root(n: int, cuts: list[int], odd: bool, seed: int) -> None:
    from infra.merkle import Pyramid, roots

    rng = random.Random(seed)
    leaves = [rng.randbytes(32) for _ in range(n)]
    if odd:
        leaves[rng.randrange(n)] = b"not 32 bytes"
    bounds = sorted({0, n, *[c for c in cuts if c < n]})
    pyramids = []
    for a, b in zip(bounds, bounds[1:]):
        part = leaves[a:b]
        packed = b"".join(x if len(x) == 32 else bytes(32) for x in part)
        pyramids.append(Pyramid(a, packed, {i: x for i, x in enumerate(part) if len(x) != 32}))
    rng.shuffle(pyramids)
    sizes = set(range(1, n + 1))
    assert roots(pyramids, sizes) == {s: root_of(leaves[:s]) for s in sizes}


TYPES = st.sampled_from(["Clue", "AccessLog", "Config", "x", "", 'A","x":"y', "Clué", None, 7, True])


@st.composite
def bodies(draw: Any) -> bytes:
    """Stored bodies around ``stream_type``: in meta or elsewhere, twice, escaped, spaced, non-JSON, UTF-16."""
    meta: dict[str, Any] = draw(st.dictionaries(st.sampled_from(["event_id", "actor"]), st.text(max_size=5), max_size=2))
    if draw(st.integers(0, 3)):
        meta["stream_type"] = draw(st.one_of(st.just("Clue"), TYPES))
    body: dict[str, Any] = {"data": {"summary": draw(st.sampled_from(["", "", "", 'say "stream_type":"Clue"',
                                                                      "stream_type"]))}}
    if not draw(st.integers(0, 4)):
        body["data"]["stream_type"] = draw(TYPES)
    body["meta"] = draw(st.sampled_from([meta, meta, [meta], None, "meta"]))
    import json

    text = json.dumps(body, ensure_ascii=draw(st.booleans()), separators=draw(st.sampled_from([(",", ":"), (", ", ": ")])))
    text = draw(st.sampled_from([text, text, text, text, text.replace("stream_type", "\\u0073tream_type", 1),
                                 text + ', "meta": {}', "not json " + text, text.replace("}", "", 1)]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16"]))
    return text.encode(encoding)


@settings(max_examples=1500, deadline=None)
@given(topic=st.sampled_from(["domain.clue:Clue.ClueReceived", "domain.access_log:AccessLog.RecordViewed",
                              "domain.x:Clué.E", 'd:A","x":"y.E', "no-colon", "d:.E"]),
       state=st.one_of(bodies(), st.binary(max_size=40)))
def test_stream_type_is_stream_type_of(topic: str, state: bytes) -> None:
    from infra.verify_scan import stream_type

    assert outcome(stream_type, topic, state) == outcome(stream_type_of, topic, state)


def test_stream_type_reads_the_usual_body_without_parsing_it(monkeypatch) -> None:
    import infra.verify_scan as fast

    usual = '{"data":{"summary":"执法"},"meta":{"event_id":"e1","stream_type":"Clue"}}'.encode()
    cases = {  # body → what stream_type_of says, for topic domain.clue:Clue.ClueReceived
        usual: "Clue",
        usual.replace(b'"Clue"}', b'"Other"}'): "Other",                          # another type: parsed
        usual.replace(b"stream_type", b"\\u0073tream_type"): "Clue",              # escaped key: parsed
        usual[:-1] + b',"meta":{"stream_type":"Other"}}': "Other",              # a second meta wins
        b'{"data":{"stream_type":"Clue"},"meta":{}}': "Clue",
        b'{"data":{"note":"\\"stream_type\\":\\"Other\\""},"meta":{"stream_type":"Clue"}}': "Clue",
        b"\xff\xfe": "Clue",
    }
    for body, expected in cases.items():
        assert stream_type_of("domain.clue:Clue.ClueReceived", body) == expected
        assert fast.stream_type("domain.clue:Clue.ClueReceived", body) == expected
    monkeypatch.setattr(fast, "stream_type_of", lambda *a: pytest.fail("parsed the usual body"))
    assert fast.stream_type("domain.clue:Clue.ClueReceived", usual) == "Clue"
