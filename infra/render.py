"""Turning stored events into JSON and readable tables for the CLI."""

from __future__ import annotations

import json
from typing import Any

from rich.table import Table

from domain.labels import event_label

SUMMARY_FIELDS = ("clue_no", "case_no", "channel", "outcome", "conclusion", "notice_type", "doc_number", "result",
                  "closure_type", "feedback_kind", "transfer_kind", "decision", "reminder_kind", "level", "method")


def event_json(ev: Any) -> dict[str, Any]:
    return {"stream_id": str(ev.originator_id), "version": ev.originator_version, "event_type": type(ev).__name__,
            "recorded_at": ev.timestamp.isoformat(), "meta": ev.meta, "data": ev.data}


def notification_json(n: Any) -> dict[str, Any]:
    state = json.loads(n.state)
    return {"position": n.id, "stream_id": str(n.originator_id), "version": n.originator_version,
            "event_type": n.topic.rsplit(".", 1)[-1], "topic": n.topic,
            "recorded_at": state.get("timestamp", {}).get("_data_"), "meta": state.get("meta"),
            "data": state.get("data")}


def summary(data: dict[str, Any]) -> str:
    parts = [f"{k}={data[k]}" for k in SUMMARY_FIELDS if data.get(k) not in (None, "")]
    return ", ".join(parts)[:80]


def _short(iso: str) -> str:
    """``2024-02-04T10:00:00+08:00`` → ``2024-02-04 10:00+08``."""
    return iso[:16].replace("T", " ") + iso[19:22]


def history_table(events: list[Any]) -> Table:
    table = Table(title="线索历史 (history)", show_lines=False)
    for col in ("版本", "事件", "业务时间 occurred_at", "记录时间 recorded_at (UTC)", "操作人 actor", "要点"):
        table.add_column(col)
    for ev in events:
        actor = ev.meta.get("actor", {})
        approvals = ev.meta.get("approvals", [])
        who = f"{actor.get('user_id')} ({actor.get('role')})"
        if approvals:
            who += " ✔" + ",".join(a["approver_user_id"] for a in approvals)
        table.add_row(str(ev.originator_version), f"{event_label(type(ev).__name__)} {type(ev).__name__}",
                      _short(ev.meta["occurred_at"]), ev.timestamp.strftime("%Y-%m-%d %H:%M:%SZ"), who,
                      summary(ev.data))
    return table
