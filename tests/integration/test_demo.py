"""The ``demo_2024`` dataset (domain.md §12.1) loaded through the command layer on SQLite and PostgreSQL.

The dataset is loaded once per backend (module scope) and then a second time, which must record nothing.
Facts of "Expected at as_of 2024-07-18" are checked on the aggregates: the state at the end of Part A is
the stream folded up to its last event occurring before 2024-07-19 00:00 +08:00.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, time, timedelta, timezone
from typing import Any
from uuid import UUID

import psycopg
import pytest

from domain.calendar import WorkCalendar
from infra.demo import load_demo
from infra.ledger import Ledger
from infra.render import notification_json
from infra.settings import Settings

CST = timezone(timedelta(hours=8))
PART_A_END = datetime(2024, 7, 19, tzinfo=CST)  # as_of 2024-07-18T24:00+08:00
H1 = (datetime(2024, 1, 1, tzinfo=CST), datetime(2024, 7, 1, tzinfo=CST))
CALENDAR = WorkCalendar.default()


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A database with demo_2024 loaded twice: ``first`` and ``second`` are the two summaries."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
        admin = name = None
    else:
        base = request.getfixturevalue("pg_database")
        admin, name = base.rsplit("/", 1)[0] + "/postgres", f"svl_demo_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = base.rsplit("/", 1)[0] + f"/{name}"
    ledger = Ledger(Settings(database_url=url))
    try:
        first = load_demo(ledger)
        before = ledger.recorder.max_notification_id()
        second = load_demo(ledger)
        yield {"ledger": ledger, "first": first, "second": second, "before": before,
               "after": ledger.recorder.max_notification_id(), "backend": request.param}
    finally:
        ledger.close()
        if name:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _events(ledger: Ledger, stream: str) -> list[Any]:
    return ledger.stream_events(UUID(stream))


def at_part_a(ledger: Ledger, stream: str) -> Any:
    """The aggregate as at 2024-07-18 24:00 (its events occurring before 07-19)."""
    version = max(ev.originator_version for ev in _events(ledger, stream) if _when(ev.meta["occurred_at"]) < PART_A_END)
    return ledger.load(UUID(stream), version=version)


def _log(ledger: Ledger) -> list[dict[str, Any]]:
    out, after = [], 0
    while True:
        page = ledger.notifications(after=after, limit=1000)
        if not page:
            return out
        out += [notification_json(n) for n in page]
        after = page[-1].id


# -- loading ----------------------------------------------------------------------------------------------
def test_second_load_records_nothing(demo: dict[str, Any]) -> None:
    assert demo["first"]["recorded_events"] > 1000
    assert demo["second"]["recorded_commands"] == 0 and demo["second"]["recorded_events"] == 0
    assert demo["after"] == demo["before"]


def test_log_is_in_recorded_order_and_in_working_hours(demo: dict[str, Any]) -> None:
    log = _log(demo["ledger"])
    recorded = [_when(e["recorded_at"]) for e in log]
    assert recorded == sorted(recorded)
    late = []
    for e, rec in zip(log, recorded, strict=True):
        occurred = _when(e["meta"]["occurred_at"]).astimezone(CST)
        if e["meta"]["actor"]["role"] == "system_scheduler":
            assert occurred.time() == time(0) and timedelta(0) < rec - occurred < timedelta(minutes=10)
            continue
        assert CALENDAR.is_working_day(occurred.date()), e
        assert time(8, 30) <= occurred.time() <= time(17, 30), e
        if rec - occurred > timedelta(minutes=10):
            late.append((e["event_type"], e["meta"]["backdate"]["reason"]))
    assert [t for t, _ in late] == ["NoticeServed", "ClueReceived"]  # D1 (02-04 → 02-06), D4 (03-04 → 03-06)


# -- clues ------------------------------------------------------------------------------------------------
def test_clue_statuses_at_the_end_of_part_a_and_of_part_b(demo: dict[str, Any]) -> None:
    ledger, clues = demo["ledger"], demo["first"]["clues"]
    part_a = {code: at_part_a(ledger, sid) for code, sid in clues.items()}
    assert {c: a.status for c, a in part_a.items()} == {
        "D1": "closed", "D2": "closed", "D3": "screened_out", "D4": "closed", "D5": "screened_out",
        "D6": "transferred", "D7": "rectifying", "D8": "screened_out"}
    assert {c: a.closure_type for c, a in part_a.items() if a.status == "closed"} == {
        "D1": "rectified", "D2": "merged", "D4": "rectified"}
    assert {c: a.clue_no for c, a in part_a.items()} == {c: f"HQ-JD-2024-000{c[1]}" for c in clues}
    assert sum(a.screen_outcome == "valid" for a in part_a.values()) == 5  # Q1: 8 / 5 / 4
    assert sorted(c for c, a in part_a.items() if a.case_no) == ["D1", "D4", "D6", "D7"]
    assert {c: a.channel for c, a in part_a.items()} == {
        "D1": "hotline_12345", "D2": "media", "D3": "hotline_12345", "D4": "letter_visit", "D5": "letter_visit",
        "D6": "online_platform", "D7": "reconsideration_case", "D8": "online_platform"}
    final = {code: ledger.load(UUID(sid)) for code, sid in clues.items()}
    assert final["D6"].status == "closed" and final["D6"].closure_type == "transferred_closed"
    assert final["D7"].status == "closed" and final["D7"].closure_type == "rectified"
    assert final["D1"].merged == [clues["D2"]] and final["D2"].merged_into == clues["D1"]


def test_d1_notice_due_0305_overdue_once_and_completed_late(demo: dict[str, Any]) -> None:
    ledger, sid = demo["ledger"], demo["first"]["clues"]["D1"]
    d1 = ledger.load(UUID(sid))
    (ob,) = [o for o in d1.obligations.values() if o["type"] == "rectification_report"]
    assert ob["due_date"] == "2024-03-05" and _when(ob["due_at"]) == datetime(2024, 3, 6, tzinfo=CST)
    assert ob["status"] == "completed" and _when(ob["completed_at"]) >= _when(ob["due_at"])  # completed_late
    assert _when(ob["completed_at"]).date().isoformat() == "2024-03-28"
    events = _events(ledger, sid)
    (overdue,) = [e for e in events if type(e).__name__ == "NoticeOverdue"]
    assert _when(overdue.meta["occurred_at"]) == datetime(2024, 3, 6, tzinfo=CST)
    assert overdue.meta["actor"]["role"] == "system_scheduler"
    assert overdue.meta["idempotency_key"] == f"overdue:{ob['obligation_id']}:{ob['due_at']}"
    (served,) = [e for e in events if type(e).__name__ == "NoticeServed"]
    assert served.meta["occurred_at"].startswith("2024-02-04") and served.meta["backdate"]["reason"]
    assert served.timestamp.astimezone(CST).date().isoformat() == "2024-02-06"
    types = [type(e).__name__ for e in events]
    for name in ("ReminderIssued", "NoticeEscalated", "InterviewHeld", "RectificationVerified", "ClueClosed",
                 "ReporterFeedbackSent"):
        assert name in types


def test_d4_registration_late_and_letter_visit_handling_extended(demo: dict[str, Any]) -> None:
    d4 = demo["ledger"].load(UUID(demo["first"]["clues"]["D4"]))
    obs = {o["type"]: o for o in d4.obligations.values()}
    reg = obs["registration"]
    assert reg["status"] == "completed" and _when(reg["completed_at"]) >= _when(reg["due_at"])
    handling = obs["letter_visit_handling"]
    assert handling["original_due_at"].startswith("2024-05-11") and handling["due_date"] == "2024-06-11"
    assert handling["extensions"] == 1 and handling["status"] == "completed"
    assert obs["rectification_report"]["due_date"] == "2024-05-15"


def test_d6_transfer_to_discipline_partner(demo: dict[str, Any]) -> None:
    ledger, sid = demo["ledger"], demo["first"]["clues"]["D6"]
    (t,) = at_part_a(ledger, sid).transfers.values()
    assert t["status"] == "decided" and t["decision"] == "preliminary_verification"
    assert t["target_org_id"] == "hq-jwjw"
    assert {m["material_type"] for m in t["materials"]} == {"transfer_letter", "clue_materials", "finding_report"}
    (t,) = ledger.load(UUID(sid)).transfers.values()
    assert t["status"] == "completed" and t["outcome"] == "sanctions"


# -- batches ----------------------------------------------------------------------------------------------
def test_monthly_reviews_24_files_180_problems_8_suggestions_24_forms(demo: dict[str, Any]) -> None:
    ledger, batches = demo["ledger"], demo["first"]["batches"]
    files = problems = suggestions = forms = 0
    per_dept: Counter[str] = Counter()
    for n, code in enumerate(("RB-2024-01", "RB-2024-02"), 1):
        b = at_part_a(ledger, batches[code])
        assert b.batch_no == f"HQ-RB-2024-0{n}" and b.status == "closed"
        counts = b.derived_counts()
        files += counts["files_reviewed"]
        problems += counts["problems_found"]
        forms += counts["forms_filled"]
        suggestions += sum(x["notice_type"] == "review_suggestion" for x in b.notices.values())
        assert all(x["status"] == "closed_rectified" for x in b.notices.values())
        per_dept.update(p["agency_id"] for p in b.problems.values())
    assert (files, problems, suggestions, forms) == (24, 180, 8, 24)
    assert sorted(per_dept.values()) == [22, 22, 22, 22, 23, 23, 23, 23] and len(per_dept) == 8


def test_annual_self_inspection_follow_up_and_inspection_batches(demo: dict[str, Any]) -> None:
    ledger, batches = demo["ledger"], demo["first"]["batches"]
    annual = at_part_a(ledger, batches["RB-2024-03"])
    assert annual.batch_no == "HQ-RB-2024-03" and len(annual.files) == 51
    assert len({f["agency_id"] for f in annual.files.values()}) == 18 and not annual.reviews
    assert len(ledger.load(UUID(batches["RB-2024-03"])).reviews) == 51  # Part B
    si = at_part_a(ledger, batches["RB-2024-04"])
    assert si.batch_kind == "self_inspection" and si.status == "open"
    assert len(si.problems) == 51 and {p["source"] for p in si.problems.values()} == {"self_report"}
    assert sorted(Counter(p["agency_id"] for p in si.problems.values()).values()) == [1] * 5 + [2] * 23
    fu = at_part_a(ledger, batches["RB-2024-05"])
    letters = [x for x in fu.notices.values() if x["notice_type"] == "work_tip_letter"]
    assert len(letters) == 17 and len({x["recipient_org_id"] for x in letters}) == 17
    assert all(x["status"] == "closed_rectified" for x in letters)
    overdue = [e for e in _events(ledger, batches["RB-2024-05"]) if type(e).__name__ == "NoticeOverdue"]
    assert len(overdue) == 1 and overdue[0].meta["occurred_at"].startswith("2024-05-16T00:00")
    late = [o for o in fu.obligations.values() if o["type"] == "rectification_report"
            and _when(o["completed_at"]) >= _when(o["due_at"])]
    assert len(late) == 1 and fu.notices[late[0]["subject"]]["recipient_org_id"] == "A24"
    rol = at_part_a(ledger, batches["RB-2024-06"])
    assert rol.batch_kind == "rule_of_law_inspection" and len(rol.teams) == 3
    inspected = [e["data"]["agency_id"] for e in rol.index.values() if e["type"] == "UnitInspected"]
    assert len(inspected) == 12 and sum(a.startswith("T") for a in inspected) == 3
    feedback = [x for x in rol.notices.values() if x["notice_type"] == "inspection_feedback"]
    assert len(feedback) == 12 and all(x["status"] == "closed_rectified" for x in feedback)
    assert [n["scope"] for n in rol.notifications.values()] == ["government_wide"]


# -- reconsideration --------------------------------------------------------------------------------------------
def test_reconsideration_h1_2024(demo: dict[str, Any]) -> None:
    ledger, ids = demo["ledger"], demo["first"]["reconsideration"]
    start, end = H1
    cases = [ledger.load(UUID(sid)) for sid in ids.values()]

    def within(at: str | None) -> bool:
        return at is not None and start <= _when(at) < end

    received = [c for c in cases if within(c.received_at)]
    decisions = Counter(c.decision for c in received)
    assert len(received) == 100 and decisions == {"accepted": 83, "not_accepted": 17}
    carried = [c for c in cases if c.accepted_at and _when(c.accepted_at) < start
               and (c.closed_at is None or _when(c.closed_at) >= start)]
    assert len(carried) == 14
    closed = [c for c in cases if within(c.closed_at)]
    assert len(closed) == 84 and sum(c in carried for c in closed) == 14
    assert Counter(c.outcome for c in closed) == {"revoked": 1, "confirmed_illegal": 1, "changed": 1, "mediated": 18,
                                                  "settled_withdrawn": 24, "upheld": 31, "claim_rejected": 5,
                                                  "terminated": 3}
    assert sum(c.corrected for c in closed) == 3 and sum(c.mediated for c in closed) == 42
    still_open = [c for c in cases if c.accepted_at and (c.closed_at is None or _when(c.closed_at) >= end)]
    assert len(still_open) == 13 and all(_when(c.closed_at) >= PART_A_END for c in still_open)
    copies = Counter(x["mode"] for c in cases for x in c.copies if within(x["copied_at"]))
    assert copies == {"direct": 24, "special_letter": 4}
    token = re.compile(r"^pt_[a-z2-7]{26}$")
    for c in cases:
        (first, *_) = _events(ledger, ids[next(k for k, v in ids.items() if UUID(v) == c.id)])
        assert all(token.match(x) for x in first.data["applicant_tokens"])
        for ob in c.obligations.values():  # every case decided within its period
            if ob["type"] in ("recon_decision", "recon_acceptance_review"):
                assert ob["status"] == "completed" and _when(ob["completed_at"]) < _when(ob["due_at"])


def test_no_reconsideration_event_between_07_01_and_07_18(demo: dict[str, Any]) -> None:
    ledger = demo["ledger"]
    for sid in demo["first"]["reconsideration"].values():
        for ev in _events(ledger, sid):
            assert not H1[1] <= _when(ev.meta["occurred_at"]) < PART_A_END


def test_d6_materials_completed_before_approval_and_seconded_staff_conflicted(demo: dict[str, Any]) -> None:
    ledger, sid = demo["ledger"], demo["first"]["clues"]["D6"]
    types = [type(e).__name__ for e in _events(ledger, sid)]
    assert types.index("TransferProposed") < types.index("TransferMaterialsAttached") < types.index("TransferApproved")
    assert types.index("PartnerShareGranted") == types.index("TransferSent") - 1
    at = datetime(2024, 4, 16, 10, tzinfo=CST)
    assert ledger.context.is_conflicted("u-staff-6", ["A03"], at)  # scenario 9: seconded from A03 until 2023-08
    assert not ledger.context.is_conflicted("u-staff-2", ["A03"], at)


def test_plan_is_deterministic() -> None:
    from infra.demo import build_demo

    first, second = build_demo().check(), build_demo().check()
    assert [(s.key, s.at, s.recorded) for s in first] == [(s.key, s.at, s.recorded) for s in second]
    assert len({s.key for s in first}) == len(first)


# -- fixtures (SQLite) -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fixtures(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from infra.demo import load_fixture

    ledger = Ledger(Settings(database_url=f"sqlite:///{tmp_path_factory.mktemp('fixtures') / 'f.db'}"))
    try:
        loaded = {name: load_fixture(ledger, name) for name in ("F-J", "F-X", "F-X2")}
        again = {name: load_fixture(ledger, name)["recorded_events"] for name in loaded}
        yield {"ledger": ledger, "loaded": loaded, "again": again}
    finally:
        ledger.close()


def _by_year(ledger: Ledger, loaded: dict[str, Any], year: str) -> list[Any]:
    cases = [ledger.load(UUID(s)) for s in loaded["reconsideration"].values()]
    return [c for c in cases if c.received_at.startswith(year)]


def test_fixture_j_acceptance_rate_and_review(fixtures: dict[str, Any]) -> None:
    ledger, loaded = fixtures["ledger"], fixtures["loaded"]["F-J"]
    y2019, y2018 = _by_year(ledger, loaded, "2019"), _by_year(ledger, loaded, "2018")
    assert len(y2019) == 29 and len(y2018) == 39
    assert Counter(c.decision for c in y2019) == {"accepted": 22, "not_accepted": 4, "deemed_withdrawn": 1,
                                                  "referred_to_competent_authority": 1,
                                                  "suspended_pending_litigation": 1}
    batch = ledger.load(UUID(loaded["batches"]["JH-RB-2019-01"]))
    assert batch.batch_no == "JH-RB-2019-01" and len(batch.reviews) == 165
    assert len({f["agency_id"] for f in batch.files.values()}) == 19
    first = ledger.stream_events(UUID(next(iter(loaded["reconsideration"].values()))))[0]
    assert first.meta["actor"]["org_id"] == "JH" and first.meta["backdate"]["approved_by"] == "u-jh-sup-1"


def test_fixture_x_dispositions_and_x2_withdrawals(fixtures: dict[str, Any]) -> None:
    ledger, loaded = fixtures["ledger"], fixtures["loaded"]
    x = _by_year(ledger, loaded["F-X"], "2016")
    assert len(x) == 753 and all(c.legacy_import for c in x)
    assert Counter(c.outcome or c.decision for c in x) == {
        "upheld": 323, "revoked": 75, "terminated": 180, "confirmed_illegal": 7, "not_accepted": 12,
        "not_supported": 2, "enforcement_suspended": 1, "other": 112, "unclassified": 41}
    x2 = _by_year(ledger, loaded["F-X2"], "2017")
    assert len(x2) == 95 and sum(c.outcome == "settled_withdrawn" for c in x2) == 24
    assert fixtures["again"] == {"F-J": 0, "F-X": 0, "F-X2": 0}
