"""Reads over HTTP: keyset pagination under concurrent inserts, audit trails as of a business time and
as known at a recorded time with corrections inline, replay as of a moment or version, statistics equal
to ``svledger stats``, the raw log, and the access events reads leave behind."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta

import pytest
from typer.testing import CliRunner

from domain.base import value_hash
from infra.cli import app as cli
from infra.sample import CST
from tests.e2e.commands import SUP1, meta, run, send
from tests.e2e.conftest import Api, TestClient, create_app, moments, settings_for
from tests.e2e.story import RECORD_DELAY, receive, story

PAGE = "query($after: String) { clues(first: 2, after: $after) { edges { cursor node { id receivedAt } } " \
       "pageInfo { hasNextPage endCursor } } }"
TRAIL = ("query($id: ID!, $asOf: String, $knownAt: String) { auditTrail(clueId: $id, asOf: $asOf, knownAt: $knownAt)"
         " { version eventType occurredAt recordedAt actor { userId role } approvals { approverUserId } "
         "documents { name docNumber contentHash } data correctedData voided reason "
         "correctedBy { eventType reason actor { userId } approvals { approverUserId } } target { version } } }")


def test_keyset_pages_are_stable_under_concurrent_inserts(backend_api: Api) -> None:
    api = backend_api
    times = moments(5, step_minutes=10)
    originals = {receive(api.ledger, t) for t in times}
    api.catch_up()

    def insert() -> None:  # clues received before and after the pages read so far, while paging
        for i in range(8):
            receive(api.ledger, times[0] - timedelta(minutes=1 + i) if i % 2 else times[-1] + timedelta(minutes=i))
            api.catch_up()

    writer = threading.Thread(target=insert)
    seen, after = [], None
    writer.start()
    while True:
        page = api.data(PAGE, {"after": after})["clues"]
        seen += [(e["node"]["receivedAt"], e["node"]["id"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    writer.join()
    ids = [i for _, i in seen]
    assert len(ids) == len(set(ids)), "a clue appeared on two pages"
    assert originals <= set(ids), "a clue present before paging was skipped"
    keys = [(datetime.fromisoformat(t), i) for t, i in seen]
    assert keys == sorted(keys)


def test_audit_trail_as_of_and_known_at_with_corrections(backend_api: Api) -> None:
    api = backend_api
    start = datetime.now(CST).replace(microsecond=0) - timedelta(hours=2)
    clue, steps, _ = story(api.ledger, start)
    api.catch_up()
    full = api.data(TRAIL, {"id": str(clue)}, role="auditor")["auditTrail"]
    assert [e["version"] for e in full] == list(range(1, 10))
    first = full[0]
    assert first["data"]["reporter"]["reporter_token"] == "[sealed]" and "pt_" not in json.dumps(full)
    assert first["actor"] == {"userId": "u-staff-1", "role": "supervision_staff"}
    assert full[4]["approvals"] == [{"approverUserId": "u-sup-1"}]
    notice_docs = full[7]["documents"]
    assert notice_docs and notice_docs[0]["docNumber"] and len(notice_docs[0]["contentHash"]) == 64

    as_of = (start + timedelta(minutes=10)).isoformat()  # business time: the first three events
    assert [e["version"] for e in api.data(TRAIL, {"id": str(clue), "asOf": as_of})["auditTrail"]] == [1, 2, 3]
    known = (start + timedelta(minutes=20) + RECORD_DELAY + timedelta(seconds=30)).isoformat()
    assert [e["version"] for e in api.data(TRAIL, {"id": str(clue), "knownAt": known})["auditTrail"]] == [1, 2, 3, 4, 5]

    summary = first["data"]["summary"]
    fix = run(api, "correctEvent", {"target_event_id": steps[0]["event_id"], "reason": "笔误更正",
                                    "changes": [{"path": "summary", "old_value_hash": value_hash(summary),
                                                 "new_value": "更正后的线索摘要"}]},
              meta(datetime.now(CST), 9, str(clue), approvers=(SUP1,)))
    api.catch_up()
    trail = api.data(TRAIL, {"id": str(clue)})["auditTrail"]
    received, correction = trail[0], trail[-1]
    assert received["data"]["summary"] == summary and received["correctedData"]["summary"] == "更正后的线索摘要"
    assert received["correctedBy"] == [{"eventType": "EventCorrected", "reason": "笔误更正",
                                        "actor": {"userId": "u-staff-1"}, "approvals": [{"approverUserId": SUP1}]}]
    assert correction["eventType"] == "EventCorrected" and correction["target"] == {"version": 1}
    before = api.data(TRAIL, {"id": str(clue), "knownAt": known})["auditTrail"][0]
    assert before["correctedBy"] == [] and before["correctedData"]["summary"] == summary
    past = api.data(TRAIL, {"id": str(clue), "asOf": as_of})["auditTrail"]
    assert [e["version"] for e in past] == [1, 2, 3] and past[0]["correctedData"]["summary"] == "更正后的线索摘要"
    assert fix["version"] == 10
    finding = steps[6]["event_id"]
    structural = {"target_event_id": finding, "reason": "改结论",
                  "changes": [{"path": "conclusion", "old_value_hash": value_hash("substantiated"),
                               "new_value": "unsubstantiated"}]}
    assert send(api, "correctEvent", structural, meta(datetime.now(CST), 10, str(clue), approvers=(SUP1,))
                )["errors"][0]["extensions"]["code"] == "CORRECTION_OF_STRUCTURAL_FIELD"
    own = {**structural, "changes": [{"path": "summary", "old_value_hash": value_hash("执法粗暴"), "new_value": "改"}]}
    assert send(api, "correctEvent", own, meta(datetime.now(CST), 10, str(clue), approvers=("u-staff-1",))
                )["errors"][0]["extensions"]["code"] == "SELF_APPROVAL_FORBIDDEN"
    assert api.code('mutation { updateFinding(id: "x") { eventId } }') == "HISTORY_IMMUTABLE"
    detail = api.data("query($id: ID!) { clue(id: $id) { summary version } }", {"id": str(clue)})["clue"]
    assert detail == {"summary": "更正后的线索摘要", "version": 10}


def test_clue_as_of_a_moment_or_version(backend_api: Api) -> None:
    api = backend_api
    start = datetime.now(CST).replace(microsecond=0) - timedelta(hours=2)
    clue = story(api.ledger, start).clue
    query = "query($id: ID!, $at: String, $v: Int) { clueAsOf(id: $id, at: $at, version: $v) { status asOfVersion " \
            "version clueNo caseNo notices { status due { dueAt } } } }"
    by_version = api.data(query, {"id": str(clue), "v": 2})["clueAsOf"]
    assert by_version["status"] == "registered" and by_version["asOfVersion"] == 2 and by_version["caseNo"] is None
    at = (start + timedelta(minutes=26)).isoformat()
    by_time = api.data(query, {"id": str(clue), "at": at})["clueAsOf"]
    assert (by_time["status"], by_time["asOfVersion"], by_time["notices"]) == ("under_verification", 6, [])
    now = api.data(query, {"id": str(clue), "v": 9})["clueAsOf"]
    assert now["status"] == "rectifying" and now["notices"][0]["due"]["dueAt"]
    late = api.data("query($id: ID!) { clueAsOf(id: $id, at: \"2099-01-01\") { status overdue asOfVersion "
                    "notices { due { overdue } } } }", {"id": str(clue)})["clueAsOf"]
    assert late == {"status": "rectifying", "overdue": True, "asOfVersion": 9, "notices": [{"due": {"overdue": True}}]}
    assert api.code(query, {"id": str(clue), "v": 99}) == "VALIDATION_FAILED"
    assert api.code(query, {"id": str(clue)}) == "VALIDATION_FAILED"
    assert api.code(query, {"id": str(clue), "at": (start - timedelta(days=1)).isoformat()}) == "NOT_FOUND"


def test_statistics_equal_svledger_stats(backend_api: Api, database_url: str) -> None:
    api = backend_api
    now = datetime.now(CST)
    story(api.ledger, now.replace(microsecond=0) - timedelta(hours=2))
    receive(api.ledger, now - timedelta(minutes=30))
    api.catch_up()
    day = now.date().isoformat()
    query = "query($y: Int!, $asOf: String) { statistics(period: {year: $y}, asOf: $asOf) { cluesCollected " \
            "casesOpened cluesValid reconsideration { received correctionRate { value fraction } } json } }"
    stats = api.data(query, {"y": now.year, "asOf": day})["statistics"]
    printed = CliRunner().invoke(cli, ["stats", "--year", str(now.year), "--as-of", day, "--json",
                                       "--database-url", database_url])
    assert printed.exit_code == 0, printed.output
    assert stats["json"] == json.loads(printed.stdout)
    assert (stats["cluesCollected"], stats["cluesValid"], stats["casesOpened"]) == (2, 1, 1)
    assert stats["reconsideration"]["correctionRate"] == {"value": "0.00%", "fraction": "0/0"}
    assert api.code("{ statistics(period: {year: 2024, quarter: 9}) { cluesCollected } }") == "VALIDATION_FAILED"


def test_raw_log_and_access_events(backend_api: Api) -> None:
    api = backend_api
    clue = story(api.ledger, datetime.now(CST).replace(microsecond=0) - timedelta(hours=2), steps=3).clue
    api.catch_up()
    log = api.data("{ events(after: 0, first: 2) { position eventType streamId data } }", role="auditor")["events"]
    assert [e["eventType"] for e in log] == ["ClueReceived", "ClueRegistered"]
    assert log[0]["position"] < log[1]["position"] and log[0]["data"]["reporter"]["reporter_token"] == "[sealed]"
    api.data("query($id: ID!) { clue(id: $id) { status } }", {"id": str(clue)}, role="auditor", user="u-aud-7")
    api.services.access.flush()
    viewed = [n for n in api.ledger.notifications(0, 1000) if n.topic.endswith("RecordViewed")]
    entries = [json.loads(n.state)["data"] for n in viewed]
    assert any(e["viewer"]["user_id"] == "u-aud-7" and f"clue:{clue}" in e["resources"] and e["field_classes"] == ["S2"]
               for e in entries)
    later = api.data("query($a: Int!) { events(after: $a) { eventType actor { userId role } } }",
                     {"a": log[-1]["position"]}, role="auditor")["events"]
    assert {"eventType": "RecordViewed", "actor": {"userId": "system_api", "role": "system_api"}} in later
    overdue = api.data('{ overdue(asOf: "2099-01-01") { type streamId overdue dueAt } }')["overdue"]
    assert overdue and all(o["overdue"] for o in overdue) and {o["streamId"] for o in overdue} == {str(clue)}


def test_read_models_follow_appends_without_polling_on_postgresql(database_url: str) -> None:
    """On PostgreSQL the API's projector wakes when the event store notifies an append (LISTEN), not
    at its polling interval (here 60 s, so only the notification can make the clue appear)."""
    if not database_url.startswith("postgres"):
        pytest.skip("LISTEN/NOTIFY: PostgreSQL only (SQLite polls every project_interval)")
    app = create_app(settings_for(database_url, project_interval=60.0, project_max_wait=60.0))
    with TestClient(app) as client:
        api = Api(client)
        time.sleep(0.5)  # the first catch-up done, the projector waits for a notification
        clue = receive(api.ledger, datetime.now(CST) - timedelta(minutes=5))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if [n["id"] for n in api.data("{ clues { nodes { id } } }")["clues"]["nodes"]] == [clue]:
                return
            time.sleep(0.1)
        raise AssertionError("the appended clue was not projected within 10 s")
