"""The newcomer's path on ``demo_2024`` (issue "Done when", domain.md §12.1, §13.3): page through the 2024
clues, open D1's audit trail, replay it as of a past date and as then known, read the seed statistics
(the §12.1 contract), and a partner token never sees a reporter."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from infra.bootstrap import build_ledger
from infra.demo import load_demo
from tests.e2e.conftest import Api, TestClient, create_app, settings_for

CONTRACT = {
    "clues_collected": 8, "clues_valid": 5, "cases_opened": 4, "clues_screened_out": 3, "clues_closed": 3,
    "case_files_reviewed": 24, "case_file_problems": 180, "review_suggestions": 8, "review_forms": 24,
    "annual_review_files": 51, "annual_review_units": 18, "self_inspection_units": 28, "self_inspection_problems": 51,
    "inspected_units": 12, "inspection_feedback": 12, "work_tip_letters": 17}
RECONSIDERATION = {
    "received": 100, "accepted": 83, "not_accepted": 17, "carried_over": 14, "closed": 84, "corrected": 3,
    "correction_rate": "3.57%", "mediation_settlement_rate": "50.00%", "open_end": 13, "acceptance_rate": "83.00%",
    "decisions_copied_direct": 24, "decisions_copied_letter": 4}
PAGE = ('query($after: String) { clues(first: 3, after: $after, filter: {receivedFrom: "2024-01-01", '
        'receivedTo: "2024-12-31"}) { nodes { id clueNo status } pageInfo { hasNextPage endCursor } } }')
AS_OF = "query($id: ID!, $at: String!, $known: String) { clueAsOf(id: $id, at: $at, knownAt: $known) { status " \
        "overdue notices { status } } }"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, dict[str, Any]]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    ledger = build_ledger(url)
    loaded = load_demo(ledger)  # before the app starts: no projector competing with the load
    ledger.close()
    with TestClient(create_app(settings_for(url))) as client:
        api = Api(client)
        api.catch_up()
        yield api, loaded


def test_statistics_contract_as_of_2024_07_18(demo: tuple[Api, dict[str, Any]]) -> None:
    api, _ = demo
    stats = api.data('{ statistics(period: {year: 2024}, asOf: "2024-07-18") { json cluesCollected '
                     'reconsideration { correctionRate { value fraction } } } }')["statistics"]
    assert {k: stats["json"][k] for k in CONTRACT} == CONTRACT
    assert {k: stats["json"]["reconsideration"][k] for k in RECONSIDERATION} == RECONSIDERATION
    assert stats["reconsideration"]["correctionRate"] == {"value": "3.57%", "fraction": "3/84"}


def test_page_trail_and_replay_of_d1(demo: tuple[Api, dict[str, Any]]) -> None:
    api, loaded = demo
    seen, after = [], None
    while True:
        page = api.data(PAGE, {"after": after})["clues"]
        seen += [n["clueNo"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"HQ-JD-2024-{i:04d}" for i in range(1, 9)]
    d1 = loaded["clues"]["D1"]
    trail = api.data('query($id: ID!) { auditTrail(clueId: $id, asOf: "2024-03-10") { eventType occurredAt '
                     'backdateReason documents { docNumber } } }', {"id": d1}, role="auditor")["auditTrail"]
    kinds = [e["eventType"] for e in trail]
    assert "ReminderIssued" in kinds and "RectificationReported" not in kinds and "ClueClosed" not in kinds
    assert all(e["occurredAt"] < "2024-03-11" for e in trail)
    assert next(e for e in trail if e["eventType"] == "NoticeServed")["backdateReason"]
    assert api.data(AS_OF, {"id": d1, "at": "2024-03-10"})["clueAsOf"] == {
        "status": "rectifying", "overdue": True, "notices": [{"status": "served"}]}
    before_recorded = api.data(AS_OF, {"id": d1, "at": "2024-02-05", "known": "2024-02-05"})["clueAsOf"]
    assert before_recorded["notices"] == [{"status": "issued"}]


def test_partner_and_liaison_views_of_the_demo(demo: tuple[Api, dict[str, Any]]) -> None:
    api, loaded = demo
    partner = {"role": "discipline_partner", "user": "u-jw", "org": "hq-jwjw"}
    shared = api.data("{ clues { nodes { id clueNo summary lead reporter { kind } } } }", **partner)["clues"]["nodes"]
    assert [c["id"] for c in shared] == [loaded["clues"]["D6"]]
    trail = api.data("query($id: ID!) { auditTrail(clueId: $id) { eventType data correctedData actor { userId } } }",
                     {"id": loaded["clues"]["D6"]}, **partner)["auditTrail"]
    assert trail and "ClueReceived" not in {e["eventType"] for e in trail}
    text = json.dumps([shared, trail], ensure_ascii=False)
    assert "pt_" not in text and "reporter_token" not in text and shared[0]["reporter"] is None
    assert shared[0]["lead"] is None
    liaison = api.data("{ notices(first: 100) { nodes { recipientOrgId } } }", role="agency_liaison", org="A01")
    assert {n["recipientOrgId"] for n in liaison["notices"]["nodes"]} == {"A01"}


def test_events_shown_unwalked_hold_nothing_to_mask(demo: tuple[Api, dict[str, Any]]) -> None:
    """The full view shows an event as stored, without walking it, when its text cannot hold a token
    (``may_hold_tokens``): over the whole demo log that must give what the walk gives."""
    from api.redaction import Redactor, may_hold_tokens

    api, _ = demo
    redactor = Redactor("auditor", "HQ", b"k" * 32)
    rows = api.services.reads.dicts("SELECT event_type, meta, data FROM audit_timeline")
    plain = [r for r in rows if not (may_hold_tokens(r["meta"]) or may_hold_tokens(r["data"]))]
    walked = [r for r in rows if r not in plain]
    assert len(plain) > 1000 and walked  # both paths are exercised by the demo
    for r in plain:
        data, meta = json.loads(r["data"]), json.loads(r["meta"])
        assert redactor.event(r["event_type"], data, meta) == (data, meta)
        assert redactor.event(r["event_type"], data, meta, plain=True) == (data, meta)
    masked = [r for r in walked if redactor.event(r["event_type"], json.loads(r["data"]), json.loads(r["meta"]))
              != (json.loads(r["data"]), json.loads(r["meta"]))]
    assert masked and all("pt_" not in json.dumps(redactor.event(r["event_type"], json.loads(r["data"]),
                                                                 json.loads(r["meta"]))) for r in masked)
