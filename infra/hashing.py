"""Event hashes (domain.md §3 ``prev_event_hash`` / ``event_hash``): SHA-256 over the RFC 8785 canonical
JSON of the envelope ``{stream_id, version, topic, stored_sha256, prev_event_hash}``, where
``stored_sha256`` is the SHA-256 of the event's bytes exactly as stored (ciphertext where encrypted):
any changed byte changes the hash, even one that would not change the parsed JSON. Chained per stream
from the genesis value ``sha256("SL-GENESIS|" + stream_type + "|" + stream_id)``."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any
from uuid import UUID

import rfc8785


def genesis_hash(stream_type: str, stream_id: UUID | str) -> str:
    return hashlib.sha256(f"SL-GENESIS|{stream_type}|{stream_id}".encode()).hexdigest()


def stored_body(state: bytes) -> Any:
    try:
        return json.loads(state)
    except (UnicodeDecodeError, json.JSONDecodeError):  # encrypted or compressed: hash the bytes as stored
        return {"stored_b64": base64.b64encode(state).decode()}


_PLAIN = re.compile(r"^[A-Za-z0-9_.:\-]*$")  # strings RFC 8785 writes verbatim (no escapes)


def event_hash(stream_id: UUID | str, version: int, topic: str, state: bytes, prev_hash: str) -> str:
    raw = state.encode() if isinstance(state, str) else bytes(state)  # a tampered row may hold text
    sid, stored = str(stream_id), hashlib.sha256(raw).hexdigest()
    if type(version) is int and all(_PLAIN.match(v) for v in (sid, topic, prev_hash)):
        # exactly the RFC 8785 bytes (keys sorted, no whitespace), without the generic canonicaliser
        canonical = (f'{{"prev_event_hash":"{prev_hash}","stored_sha256":"{stored}","stream_id":"{sid}",'
                     f'"topic":"{topic}","version":{version}}}').encode()
    else:
        canonical = rfc8785.dumps({"stream_id": sid, "version": version, "topic": topic, "stored_sha256": stored,
                                   "prev_event_hash": prev_hash})
    return hashlib.sha256(canonical).hexdigest()


def stream_type_of(topic: str, state: bytes) -> str:
    body = stored_body(state)
    meta = body.get("meta") if isinstance(body, dict) else None
    if isinstance(meta, dict) and meta.get("stream_type"):
        return str(meta["stream_type"])
    return topic.split(":")[1].split(".")[0]
