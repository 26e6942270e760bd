"""Plain views of a replayed aggregate (Clue, ReviewBatch …) for the GraphQL types."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from projections.events import to_us

DUE_TYPES = ("rectification_report", "re_rectification")


def _us(text: str | None) -> int | None:
    return to_us(datetime.fromisoformat(text)) if text else None


def obligation_view(ob: dict[str, Any]) -> dict[str, Any]:
    return {"obligation_id": ob["obligation_id"], "type": ob["type"], "subject": ob.get("subject"),
            "obligor": ob.get("obligor"), "status": ob["status"], "due_us": _us(ob.get("due_at")),
            "due_date": ob.get("due_date"), "original_due_us": _us(ob.get("original_due_at")),
            "start_us": _us(ob.get("start_at")), "extensions": ob.get("extensions", 0),
            "completed_us": _us(ob.get("completed_at"))}


def notice_due(agg: Any, notice_id: str) -> dict[str, Any] | None:
    """The latest report deadline of a notice in this stream (rectification or re-rectification)."""
    found = [ob for ob in getattr(agg, "obligations", {}).values()
             if ob.get("subject") == notice_id and ob["type"] in DUE_TYPES]
    return obligation_view(found[-1]) if found else None


def first_data(agg: Any, event_type: str) -> dict[str, Any]:
    for entry in agg.index.values():
        if entry["type"] == event_type:
            return entry["data"]
    return {}


def corrected(data: dict[str, Any], corrections: list[dict[str, Any]]) -> dict[str, Any]:
    """``data`` with the changes of EventCorrected applied in order (paths like ``summary`` or ``a.0.b``)."""
    result = _copy(data)
    for correction in corrections:
        for change in correction.get("changes", []):
            _set(result, change["path"].split("."), change.get("new_value"))
    return result


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _set(target: Any, path: list[str], value: Any) -> None:
    for part in path[:-1]:
        if isinstance(target, list) and part.isdigit() and int(part) < len(target):
            target = target[int(part)]
        elif isinstance(target, dict) and part in target:
            target = target[part]
        else:
            return
    last = path[-1]
    if isinstance(target, list) and last.isdigit() and int(last) < len(target):
        target[int(last)] = value
    elif isinstance(target, dict):
        target[last] = value


def received_summary(agg: Any) -> str:
    """The clue's summary with corrections applied."""
    for event_id, entry in agg.index.items():
        if entry["type"] == "ClueReceived":
            return str(corrected(entry["data"], agg.corrections.get(event_id, [])).get("summary", ""))
    return ""


def partner_summary(agg: Any, org_id: str) -> str | None:
    summary = None
    for entry in agg.index.values():
        if entry["type"] == "PartnerShareGranted" and entry["data"].get("partner_org_id") == org_id:
            summary = entry["data"].get("partner_summary")
    return summary
