"""The PostgreSQL write path in one round trip: ``svl_append_<table>`` (plpgsql) does, in the
transaction of one autocommit call, what a command's save needs:

1. refuses with SQLSTATE ``SV001`` when the bureau's Config stream is no longer at the version the
   command was decided with (the command layer then reloads Config and decides again);
2. inserts the idempotency row and the number claims (a repeat or a taken number fails on their
   primary keys, as before);
3. chains the event hashes (``infra.hashing.event_hash``, computed by PostgreSQL's ``sha256``
   over the same RFC 8785 bytes: every string of the envelope is plain, so no escaping is needed;
   ``tests/integration/test_store.py`` checks the two agree) and inserts them;
4. takes the events table's EXCLUSIVE lock, notifies the channel and inserts the events — the lock
   held to commit keeps positions in commit order, so readers following the log skip no gap.

One round trip instead of eventsourcing's pipeline (``SET LOCAL``, ``LOCK``, ``NOTIFY``, ``INSERT``)
plus the side-row statements and the mid-pipeline previous-hash ``SELECT`` (BENCHMARKS.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from psycopg.sql import SQL, Identifier

from infra import pg_arrays as arr
from infra.hashing import _PLAIN, genesis_hash, stream_type_of

CONFIG_CHANGED = "SV001"


class ConfigChanged(Exception):
    """The Config stream moved on after the command read it: decide the command again."""


def function_name(events_table: str) -> str:
    return f"svl_append_{events_table.replace('.', '_')}"


def create_function(schema: str, events_table: str) -> SQL:
    return SQL("""
CREATE OR REPLACE FUNCTION {schema}.{fn}(
    p_ids uuid[], p_versions bigint[], p_topics text[], p_states bytea[], p_prevs text[], p_prev_idx int[],
    p_idem text[], p_claim_scopes text[], p_claim_values text[], p_claim_streams text[],
    p_config_id uuid, p_config_version bigint)
RETURNS TABLE (r_id uuid, r_version bigint, r_position bigint, r_prev text, r_hash text)
LANGUAGE plpgsql AS $BODY$
DECLARE
    n int := coalesce(cardinality(p_ids), 0);
    hashes text[] := array_fill(NULL::text, ARRAY[n]);
    prevs text[] := array_fill(NULL::text, ARRAY[n]);
    prev text;
BEGIN
    IF p_config_id IS NOT NULL AND coalesce((SELECT max(e.originator_version) FROM {schema}.{table} e
            WHERE e.originator_id = p_config_id), 0) <> p_config_version THEN
        RAISE EXCEPTION 'the Config stream changed' USING ERRCODE = 'SV001';
    END IF;
    IF p_idem IS NOT NULL THEN
        INSERT INTO idempotency (stream_type, key, payload_hash, result)
        VALUES (p_idem[1], p_idem[2], p_idem[3], p_idem[4]);
    END IF;
    IF coalesce(cardinality(p_claim_scopes), 0) > 0 THEN
        INSERT INTO claims (scope, value, stream_id)
        SELECT * FROM unnest(p_claim_scopes, p_claim_values, p_claim_streams);
    END IF;
    FOR i IN 1..n LOOP
        prev := p_prevs[i];
        IF prev IS NULL AND p_prev_idx[i] > 0 THEN
            prev := hashes[p_prev_idx[i]];
        ELSIF prev IS NULL THEN
            SELECT h.event_hash INTO prev FROM event_hashes h
            WHERE h.stream_id = p_ids[i]::text AND h.version = p_versions[i] - 1;
            prev := coalesce(prev, '');
        END IF;
        prevs[i] := prev;
        hashes[i] := encode(sha256(convert_to(
            '{{"prev_event_hash":"' || prev || '","stored_sha256":"' || encode(sha256(p_states[i]), 'hex')
            || '","stream_id":"' || p_ids[i]::text || '","topic":"' || p_topics[i]
            || '","version":' || p_versions[i]::text || '}}', 'UTF8')), 'hex');
    END LOOP;
    INSERT INTO event_hashes (stream_id, version, prev_hash, event_hash)
    SELECT u.i::text, u.v, u.p, u.h FROM unnest(p_ids, p_versions, prevs, hashes) AS u(i, v, p, h);
    LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE;
    NOTIFY {channel};
    RETURN QUERY
    WITH inserted AS (
        INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state)
        SELECT u.i, u.v, u.t, u.s FROM unnest(p_ids, p_versions, p_topics, p_states) WITH ORDINALITY
            AS u(i, v, t, s, o) ORDER BY u.o
        RETURNING originator_id, originator_version, notification_id)
    SELECT x.originator_id, x.originator_version, x.notification_id, u.p, u.h
    FROM inserted x JOIN unnest(p_ids, p_versions, prevs, hashes) AS u(i, v, p, h)
        ON u.i = x.originator_id AND u.v = x.originator_version;
END
$BODY$""").format(schema=Identifier(schema), fn=Identifier(function_name(events_table)),
                  table=Identifier(events_table), channel=Identifier(events_table.replace(".", "_")))


def call(schema: str, events_table: str) -> SQL:
    return SQL("SELECT * FROM {schema}.{fn}(%s::uuid[], %s::bigint[], %s::text[], %s::bytea[], %s::text[], "
               "%s::int[], %s::text[], %s::text[], %s::text[], %s::text[], %s::uuid, %s::bigint)").format(
        schema=Identifier(schema), fn=Identifier(function_name(events_table)))


def arguments(stored_events: Sequence[StoredEvent], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """The call's parameters: events as parallel arrays, each event's predecessor (the genesis value at
    version 1, an earlier event of the same save, or NULL: look it up), the side rows, the Config check."""
    ids, versions, topics, states, prevs, prev_idx = [], [], [], [], [], []
    last: dict[UUID, int] = {}
    for i, s in enumerate(stored_events, start=1):
        if not _PLAIN.match(s.topic):
            raise ValueError(f"topic {s.topic!r} is not plain: the SQL hash would differ from RFC 8785")
        sid = s.originator_id if isinstance(s.originator_id, UUID) else UUID(str(s.originator_id))
        ids.append(sid)
        versions.append(s.originator_version)
        topics.append(s.topic)
        states.append(s.state)
        if sid in last:
            prevs.append(None)
            prev_idx.append(last[sid])
        else:
            prevs.append(genesis_hash(stream_type_of(s.topic, s.state), sid) if s.originator_version == 1 else None)
            prev_idx.append(0)
        last[sid] = i
    idem = list(kwargs["idempotency"]) if kwargs.get("idempotency") else None
    claims = list(kwargs.get("claims", ()))
    config = kwargs.get("config_check")
    return (arr.uuids(ids), arr.bigints(versions), arr.texts(topics), arr.byteas(states), arr.texts(prevs),
            arr.ints(prev_idx), arr.texts(idem) if idem is not None else None,
            arr.texts([c[0] for c in claims]), arr.texts([c[1] for c in claims]), arr.texts([c[2] for c in claims]),
            config[0] if config else None, config[1] if config else None)
