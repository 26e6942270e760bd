"""Read-model queries shared by the CLI and the API: agency board, transfer tracker, feedback
compliance, staff workload and deadlines, each ``as_of`` a business time (overdue is derived)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from domain.reconsideration_rules import rate
from projections.db import ReadDb
from projections.events import to_us

OPEN_NOTICE = ("issued", "served", "reported", "re_rectifying")
TRANSFER_SLA = ("transfer_approval", "transfer_sending", "transfer_ack_expected", "transfer_decision_expected",
                "contest_filing")


# open at business time ?: started, and not yet completed or cancelled then (later completions do not count)
OPEN_AT = "start_us <= ? AND status <> 'paused' AND (completed_us IS NULL OR completed_us > ?)"


def _now(as_of: datetime | None) -> int:
    return to_us(as_of or datetime.now(timezone.utc))


def overdue(db: ReadDb, as_of: datetime | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Open obligations past ``due_at`` at ``as_of`` (deadline_dashboard)."""
    now = _now(as_of)
    return db.dicts(f"SELECT * FROM obligations WHERE {OPEN_AT} AND due_us <= ? ORDER BY due_us, obligation_id "
                    "LIMIT ?", (now, now, now, limit))


def agency_board(db: ReadDb, agency_id: str, as_of: datetime | None = None) -> dict[str, Any]:
    """agency_board: the agency's notices (open, overdue, rectified), listed supervision, days served→verified."""
    now = _now(as_of)
    notices = [n for n in db.dicts("SELECT * FROM notice_register WHERE recipient_org_id = ? AND issued_us <= ?",
                                   (agency_id, now))]
    rectified = [n for n in notices if n["status"] == "closed_rectified" and n["verified_us"] <= now]
    open_ = [n for n in notices if n not in rectified and n["status"] != "closed_withdrawn"]
    late = {r[0] for r in db.query(f"SELECT subject FROM obligations WHERE type IN ('rectification_report', "
                                   f"'re_rectification') AND {OPEN_AT} AND due_us <= ?", (now, now, now))}
    days = [(n["verified_us"] - n["served_us"]) / 86_400e6 for n in rectified if n["served_us"]]
    problems = db.query("SELECT metric, COUNT(*) FROM facts WHERE metric LIKE 'problem:%' AND subject = ? "
                        "AND occurred_us < ? GROUP BY metric", (agency_id, now))
    return {"agency_id": agency_id, "open": len(open_),
            "overdue": sum(1 for n in open_ if n["notice_id"] in late),
            "rectified": len(rectified),
            "listed_supervision": sum(1 for n in open_ if n["listed"]),
            "mean_days_served_to_verified": round(sum(days) / len(days), 1) if days else None,
            "problems": {metric.split(":", 1)[1]: int(n) for metric, n in problems}}


def transfer_tracker(db: ReadDb, as_of: datetime | None = None) -> list[dict[str, Any]]:
    """transfer_tracker: each transfer with its times and its open timers (3 d / 24 h …), overdue flagged."""
    now = _now(as_of)
    rows = db.dicts("SELECT t.*, c.clue_no FROM transfer_tracker t LEFT JOIN clue_list c ON c.stream_id = t.stream_id "
                    "ORDER BY t.proposed_us")
    timers = db.dicts("SELECT subject, type, due_us, status FROM obligations WHERE type IN "
                      f"({', '.join('?' for _ in TRANSFER_SLA)})", TRANSFER_SLA)
    for row in rows:
        row["timers"] = [{"type": t["type"], "due_us": t["due_us"], "status": t["status"],
                          "overdue": t["status"] == "open" and t["due_us"] <= now}
                         for t in timers if t["subject"] == row["transfer_id"]]
    return rows


def feedback_compliance(db: ReadDb, as_of: datetime | None = None) -> dict[str, Any]:
    """feedback_compliance: reporter obligations due, sent on time or late, satisfaction; rates by channel."""
    now = _now(as_of)
    rows = db.dicts("SELECT o.type, o.status, o.due_us, o.completed_us, c.channel FROM obligations o JOIN clue_list c "
                    "ON c.stream_id = o.stream_id WHERE o.obligor = 'bureau' AND o.subject = 'reporter'")
    by_channel: dict[str, dict[str, int]] = {}
    for r in rows:
        b = by_channel.setdefault(r["channel"], {"due": 0, "on_time": 0, "late": 0, "open_overdue": 0})
        if r["status"] == "completed":
            b["due"] += 1
            b["on_time" if r["completed_us"] < r["due_us"] else "late"] += 1
        elif r["status"] == "open" and r["due_us"] <= now:
            b["due"] += 1
            b["open_overdue"] += 1
    satisfaction = dict(db.query("SELECT satisfaction, COUNT(*) FROM feedback_log WHERE satisfaction IS NOT NULL "
                                 "GROUP BY satisfaction"))
    return {"by_channel": {ch: {**b, "on_time_rate": rate(b["on_time"], b["due"])["value"]}
                           for ch, b in sorted(by_channel.items())},
            "satisfaction": {k: int(v) for k, v in satisfaction.items()}}


def staff_workload(db: ReadDb, as_of: datetime | None = None) -> list[dict[str, Any]]:
    """staff_workload: per user, open clues as lead or assistant, closed clues and open overdue obligations."""
    now = _now(as_of)
    rows = db.dicts("SELECT a.user_id, a.role_on_clue, c.status, c.stream_id FROM assignments a JOIN clue_list c "
                    "ON c.stream_id = a.stream_id WHERE a.state = 'active' UNION SELECT c.lead, 'lead', c.status, "
                    "c.stream_id FROM clue_list c WHERE c.lead IS NOT NULL")
    overdue_streams = {r[0] for r in db.query("SELECT DISTINCT stream_id FROM obligations WHERE status = 'open' AND "
                                              "due_us <= ?", (now,))}
    users: dict[str, dict[str, Any]] = {}
    for r in rows:
        u = users.setdefault(r["user_id"], {"user_id": r["user_id"], "open_lead": 0, "open_assistant": 0,
                                            "closed": 0, "with_overdue": 0})
        if r["status"] in ("closed", "screened_out"):
            u["closed"] += 1
        else:
            u["open_lead" if r["role_on_clue"] == "lead" else "open_assistant"] += 1
            u["with_overdue"] += r["stream_id"] in overdue_streams
    return sorted(users.values(), key=lambda u: u["user_id"])
