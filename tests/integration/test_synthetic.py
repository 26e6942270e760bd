"""The benchmark profiles of domain.md §12.2 recorded with the bulk path (``infra.bulk.BulkSession``): a small
``scale`` on SQLite and PostgreSQL (exactly N events, the mix, hashes verify, the projector catches up, gapless
numbers, recorded-time order, working hours, domain rules still refuse in bulk, a second import is refused) and a
reduced ``stress`` (channel mix, ~60% valid)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, time, timedelta
from typing import Any
from uuid import uuid4

import pytest

from domain import errors
from domain.calendar import WorkCalendar
from domain.deadlines import BUSINESS_TZ as CST
from infra.bulk import BulkSession
from infra.demo import load_demo
from infra.demo.synthetic import load_stress
from infra.ledger import Ledger
from infra.verify import verify
from projections.runner import Projector

N = 5000
CALENDAR = WorkCalendar.default()
SYSTEM = ("system_scheduler", "system_api")


def _events(ledger: Ledger) -> list[Any]:
    out, position = [], 0
    while batch := ledger.recorder.select_notifications(start=position + 1, limit=2000):
        out += [ledger.mapper.to_domain_event(n) for n in batch]
        position = batch[-1].id
    return out


def _stream_type(ev: Any) -> str:
    return ev.meta.get("stream_type") or type(ev).__qualname__.split(".")[0]


def test_scale_small(ledger: Ledger) -> None:
    seen: list[tuple[int, int]] = []
    summary = load_demo(ledger, "scale", events=N, progress=lambda done, total: seen.append((done, total)))
    assert summary["events"] == N and not summary["mismatches"]
    assert seen and seen[-1] == (N, N)
    events = _events(ledger)
    assert len(events) == N  # exactly N (AccessLog takes the rounding remainder; see infra.demo.synthetic)
    mix = Counter(_stream_type(ev) for ev in events)
    assert mix == Counter(summary["by_stream_type"])
    share = {k: v / N for k, v in mix.items()}
    assert 0.70 <= share["Clue"] <= 0.74 and 0.15 <= share["AccessLog"] <= 0.20
    assert 0.03 <= share["ReviewBatch"] <= 0.07 and 0.03 <= share["ReconsiderationCase"] <= 0.05
    assert sum(v for k, v in mix.items() if k in ("Org", "User", "Config")) == round(0.01 * N)
    assert {ev.meta["actor"]["org_id"] for ev in events if _stream_type(ev) == "Clue"} >= {"HQ", "B02", "B20"}

    recorded = [ev.timestamp for ev in events]
    assert recorded == sorted(recorded)  # the log is in recorded-time order
    for ev in events:
        occurred = datetime.fromisoformat(ev.meta["occurred_at"]).astimezone(CST)
        assert occurred.year in (2023, 2024, 2025)
        assert timedelta(0) < ev.timestamp - occurred <= timedelta(minutes=10)
        if ev.meta["actor"]["role"] not in SYSTEM:
            assert CALENDAR.is_working_day(occurred.date()) and time(8, 30) <= occurred.time() <= time(17, 30)

    numbers: dict[str, list[int]] = defaultdict(list)
    for ev in events:
        for field in ("clue_no", "case_no", "batch_no"):
            if field in getattr(ev, "data", {}):
                prefix, _, n = ev.data[field].rpartition("-")
                numbers[prefix].append(int(n))
    assert numbers and all(sorted(v) == list(range(1, len(v) + 1)) for v in numbers.values())  # gapless

    assert verify(ledger).ok
    projector = Projector(ledger)
    try:
        assert projector.run_once() == N
        assert all(lag.events_behind == 0 for lag in projector.lag())
    finally:
        projector.db.close()

    with pytest.raises(errors.StaleVersion):  # a bulk import is not resumed: its first stream exists
        load_demo(ledger, "scale", events=N)
    _rules_still_apply(ledger)


def _rules_still_apply(ledger: Ledger) -> None:
    """A clue through a fresh session: refused commands record nothing and the session goes on."""
    staff, sup = ({"user_id": u, "role": r, "org_id": "HQ"} for u, r in (("u-hq-staff-1", "supervision_staff"),
                                                                        ("u-hq-sup-1", "supervisor")))
    liaison = {"user_id": "u-liaison-hq-a01", "role": "agency_liaison", "org_id": "HQ-A01"}
    clue, notice = uuid4(), str(uuid4())
    at = datetime(2025, 12, 1, 9, 0, tzinfo=CST)
    version = 0
    head = ledger.recorder.max_notification_id()

    def doc(name: str) -> dict[str, Any]:
        return {"doc_id": name, "name": name, "doc_type": "document", "content_hash": "a" * 64, "size_bytes": 1,
                "mime": "application/pdf", "storage_ref": f"dms://t/{name}"}

    with BulkSession(ledger, flush_every=5) as session:
        def run(command: str, data: dict[str, Any], who: dict[str, str] = staff, approve: bool = False,
                expected: int | None = None) -> dict[str, Any]:
            nonlocal at, version
            at += timedelta(minutes=30)
            meta = {"stream_id": str(clue), "expected_version": version if expected is None else expected,
                    "idempotency_key": str(uuid4()), "occurred_at": at.isoformat(),
                    "approvals": [{"approver_user_id": sup["user_id"], "approver_role": "supervisor",
                                   "decided_at": at.isoformat()}] if approve else []}
            result = session.execute(command, data, meta, who, now=at + timedelta(minutes=2))
            version = result["version"]
            return result

        run("receiveClue", {"channel": "hotline_12345", "summary": "市民反映执法人员态度粗暴",
                            "subject_agency_ids": ["HQ-A01"], "reporter": {"kind": "anonymous", "contactable": False}})
        registered = run("registerClue", {})
        assert registered["event_type"] == "ClueRegistered"
        with pytest.raises(errors.StaleVersion):
            run("screenClue", {"outcome": "valid", "reason_code": "other", "reason": "属监督范围"}, expected=0)
        with pytest.raises(errors.ValidationFailed):  # gapless: a number that is not the next one
            run("registerClue", {"clue_no": "HQ-JD-2025-9999"})
        run("screenClue", {"outcome": "valid", "reason_code": "other", "reason": "属监督范围"})
        run("openSupervisionCase", {"case_kind": "individual", "lead_user_id": staff["user_id"]}, approve=True)
        run("startVerification", {"methods": ["document_review"], "team_user_ids": [staff["user_id"]]})
        run("recordFinding", {"finding_id": str(uuid4()), "conclusion": "substantiated",
                              "problem_categories": ["rough"], "responsible_agency_ids": ["HQ-A01"],
                              "summary": "问题属实"}, approve=True)
        issue = {"notice_id": notice, "notice_type": "rectification_notice", "doc_number": "汉司监整〔2025〕9001号",
                 "recipient_org_id": "HQ-A01", "requirements": "限期整改", "document": doc("n")}
        run("issueNotice", issue, approve=True)
        with pytest.raises(errors.DuplicateDocNumber):  # rule 21 against this session's own (unflushed) claims
            run("issueNotice", {**issue, "notice_id": str(uuid4())}, approve=True)
        run("serveNotice", {"notice_id": notice, "method": "direct", "service_receipt": doc("r")})
        close = {"closure_type": "rectified", "closure_reason": "整改到位", "closure_report": doc("c")}
        with pytest.raises(errors.CloseWithOpenNotice):
            run("closeClue", close, approve=True)
        with pytest.raises(errors.NotAuthorized):
            run("reportRectification", {"notice_id": notice, "report": doc("p"), "completion": "complete",
                                        "measures": "已整改"}, who={**liaison, "role": "auditor"})
        run("reportRectification", {"notice_id": notice, "report": doc("p"), "completion": "complete",
                                    "measures": "已整改"}, who={**liaison, "org_id": "HQ-A01"})
        run("verifyRectification", {"notice_id": notice, "result": "accepted", "method": "document_review",
                                    "reasons": "整改到位"}, approve=True)
        closed = run("closeClue", close, approve=True)
    assert closed["event_type"] == "ClueClosed" and session.recorded == 11
    assert ledger.recorder.max_notification_id() == head + 11
    stored = ledger.load(clue)
    assert stored.status == "closed" and stored.clue_no == registered_no(ledger, clue)
    assert verify(ledger).ok


def registered_no(ledger: Ledger, clue: Any) -> str:
    no = next(ev.data["clue_no"] for ev in ledger.stream_events(clue) if type(ev).__name__ == "ClueRegistered")
    assert no.startswith("HQ-JD-2025-")
    return no


def test_stress_reduced(tmp_path: Any) -> None:
    from infra.settings import Settings

    ledger = Ledger(Settings(database_url=f"sqlite:///{tmp_path / 'stress.db'}"))
    try:
        summary = load_stress(ledger, years=1, clues_per_year=200, batches_per_year=3, recon_per_year=40)
        events = _events(ledger)
        assert len(events) == summary["events"] and not summary["mismatches"]
        received = [ev for ev in events if type(ev).__name__ == "ClueReceived"]
        assert len(received) == 200
        channels = Counter(ev.data["channel"] for ev in received)
        assert channels["hotline_12345"] == 140 and channels["letter_visit"] == 20 and channels["online_platform"] == 16
        screened = Counter(ev.data["outcome"] for ev in events if type(ev).__name__ == "ClueScreened")
        assert 0.55 <= screened["valid"] / sum(screened.values()) <= 0.65
        types = Counter(type(ev).__name__ for ev in events)
        assert types["ReviewBatchOpened"] == 3 and types["ReconsiderationApplicationReceived"] == 40
        assert types["TransferSent"] == 10 and types["IdentitySealed"] > 100
        issued = sum(1 for ev in events if type(ev).__name__ == "RectificationNoticeIssued" and
                     _stream_type(ev) == "Clue")
        assert issued and types["NoticeOverdue"] / issued < 0.35
        assert 14 <= summary["events_per_clue"] <= 24
        assert verify(ledger).ok
    finally:
        ledger.close()
