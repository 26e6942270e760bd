"""The partner feed's contracts, generated from the same allowlist the relay applies:

- ``docs/schemas/sl.cloudevent.v1.json``: the structured CloudEvent (attributes and extensions);
- ``docs/schemas/sl.<family>.<EventType>.v1.json``: one JSON Schema per published event type for the
  CloudEvent's ``data`` (``dataschema`` points at it). Field types come from the catalogue's payload
  models (``domain.catalogue``), restricted to ``infra.partner_feed.PARTNER_FIELDS``;
- ``docs/asyncapi.yaml``: AsyncAPI 3.0 (channels, key, headers, one message per event type).

``python -m infra.relay_schemas [DOCS_DIR]`` rewrites them; ``--check`` exits 1 if they drifted.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

from infra import partner_feed as pf

DRAFT = "https://json-schema.org/draft/2020-12/schema"
ENVELOPE_FILE = "sl.cloudevent.v1.json"
PSEUDONYM = {"type": "string", "pattern": "^psn_[a-z2-7]{24}$", "description": "per-partner HMAC pseudonym"}
UUID = {"type": "string", "format": "uuid"}
RFC3339 = {"type": "string", "format": "date-time"}


def _payload_models() -> dict[str, Any]:
    from domain.catalogue import load_all

    return {spec.event: spec.payload for spec in load_all().values()}


def _clean(node: Any, defs: dict[str, Any]) -> Any:
    """Inline ``$ref``s and drop titles/defaults (noise in a contract)."""
    if isinstance(node, list):
        return [_clean(n, defs) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _clean(copy.deepcopy(defs[node["$ref"].rsplit("/", 1)[-1]]), defs)
    return {k: _clean(v, defs) for k, v in node.items() if k not in ("title", "default", "$defs")}


def _non_null(node: dict[str, Any]) -> dict[str, Any]:
    """Optional fields are omitted rather than null in the feed: keep the non-null branch."""
    options = [o for o in node.get("anyOf", []) if o.get("type") != "null"]
    if "anyOf" in node and len(options) == 1:
        return {**{k: v for k, v in node.items() if k != "anyOf"}, **options[0]}
    return node


def prune(node: dict[str, Any], spec: Any) -> dict[str, Any]:
    node = _non_null(node)
    if spec is True or spec == "accused_tokens":
        return node
    if spec == "doc":
        return {"$ref": "#/$defs/PartnerDocRef"}
    if isinstance(spec, list):
        return {**{k: v for k, v in node.items() if k != "items"}, "items": prune(node.get("items", {}), spec[0])}
    props = node.get("properties", {})
    kept = {k: prune(props.get(k, {}), sub) for k, sub in spec.items() if k in props}
    required = [k for k in node.get("required", []) if k in kept and spec[k] != "accused_tokens"]
    out: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": kept}
    if required:
        out["required"] = required
    return out


def common_defs() -> dict[str, Any]:
    from domain.values import ExternalSystem, Role, Sensitivity

    doc_props = {"doc_id": {"type": "string", "minLength": 1, "maxLength": 64},
                 "name": {"type": "string", "minLength": 1, "maxLength": 200},
                 "doc_type": {"type": "string", "minLength": 1, "maxLength": 200},
                 "doc_number": {"type": "string", "minLength": 1, "maxLength": 200},
                 "content_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                 "size_bytes": {"type": "integer", "minimum": 0},
                 "mime": {"type": "string", "minLength": 1, "maxLength": 200},
                 "sensitivity": {"enum": list(Sensitivity.__args__)},
                 "supersedes_doc_id": {"type": "string"}}
    roles = list(Role.__args__)
    return {
        "PartnerDocRef": {"type": "object", "additionalProperties": False, "properties": doc_props,
                          "required": ["doc_id", "name", "doc_type", "content_hash", "size_bytes", "mime"],
                          "description": "DocRef without storage_ref: hashes, never files"},
        "Actor": {"type": "object", "additionalProperties": False, "required": ["role", "org_id"],
                  "properties": {"user_id": PSEUDONYM, "role": {"enum": roles}, "org_id": {"type": "string"}}},
        "Approval": {"type": "object", "additionalProperties": False, "required": ["approver_role"],
                     "properties": {"approver_user_id": PSEUDONYM, "approver_role": {"enum": roles},
                                    "decided_at": {"type": "string"}}},
        "OnBehalfOf": {"type": "object", "additionalProperties": False, "required": ["org_id"],
                       "properties": {"org_id": {"type": "string"}, "user_id": PSEUDONYM}},
        "LegalBasis": {"type": "object", "additionalProperties": False, "required": ["instrument"],
                       "properties": {"instrument": {"type": "string"}, "article": {"type": "string"}}},
        "ExternalRef": {"type": "object", "additionalProperties": False, "required": ["system", "ref"],
                        "properties": {"system": {"enum": list(ExternalSystem.__args__)}, "ref": {"type": "string"}}},
    }


def ce_type_name(event_type: str) -> str:
    family = "checkpoint" if event_type == pf.CHECKPOINT_EVENT else "clue"
    return f"sl.{family}.{event_type}.v1"


def data_schema(event_type: str, models: dict[str, Any], base: str = pf.DEFAULT_SCHEMA_BASE) -> dict[str, Any]:
    full = models[event_type].model_json_schema()
    payload = prune(_clean(full, full.get("$defs", {})), pf.PARTNER_FIELDS[event_type])
    if event_type == "EventCorrected":  # a redacted new value may be omitted
        payload["properties"]["changes"]["items"]["required"] = ["path"]
    name = ce_type_name(event_type)
    if event_type == pf.CHECKPOINT_EVENT:
        envelope = {"actor": {"type": "object", "additionalProperties": False,
                              "properties": {"role": {"type": "string"}, "org_id": {"type": "string"}}}}
    else:
        envelope = {"actor": {"$ref": "#/$defs/Actor"},
                    "approvals": {"type": "array", "items": {"$ref": "#/$defs/Approval"}},
                    "on_behalf_of": {"$ref": "#/$defs/OnBehalfOf"},
                    "legal_basis": {"type": "array", "items": {"$ref": "#/$defs/LegalBasis"}},
                    "external_refs": {"type": "array", "items": {"$ref": "#/$defs/ExternalRef"}},
                    "documents": {"type": "array", "items": {"$ref": "#/$defs/PartnerDocRef"}}}
    return {"$schema": DRAFT, "$id": pf.schema_url(name, base), "title": f"{name}: data (partner view)",
            "description": f"The redacted partner view of {event_type} (domain.md §11): allowlisted payload "
                           "fields, staff ids replaced by per-partner pseudonyms, no reporter data, no storage refs, "
                           "no internal free text.",
            "type": "object", "additionalProperties": False, "required": ["payload"],
            "properties": {"payload": payload, **envelope}, "$defs": common_defs()}


def envelope_schema(base: str = pf.DEFAULT_SCHEMA_BASE) -> dict[str, Any]:
    return {
        "$schema": DRAFT, "$id": f"{base.rstrip('/')}/{ENVELOPE_FILE}",
        "title": "Supervision Ledger partner feed: structured CloudEvent 1.0",
        "type": "object", "additionalProperties": False,
        "required": ["specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataschema",
                     "recordedat", "streamversion", "sensitivity", "data"],
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {**UUID, "description": "the ledger event_id: consumers deduplicate on it"},
            "source": {"type": "string", "pattern": "^urn:sl:bureau:[A-Za-z0-9-]+$"},
            "type": {"type": "string", "pattern": r"^sl\.(clue|checkpoint)\.[A-Za-z]+\.v[0-9]+$"},
            "subject": {**UUID, "description": "clue id (partner topics) or checkpoint stream id"},
            "time": {**RFC3339, "description": "occurred_at, business time (+08:00)"},
            "datacontenttype": {"const": pf.DATACONTENTTYPE},
            "dataschema": {"type": "string", "format": "uri"},
            "recordedat": {**RFC3339, "description": "recorded_at (UTC, microseconds)"},
            "streamversion": {"type": "integer", "minimum": 1},
            "partnerseq": {"type": "integer", "minimum": 1,
                           "description": "contiguous per partner and clue from 1: a gap means a missing message"},
            "correlationid": UUID, "causationid": UUID,
            "eventhash": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                          "description": "hash of the full ledger event, provable against checkpoints"},
            "sensitivity": {"enum": ["S0", "S1", "S2", "S3"]},
            "data": {"type": "object"},
        },
        "if": {"properties": {"type": {"pattern": r"^sl\.clue\."}}},
        "then": {"required": ["partnerseq", "eventhash"]},
    }


def _yaml(value: Any, indent: int = 0) -> list[str]:
    """A minimal YAML emitter (strings JSON-quoted, which YAML accepts); no dependency needed."""
    pad = "  " * indent
    if isinstance(value, dict):
        lines = []
        for k, v in value.items():
            if isinstance(v, (dict, list)) and v:
                lines += [f"{pad}{k}:", *_yaml(v, indent + 1)]
            elif isinstance(v, str) and "\n" in v:
                lines += [f"{pad}{k}: |", *[f"{pad}  {line}".rstrip() for line in v.splitlines()]]
            else:
                lines.append(f"{pad}{k}: {_scalar(v)}")
        return lines
    lines = []
    for item in value:
        if isinstance(item, (dict, list)) and item:
            sub = _yaml(item, indent + 1)
            lines.append(f"{pad}- {sub[0].lstrip()}")
            lines += sub[1:]
        else:
            lines.append(f"{pad}- {_scalar(item)}")
    return lines


def _scalar(v: Any) -> str:
    if v == {}:
        return "{}"
    if v == []:
        return "[]"
    return json.dumps(v, ensure_ascii=False)


def published_types() -> list[str]:
    return [t for t in pf.PARTNER_FIELDS]


def write_all(docs: Path) -> dict[Path, str]:
    """Every contract file's path and content (nothing is written)."""
    from infra.relay_asyncapi import asyncapi

    models = _payload_models()
    files = {docs / "schemas" / ENVELOPE_FILE: json.dumps(envelope_schema(), ensure_ascii=False, indent=2) + "\n"}
    for event_type in published_types():
        files[docs / "schemas" / f"{ce_type_name(event_type)}.json"] = (
            json.dumps(data_schema(event_type, models), ensure_ascii=False, indent=2) + "\n")
    files[docs / "asyncapi.yaml"] = "\n".join(_yaml(asyncapi(published_types(), ce_type_name))) + "\n"
    return files


def main(argv: list[str]) -> int:
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    docs = Path(args[0] if args else "docs")
    drift = []
    for path, text in write_all(docs).items():
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                drift.append(str(path))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if drift:
        print("out of date (run python -m infra.relay_schemas):", *drift, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
