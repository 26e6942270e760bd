"""The AsyncAPI 3.0 description of the partner feed (written to ``docs/asyncapi.yaml`` by
``python -m infra.relay_schemas``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from infra import partner_feed as pf

DESCRIPTION = """\
Kafka feed of the Supervision Ledger for discipline-inspection and other partner organs (domain.md §11).

* One topic per partner, `sl.<env>.partner.<partner>.events.v1` (template `SVLEDGER_TOPIC_TEMPLATE`),
  plus `sl.<env>.checkpoints.v1` for signed Merkle checkpoints.
* Key = clue id (UTF-8): all events of a clue are on one partition, in ledger order.
* Value = a CloudEvent 1.0 in structured mode (`application/cloudevents+json`), canonical JSON
  (sorted keys, no whitespace, UTF-8). `data` follows the schema named by `dataschema`.
* A clue's events are published while its share with the partner is active: PartnerShareGranted is
  the first message (with `partner_summary`), PartnerShareRevoked the last.
* `partnerseq` counts 1, 2, 3 … per partner and clue: a gap means a missing message.
* Delivery is at least once. A re-sent message is byte-identical; deduplicate on `id`.
* Never published: intake, screening, evidence, assignments, reporter feedback, objections, identity,
  access log, review batches, reconsideration cases; reporter data and tokens, storage references,
  comments, internal free text. Staff ids are replaced by per-partner HMAC pseudonyms (`psn_…`).
* `eventhash` is the hash of the full ledger event; it is provable against the checkpoints topic."""


def asyncapi(types: list[str], ce_name: Callable[[str], str]) -> dict[str, Any]:
    partner_types = [t for t in types if t != pf.CHECKPOINT_EVENT]
    messages: dict[str, Any] = {}
    for event_type in types:
        name = ce_name(event_type)
        is_checkpoint = event_type == pf.CHECKPOINT_EVENT
        messages[event_type] = {
            "name": event_type,
            "title": name,
            "summary": _summary(event_type),
            "contentType": "application/cloudevents+json",
            "headers": {"$ref": "#/components/schemas/Headers"},
            "payload": {"allOf": [
                {"$ref": "./schemas/sl.cloudevent.v1.json"},
                {"type": "object", "properties": {"type": {"const": name},
                                                  "data": {"$ref": f"./schemas/{name}.json"}}}]},
            "bindings": {"kafka": {"bindingVersion": "0.5.0", "key": {
                "type": "string", "format": "uuid",
                "description": "checkpoint stream id" if is_checkpoint else "clue id (= CloudEvent subject)"}}},
        }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Supervision Ledger partner feed", "version": "1.0.0", "description": DESCRIPTION,
                 "license": {"name": "Apache-2.0"}},
        "defaultContentType": "application/cloudevents+json",
        "servers": {"kafka": {"host": "localhost:9092", "protocol": "kafka",
                              "description": "SVLEDGER_KAFKA_BOOTSTRAP; any Apache Kafka-compatible broker"}},
        "channels": {
            "partnerEvents": {
                "address": "sl.{env}.partner.{partner}.events.v1",
                "description": "The events of the clues shared with one partner, key = clue id.",
                "parameters": {"env": {"description": "deployment environment (SVLEDGER_ENV), e.g. demo, prod"},
                               "partner": {"description": "the share's partner_org_id, e.g. hq-jwjw"}},
                "messages": {t: {"$ref": f"#/components/messages/{t}"} for t in partner_types},
            },
            "checkpoints": {
                "address": "sl.{env}.checkpoints.v1",
                "description": "Signed Merkle checkpoints over the whole log (domain.md §10).",
                "parameters": {"env": {"description": "deployment environment (SVLEDGER_ENV)"}},
                "messages": {pf.CHECKPOINT_EVENT: {"$ref": f"#/components/messages/{pf.CHECKPOINT_EVENT}"}},
            },
        },
        "operations": {
            "publishPartnerEvents": {
                "action": "send", "channel": {"$ref": "#/channels/partnerEvents"},
                "summary": "svledger relay publishes each partner's feed (acks=all, idempotent producer, at least "
                           "once; position recorded only after the broker confirmed).",
                "messages": [{"$ref": f"#/channels/partnerEvents/messages/{t}"} for t in partner_types],
            },
            "publishCheckpoints": {
                "action": "send", "channel": {"$ref": "#/channels/checkpoints"},
                "messages": [{"$ref": f"#/channels/checkpoints/messages/{pf.CHECKPOINT_EVENT}"}],
            },
        },
        "components": {
            "messages": messages,
            "schemas": {"Headers": {"type": "object", "properties": {
                "content-type": {"type": "string", "const": pf.CONTENT_TYPE}}}},
        },
    }


def _summary(event_type: str) -> str:
    if event_type in pf.SHARE_EVENTS:
        return "Share lifecycle: first (granted) and last (revoked) message of a clue's feed."
    if event_type in pf.TRANSFER_EVENTS:
        return "A transfer (移送) event; published only for transfers to this partner."
    if event_type in pf.CORRECTION_EVENTS:
        return "Correction or void of an event this partner received (only partner-visible paths)."
    if event_type == pf.CHECKPOINT_EVENT:
        return "Signed Merkle checkpoint; compare eventhash values against it."
    return "A clue event published while the share is active."
