"""The partner feed's mapping (domain.md §11): from one stored ledger event to the CloudEvent a partner
receives. Pure functions, no I/O: the relay (``infra.relay``) decides *which* events go to *which*
partner and with which ``partnerseq``; this module decides *what* a partner sees.

Redaction is an **allowlist** of ``partner_visible`` payload fields per event type (``PARTNER_FIELDS``):
anything not listed is dropped, so a field added to a payload later stays private until someone lists
it here. Always dropped: reporter data and tokens, ``storage_ref``, comments, internal free text
(summaries, reasons, descriptions, requirements, measures …; the only free text published is
``partner_summary``, written for the partner). ``actor.user_id`` and approvers become a per-partner
HMAC pseudonym; accused-person tokens appear only in events of that partner's own transfers.

Encoding is canonical (sorted keys, no whitespace, UTF-8), so a re-send is byte-identical. Decoding and
encoding go through ``orjson`` where it gives exactly what the standard library gives (no floats, nulls or
integers beyond 64 bits in the value; see ``encode``), else through ``json``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

SPECVERSION = "1.0"
DATACONTENTTYPE = "application/json"
CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8"
DEFAULT_SCHEMA_BASE = "https://schemas.supervision-ledger.example/partner-feed/v1"
DEV_PSEUDONYM_KEY = "svledger-dev-pseudonym-key-NOT-FOR-PRODUCTION"

# -- what is published (§11 "Published") -----------------------------------------------------------------
SHARE_EVENTS = ("PartnerShareGranted", "PartnerShareRevoked")
TRANSFER_EVENTS = ("TransferProposed", "TransferMaterialsAttached", "TransferApproved", "TransferRejected",
                   "TransferSent", "TransferAcknowledged", "TransferForwarded", "TransferDecisionReceived",
                   "TransferDecisionContested", "TransferOutcomeReported")
CLUE_EVENTS = ("FindingRecorded", "RectificationNoticeIssued", "NoticeServed", "RectificationVerified",
               "NoticeOverdue", "NoticeEscalated", "ReminderIssued", "InterviewHeld", "AccountabilityReferred",
               "AccountabilityDecided", "NotificationPublished", "ClueSuspended", "ClueResumed", "ClueClosed",
               "ClueReopened")
CORRECTION_EVENTS = ("EventCorrected", "EventVoided")
CHECKPOINT_EVENT = "CheckpointRecorded"

# -- field allowlists ---------------------------------------------------------------------------------------
# A spec is: True (keep the JSON value as stored), "doc" (a DocRef without storage_ref), "docs" (a list of
# them), a dict (an object: keep only these keys, each with its own spec), or a 1-element list [spec]
# (a list whose items follow spec). "accused_tokens" is kept only for the partner's own transfers.
DOC_FIELDS: dict[str, Any] = {k: True for k in ("doc_id", "name", "doc_type", "doc_number", "content_hash",
                                                "size_bytes", "mime", "sensitivity", "supersedes_doc_id")}
PERIOD = {"length": True, "unit": True, "fixed_due_date": True}
MATERIALS = [{"material_type": True, "doc": "doc"}]

PARTNER_FIELDS: dict[str, dict[str, Any]] = {
    "PartnerShareGranted": {"partner_org_id": True, "partner_summary": True},
    "PartnerShareRevoked": {"partner_org_id": True},
    "TransferProposed": {"transfer_id": True, "target_type": True, "target_org_id": True, "transfer_kind": True,
                         "materials": MATERIALS, "report_doc": "doc"},
    "TransferMaterialsAttached": {"transfer_id": True, "materials": MATERIALS},
    "TransferApproved": {"transfer_id": True},
    "TransferRejected": {"transfer_id": True},
    "TransferSent": {"transfer_id": True, "sent_via": True, "transfer_letter": "doc", "copy_to_org_ids": True},
    "TransferAcknowledged": {"transfer_id": True, "receipt": "doc"},
    "TransferForwarded": {"transfer_id": True, "forwarded_to_org_id": True, "notice": "doc"},
    "TransferDecisionReceived": {"transfer_id": True, "decision": True, "decision_doc": "doc"},
    "TransferDecisionContested": {"transfer_id": True, "route": True},
    "TransferOutcomeReported": {"transfer_id": True, "outcome": True, "sanctions": True, "outcome_doc": "doc",
                                "final": True},
    "FindingRecorded": {"finding_id": True, "conclusion": True, "problem_categories": True,
                        "responsible_agency_ids": True, "violated_provisions": True},
    "RectificationNoticeIssued": {"notice_id": True, "notice_type": True, "doc_number": True,
                                  "recipient_org_id": True, "problem_refs": True, "rectification_period": PERIOD,
                                  "requires_report": True, "document": "doc"},
    "NoticeServed": {"notice_id": True, "method": True, "service_receipt": "doc"},
    "RectificationVerified": {"notice_id": True, "result": True, "method": True,
                              "re_rectification_period": PERIOD},
    "NoticeOverdue": {"notice_id": True, "obligation_id": True, "due_at": True},
    "NoticeEscalated": {"notice_id": True, "level": True, "escalation_type": True},
    "ReminderIssued": {"target": True, "reminder_kind": True, "response_period": PERIOD, "document": "doc"},
    "InterviewHeld": {"interview_id": True, "participants": [{"position": True, "org_id": True, "role": True}],
                      "minutes_hash": True, "commitments": [{"commitment_id": True, "due_date": True}]},
    "AccountabilityReferred": {"accountability_id": True, "target_org_id": True,
                               "target_person_tokens": "accused_tokens", "recommended": True,
                               "via_transfer_id": True},
    "AccountabilityDecided": {"accountability_id": True, "decided_by_org_id": True, "measures": True,
                              "decision_doc": "doc"},
    "NotificationPublished": {"notification_id": True, "scope": True, "tone": True, "doc_number": True,
                              "document": "doc", "subject_org_ids": True, "refs": True},
    "ClueSuspended": {"reason_code": True, "expected_resume_on": True},
    "ClueResumed": {},
    "ClueClosed": {"closure_type": True, "closure_report": "doc", "withdrawal_document": "doc"},
    "ClueReopened": {"reason_code": True},
    "EventCorrected": {"target_event_id": True, "changes": [{"path": True, "old_value_hash": True,
                                                            "new_value": True}]},
    "EventVoided": {"target_event_id": True},
    "CheckpointRecorded": {k: True for k in ("seq", "from_position", "to_position", "tree_size", "merkle_root",
                                             "checkpoint_hash", "prev_checkpoint_hash", "signer_key_id",
                                             "public_key", "signature", "signed_at")},
}
PUBLISHED_CLUE_EVENTS = frozenset((*SHARE_EVENTS, *TRANSFER_EVENTS, *CLUE_EVENTS, *CORRECTION_EVENTS))
ENVELOPE_FIELDS = ("actor", "approvals", "on_behalf_of", "legal_basis", "external_refs", "documents")
_TOPIC_SAFE = re.compile(r"[^A-Za-z0-9._-]")
# orjson.loads turns integers beyond 64 bits into floats: a state with a run of 19 digits goes to json.loads
_DIGITS_ONLY = bytes(48 if 48 <= i <= 57 else 32 for i in range(256))  # digits -> b"0", anything else -> b" "
_LONG_RUN = b"0" * 19
_INT64 = 1 << 63
PSEUDONYM_CACHE = 65_536  # (key, partner, user) pseudonyms kept (one HMAC each otherwise)


@dataclass(frozen=True)
class Stored:
    """One stored event decoded from the notification log (no aggregate is loaded)."""

    position: int
    stream_id: str
    version: int
    event_type: str
    stream_type: str
    schema_version: int
    recorded_at: str
    meta: dict[str, Any]
    data: dict[str, Any]

    @property
    def event_id(self) -> str:
        return str(self.meta["event_id"])

    @classmethod
    def decode(cls, notification: Any) -> Stored:
        state = loads(notification.state)
        meta = state.get("meta") or {}
        topic = notification.topic
        return cls(position=int(notification.id), stream_id=str(notification.originator_id),
                   version=int(notification.originator_version), event_type=topic.rsplit(".", 1)[-1],
                   stream_type=meta.get("stream_type") or topic.split(":")[1].split(".")[0],
                   schema_version=int(state.get("class_version", 1)),
                   recorded_at=utc_z(str((state.get("timestamp") or {}).get("_data_", ""))), meta=meta,
                   data=state.get("data") or {})


def loads(raw: bytes | str) -> Any:
    """``json.loads``, by orjson when the result is the same (anything orjson refuses, e.g. NaN or a lone
    surrogate, and any run of 19+ digits goes to ``json``)."""
    if _LONG_RUN not in (raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)).translate(
            _DIGITS_ONLY):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(raw)


def utc_z(text: str) -> str:
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def topic_safe(code: str) -> str:
    """A partner code usable in a Kafka topic name (letters, digits, ``.``, ``_``, ``-``)."""
    return _TOPIC_SAFE.sub("_", code)


# -- pseudonyms ---------------------------------------------------------------------------------------------
@lru_cache(maxsize=PSEUDONYM_CACHE)
def pseudonym(key: bytes, partner: str, user_id: str) -> str:
    """A stable per-partner pseudonym: two partners cannot join their feeds on a staff member (a pure
    function of its arguments, so cached: staff are few, and every message names one or more)."""
    digest = hmac.new(key, f"{partner}\x1f{user_id}".encode(), hashlib.sha256).digest()
    return "psn_" + base64.b32encode(digest[:15]).decode().lower()


# -- redaction ----------------------------------------------------------------------------------------------
def redact(value: Any, spec: Any, *, own_transfer: bool = False) -> Any:
    """``value`` restricted to ``spec`` (see ``PARTNER_FIELDS``); ``None`` means "omit"."""
    if value is None:
        return None
    if spec is True:
        return value
    if spec == "accused_tokens":
        return value if own_transfer else None
    if spec == "doc":
        return redact(value, DOC_FIELDS)
    if isinstance(spec, list):
        if not isinstance(value, list):
            return None
        return [item for item in (redact(v, spec[0], own_transfer=own_transfer) for v in value) if item is not None]
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return None
        out = {}
        for key, sub in spec.items():
            kept = redact(value.get(key), sub, own_transfer=own_transfer)
            if kept is not None:
                out[key] = kept
        return out
    raise ValueError(f"unknown redaction spec {spec!r}")


def redact_payload(event_type: str, data: dict[str, Any], *, own_transfer: bool = False) -> dict[str, Any]:
    spec = PARTNER_FIELDS.get(event_type)
    if spec is None:
        raise KeyError(f"{event_type} is never published to partners")
    return redact(data, spec, own_transfer=own_transfer)


def _path_spec(event_type: str, path: str) -> Any:
    """The spec governing ``path`` (dotted, list indexes allowed) of ``event_type``, or None if hidden."""
    spec: Any = PARTNER_FIELDS.get(event_type)
    for part in path.split("."):
        if isinstance(spec, list):
            if not part.isdigit():
                return None
            spec = spec[0]
            continue
        if spec == "doc":
            spec = DOC_FIELDS
        if not isinstance(spec, dict) or part not in spec:
            return None
        spec = spec[part]
    return None if spec == "accused_tokens" else spec


def redact_correction(data: dict[str, Any], target_type: str) -> dict[str, Any] | None:
    """EventCorrected of a published event: only changes of partner-visible paths, their new values
    redacted like the target's fields; the reason (internal free text) is dropped. None if nothing
    the partner can see changed."""
    changes = []
    for change in data.get("changes") or []:
        spec = _path_spec(target_type, str(change.get("path", "")))
        if spec is None:
            continue
        changes.append({"path": change["path"], "old_value_hash": change.get("old_value_hash"),
                        "new_value": redact(change.get("new_value"), spec)})
    if not changes:
        return None
    return {"target_event_id": data["target_event_id"], "changes": changes}


def envelope_view(meta: dict[str, Any], partner: str | None, key: bytes) -> dict[str, Any]:
    """The envelope parts a partner sees: actor and approvers pseudonymised (comments dropped), legal
    basis, external references, documents without storage refs. Empty parts are omitted."""

    def who(user_id: str | None) -> str | None:
        if not user_id:
            return None
        return pseudonym(key, partner, user_id) if partner is not None else None

    out: dict[str, Any] = {}
    actor = meta.get("actor") or {}
    if actor:
        out["actor"] = {k: v for k, v in (("user_id", who(actor.get("user_id"))), ("role", actor.get("role")),
                                          ("org_id", actor.get("org_id"))) if v is not None}
    approvals = [{k: v for k, v in (("approver_user_id", who(a.get("approver_user_id"))),
                                    ("approver_role", a.get("approver_role")),
                                    ("decided_at", a.get("decided_at"))) if v is not None}
                 for a in meta.get("approvals") or []]
    if approvals:
        out["approvals"] = approvals
    behalf = meta.get("on_behalf_of")
    if behalf:
        view = {k: v for k, v in (("org_id", behalf.get("org_id")), ("user_id", who(behalf.get("user_id"))))
                if v is not None}
        if view:
            out["on_behalf_of"] = view
    for name in ("legal_basis", "external_refs"):
        if meta.get(name):
            out[name] = meta[name]
    docs = redact(meta.get("documents"), ["doc"])
    if docs:
        out["documents"] = docs
    return out


def partner_data(ev: Stored, partner: str, key: bytes, *, own_transfer: bool = False,
                 correction_target_type: str | None = None) -> dict[str, Any] | None:
    """The ``data`` of the CloudEvent for ``partner``; None if nothing visible remains (a correction
    of fields the partner never sees)."""
    if ev.event_type == "EventCorrected":
        payload = redact_correction(ev.data, correction_target_type or "")
        if payload is None:
            return None
    else:
        payload = redact_payload(ev.event_type, ev.data, own_transfer=own_transfer)
    return {"payload": payload, **envelope_view(ev.meta, partner, key)}


def checkpoint_data(ev: Stored) -> dict[str, Any]:
    """Checkpoints are public integrity data: the whole payload, the actor without a user id."""
    actor = ev.meta.get("actor") or {}
    return {"payload": redact_payload(CHECKPOINT_EVENT, ev.data),
            "actor": {k: actor[k] for k in ("role", "org_id") if k in actor}}


# -- the CloudEvent -----------------------------------------------------------------------------------------
def ce_type(ev: Stored) -> str:
    family = "checkpoint" if ev.event_type == CHECKPOINT_EVENT else "clue"
    return f"sl.{family}.{ev.event_type}.v{ev.schema_version}"


def schema_url(ce_type_name: str, base: str = DEFAULT_SCHEMA_BASE) -> str:
    return f"{base.rstrip('/')}/{ce_type_name}.json"


def cloud_event(ev: Stored, data: dict[str, Any], *, bureau: str, event_hash: str | None,
                partnerseq: int | None, schema_base: str = DEFAULT_SCHEMA_BASE) -> dict[str, Any]:
    """A structured-mode CloudEvent 1.0 (domain.md §11 attributes and extensions)."""
    kind = ce_type(ev)
    ce: dict[str, Any] = {
        "specversion": SPECVERSION, "id": ev.event_id, "source": f"urn:sl:bureau:{bureau}", "type": kind,
        "subject": ev.stream_id, "time": ev.meta.get("occurred_at"), "datacontenttype": DATACONTENTTYPE,
        "dataschema": schema_url(kind, schema_base), "recordedat": ev.recorded_at, "streamversion": ev.version,
        "sensitivity": ev.meta.get("sensitivity", "S2"), "data": data,
    }
    if partnerseq is not None:
        ce["partnerseq"] = partnerseq
    if event_hash:
        ce["eventhash"] = event_hash
    for attr, field in (("correlationid", "correlation_id"), ("causationid", "causation_id")):
        if ev.meta.get(field):
            ce[attr] = str(ev.meta[field])
    return ce


def encode(ce: dict[str, Any]) -> bytes:
    """Canonical bytes: the same event always encodes to the same value, exactly
    ``json.dumps(ce, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()``: by orjson (the
    same bytes for these) when the value holds only strings, 64-bit integers, booleans, nulls, lists and
    string-keyed objects; anything else (floats, which orjson writes in other forms) by ``json``."""
    if _orjson_safe(ce):
        try:
            return orjson.dumps(ce, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # orjson.JSONEncodeError: a lone surrogate (json's encode("utf-8") refuses it too)
            pass
    return json.dumps(ce, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _orjson_safe(value: Any) -> bool:
    stack = [value]
    pop, push = stack.pop, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is dict:
            if not all(type(k) is str for k in item):
                return False
            push(item.values())
        elif kind is list:
            push(item)
        elif kind is not int or not -_INT64 <= item < _INT64:
            return False
    return True


def headers() -> list[tuple[str, bytes]]:
    return [("content-type", CONTENT_TYPE.encode())]
