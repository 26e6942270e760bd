"""Reading topics and checking messages in the partner-feed tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from kafka import KafkaConsumer, TopicPartition

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "docs" / "schemas"
ENV = "test"
PARTNER_TOPIC = f"sl.{ENV}.partner.hq-jwjw.events.v1"
CHECKPOINT_TOPIC = f"sl.{ENV}.checkpoints.v1"
CLI = "import infra.cli_relay; from infra.cli import main; main()"


@dataclass(frozen=True)
class Message:
    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...]

    @property
    def ce(self) -> dict[str, Any]:
        return json.loads(self.value)

    @property
    def raw(self) -> bytes:
        return self.key + self.value + b"".join(k.encode() + v for k, v in self.headers)


def read_topic(bootstrap: str, topic: str, *, until: Callable[[list[Message]], bool] | None = None,
               timeout: float = 20.0, idle: float = 1.5) -> list[Message]:
    """Every message of ``topic`` from the beginning, partitions assigned directly (no group). Stops when
    ``until(messages)`` holds, or after ``idle`` seconds without news once ``until`` is None."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                             auto_offset_reset="earliest", client_id="svledger-test-reader")
    out: list[Message] = []
    try:
        deadline = time.monotonic() + timeout
        partitions = None
        while time.monotonic() < deadline:
            partitions = consumer.partitions_for_topic(topic)
            if partitions:
                break
            time.sleep(0.2)
        if not partitions:
            return out
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        last_news = time.monotonic()
        while time.monotonic() < deadline:
            if until is not None and until(out):
                break
            polled = consumer.poll(timeout_ms=300)
            records = [r for batch in polled.values() for r in batch]
            if records:
                last_news = time.monotonic()
                out += [Message(r.topic, r.partition, r.offset, r.key or b"", r.value or b"",
                                tuple((k, bytes(v)) for k, v in (r.headers or []))) for r in records]
            elif until is None and time.monotonic() - last_news > idle:
                break
    finally:
        consumer.close()
    return sorted(out, key=lambda m: (m.partition, m.offset))


def has_ids(ids: set[str]) -> Callable[[list[Message]], bool]:
    return lambda messages: ids <= {m.ce["id"] for m in messages}


def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def validate(message: Message) -> None:
    """The CloudEvent envelope and its ``data`` against the published schemas (``dataschema``)."""
    ce = message.ce
    validator("sl.cloudevent.v1.json").validate(ce)
    schema_file = ce["dataschema"].rsplit("/", 1)[-1]
    assert schema_file == f"{ce['type']}.json"
    validator(schema_file).validate(ce["data"])
    assert dict(message.headers)["content-type"] == b"application/cloudevents+json; charset=UTF-8"


def cli_env(database_url: str, bootstrap: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "SVLEDGER_DATABASE_URL": database_url, "SVLEDGER_KAFKA_BOOTSTRAP": bootstrap,
           "SVLEDGER_ENV": ENV, "SVLEDGER_KAFKA_DELIVERY_TIMEOUT_MS": "3000", "PYTHONPATH": str(ROOT)}
    env.update(extra)
    return env


def cli(*args: str, env: dict[str, str], timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", CLI, *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def cli_popen(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-c", CLI, *args], env=env, cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT)
