"""Agencies (registry events plus every agency the read models name), an agency's board, review batches."""

from __future__ import annotations

import json
from statistics import mean
from typing import Any

from api.reads.source import ReadSource
from api.reads.notices import OPEN_NOTICE, notice_dues, notices_of

DAY_US = 86_400 * 1_000_000
DUE_SOON_DAYS = 3


async def agencies(source: ReadSource) -> list[dict[str, Any]]:
    registry, listed, open_notices, notified = await source.batch([
        ("SELECT event_type, data FROM audit_timeline WHERE event_type IN ('OrgRegistered', 'OrgRenamed') "
         "ORDER BY position", []),
        ("SELECT agencies FROM clue_list", []),
        (f"SELECT recipient_org_id, COUNT(*) AS n FROM notice_register WHERE status IN "
         f"({', '.join('?' for _ in OPEN_NOTICE)}) GROUP BY recipient_org_id", list(OPEN_NOTICE)),
        ("SELECT DISTINCT recipient_org_id FROM notice_register", [])])
    orgs: dict[str, dict[str, Any]] = {}
    for r in registry:
        data = json.loads(r["data"])
        if r["event_type"] == "OrgRegistered":
            orgs[data["org_code"]] = {"id": data["org_code"], "name": data.get("name_zh"),
                                      "org_type": data.get("org_type"), "supervised": data.get("is_supervised")}
    clue_counts: dict[str, int] = {}
    for r in listed:
        for a in json.loads(r["agencies"] or "[]"):
            clue_counts[a] = clue_counts.get(a, 0) + 1
    open_counts = {r["recipient_org_id"]: int(r["n"]) for r in open_notices}
    all_notices = {r["recipient_org_id"] for r in notified}
    for code in set(clue_counts) | all_notices:
        orgs.setdefault(code, {"id": code, "name": None, "org_type": None, "supervised": None})
    return [{**o, "clues": clue_counts.get(code, 0), "open_notices": open_counts.get(code, 0)}
            for code, o in sorted(orgs.items())]


async def board(source: ReadSource, agency_id: str, now_us: int) -> dict[str, Any]:
    notices = await notices_of(source, agency_id)
    dues = await notice_dues(source, [n["notice_id"] for n in notices])
    open_ = [n for n in notices if n["status"] in OPEN_NOTICE]

    def due_us(n: dict[str, Any]) -> int | None:
        d = dues.get(n["notice_id"])
        return d["due_us"] if d and d["status"] == "open" else None

    overdue = [n for n in open_ if (due_us(n) or now_us + 1) <= now_us]
    soon = [n for n in open_ if due_us(n) is not None and now_us < due_us(n) <= now_us + DUE_SOON_DAYS * DAY_US]
    spans = [(n["verified_us"] - n["served_us"]) / DAY_US for n in notices
             if n["status"] == "closed_rectified" and n["served_us"] and n["verified_us"]]
    counts = await _event_counts(source, agency_id)
    name = next((a["name"] for a in await agencies(source) if a["id"] == agency_id), None)
    return {"agency_id": agency_id, "name": name, "notices": notices, "open_notices": len(open_),
            "overdue_notices": len(overdue), "due_soon_notices": len(soon),
            "rectified_notices": sum(1 for n in notices if n["status"] == "closed_rectified"),
            "listed_supervisions": sum(1 for n in open_ if n["listed"]),
            "escalated_notices": sum(1 for n in notices if int(n["escalation_level"] or 0) > 0),
            "mean_days_served_to_verified": round(mean(spans), 2) if spans else None, **counts}


async def _event_counts(source: ReadSource, agency_id: str) -> dict[str, int]:
    rows = await source.dicts("SELECT event_type, data FROM audit_timeline WHERE event_type IN ('InterviewHeld', "
                              "'InterviewScheduled', 'ProblemFound') AND data LIKE ?", [f"%{agency_id}%"])
    interviews = review = self_reported = 0
    for r in rows:
        data = json.loads(r["data"])
        if r["event_type"] == "InterviewHeld":
            interviews += 1 if any(p.get("org_id") == agency_id for p in data.get("participants", [])) else 0
        elif r["event_type"] == "ProblemFound" and data.get("agency_id") == agency_id:
            if data.get("source") == "self_report":
                self_reported += 1
            else:
                review += 1
    return {"interviews": interviews, "review_problems": review, "self_reported_problems": self_reported}


async def batch_ids(source: ReadSource, limit: int) -> list[str]:
    rows = await source.dicts("SELECT stream_id FROM audit_timeline WHERE event_type = 'ReviewBatchOpened' "
                              "ORDER BY occurred_us DESC, stream_id LIMIT ?", [limit])
    return [r["stream_id"] for r in rows]
