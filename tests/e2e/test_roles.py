"""The role × operation matrix (domain.md §9) over HTTP, and what partners and liaisons see."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from infra.sample import CST, STAFF, SUPERVISOR
from tests.e2e.commands import LIAISON_A02, RECEIVE, doc, meta, send
from tests.e2e.conftest import Api, TestClient, create_app, settings_for
from tests.e2e.story import receive, story

PARTNER_ORG = "hq-jwjw"
WHO = {"supervision_staff": ("u-staff-9", "HQ"), "supervisor": ("u-sup-9", "HQ"),
       "discipline_partner": ("u-jw-1", PARTNER_ORG), "auditor": ("u-aud-1", "HQ"),
       "agency_liaison": ("u-liaison-a02", "A02"), "admin": ("u-admin", "HQ")}
ROLES = tuple(WHO)
NA, NF = "NOT_AUTHORIZED", "NOT_FOUND"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, dict[str, Any]]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('roles') / 'roles.db'}"
    with TestClient(create_app(settings_for(url))) as client:
        api = Api(client)
        start = datetime.now(CST).replace(microsecond=0) - timedelta(hours=3)
        shared = story(api.ledger, start, "A02").clue
        private = story(api.ledger, start + timedelta(minutes=1), "A05")
        api.ledger.execute("grantPartnerShare", {"partner_org_id": PARTNER_ORG, "partner_summary": "A02执法粗暴问题移送材料"},
                           {"stream_id": str(shared), "expected_version": 9, "idempotency_key": str(uuid4()),
                            "occurred_at": (start + timedelta(minutes=50)).isoformat(),
                            "approvals": [{"approver_user_id": SUPERVISOR["user_id"], "approver_role": "supervisor",
                                           "decided_at": start.isoformat()}]}, STAFF)
        api.catch_up()
        yield api, {"shared": str(shared), "private": str(private.clue), "notice_b": private.notice}


OPS: dict[str, tuple[str, dict[str, Any]]] = {
    "clue_shared": ("query($s: ID!) { clue(id: $s) { id status } }", {}),
    "clue_private": ("query($p: ID!) { clue(id: $p) { id status } }", {}),
    "clues": ("{ clues { nodes { id } } }", {}),
    "audit_trail": ("query($s: ID!) { auditTrail(clueId: $s) { eventType } }", {}),
    "clue_as_of": ("query($s: ID!) { clueAsOf(id: $s, version: 2) { status } }", {}),
    "notices": ("{ notices { nodes { id recipientOrgId } } }", {}),
    "overdue": ('{ overdue(asOf: "2099-01-01") { id } }', {}),
    "agencies": ("{ agencies { id } }", {}),
    "board_own": ('{ agencyBoard(agencyId: "A02") { openNotices } }', {}),
    "board_other": ('{ agencyBoard(agencyId: "A05") { openNotices } }', {}),
    "statistics": ("{ statistics(period: {year: 2026}) { cluesCollected } }", {}),
    "review_batches": ("{ reviewBatches { id } }", {}),
    "events": ("{ events(first: 5) { eventType } }", {}),
}
OK = None
MATRIX = {  # expected refusal code per role, in ROLES order (None: allowed)
    "clue_shared": (OK, OK, OK, OK, NA, NA),
    "clue_private": (OK, OK, NF, OK, NA, NA),
    "clues": (OK, OK, OK, OK, NA, NA),
    "audit_trail": (OK, OK, OK, OK, NA, NA),
    "clue_as_of": (OK, OK, OK, OK, NA, NA),
    "notices": (OK, OK, OK, OK, OK, NA),
    "overdue": (OK, OK, NA, OK, OK, NA),
    "agencies": (OK, OK, OK, OK, OK, OK),
    "board_own": (OK, OK, NA, OK, OK, NA),
    "board_other": (OK, OK, NA, OK, NA, NA),
    "statistics": (OK, OK, OK, OK, NA, NA),
    "review_batches": (OK, OK, NA, OK, NA, NA),
    "events": (NA, NA, NA, OK, NA, NA),
    "receive_clue": (OK, OK, NA, NA, NA, NA),
}


def ask(api: Api, ids: dict[str, Any], op: str, role: str) -> dict[str, Any]:
    user, org = WHO[role]
    if op == "receive_clue":
        return send(api, "receiveClue", RECEIVE, meta(datetime.now(CST), 0), who=(role, user, org))
    query, _ = OPS[op]
    variables = {k: v for k, v in (("s", ids["shared"]), ("p", ids["private"])) if f"${k}" in query}
    return api.gql(query, variables, role=role, user=user, org=org)


@pytest.mark.parametrize("op", list(MATRIX))
def test_role_operation_matrix(world: tuple[Api, dict[str, Any]], op: str) -> None:
    api, ids = world
    for role, expected in zip(ROLES, MATRIX[op]):
        body = ask(api, ids, op, role)
        got = body["errors"][0]["extensions"]["code"] if body.get("errors") else None
        assert got == expected, (op, role, body)


def test_partner_sees_shared_clues_redacted_never_reporter(world: tuple[Api, dict[str, Any]]) -> None:
    api, ids = world
    who = {"role": "discipline_partner", "user": "u-jw-1", "org": PARTNER_ORG}
    clue = api.data("query($id: ID!) { clue(id: $id) { summary lead reporter { kind } sharedWith obligations { id } "
                    "notices { recipientOrgId document { storageRef contentHash } } } }", {"id": ids["shared"]},
                    **who)["clue"]
    assert clue["summary"] == "A02执法粗暴问题移送材料" and clue["lead"] is None and clue["reporter"] is None
    assert clue["sharedWith"] == [] and clue["obligations"] == []
    assert clue["notices"][0]["document"]["storageRef"] is None
    listed = api.data("{ clues { nodes { id summary } } }", **who)["clues"]["nodes"]
    assert listed == [{"id": ids["shared"], "summary": "A02执法粗暴问题移送材料"}]
    trail = api.data("query($id: ID!) { auditTrail(clueId: $id) { eventType actor { userId } approvals "
                     "{ approverUserId comment } data correctedData } }", {"id": ids["shared"]}, **who)["auditTrail"]
    types = [e["eventType"] for e in trail]
    assert types == ["FindingRecorded", "RectificationNoticeIssued", "NoticeServed", "PartnerShareGranted"]
    assert all(e["actor"]["userId"].startswith("psn_") for e in trail)
    assert all(a["approverUserId"].startswith("psn_") for e in trail for a in e["approvals"])
    everything = json.dumps([listed, trail, {k: v for k, v in clue.items() if k != "reporter"}], ensure_ascii=False)
    for secret in ("pt_", "reporter", "contactable", "[sealed]", "u-staff-1", "u-sup-1", "dms://", "反映A02执法粗暴"):
        assert secret not in everything, secret
    assert api.data("{ notices { nodes { streamId } } }", **who)["notices"]["nodes"] == [{"streamId": ids["shared"]}]
    counts = api.data("{ agencies { id openNotices clues } }", **who)["agencies"]
    assert {a["id"] for a in counts} == {"A02", "A05"} and all(a["openNotices"] is a["clues"] is None for a in counts)


def test_liaison_sees_only_its_own_agencys_notices(world: tuple[Api, dict[str, Any]]) -> None:
    api, ids = world
    who = {"role": "agency_liaison", "user": "u-liaison-a02", "org": "A02"}
    everyone = api.data("{ notices { nodes { recipientOrgId } } }")["notices"]["nodes"]
    assert sorted(n["recipientOrgId"] for n in everyone) == ["A02", "A05"]
    own = api.data('{ notices(filter: {recipient: "A05"}) { nodes { recipientOrgId issuer docNumber streamId '
                   'streamVersion due { dueAt overdue } } } }', **who)["notices"]["nodes"]
    assert [n["recipientOrgId"] for n in own] == ["A02"] and own[0]["issuer"] == "HQ"
    assert own[0]["streamVersion"] == 10 and own[0]["due"]["dueAt"]
    assert [a["id"] for a in api.data("{ agencies { id } }", **who)["agencies"]] == ["A02"]
    board = api.data('{ agencyBoard(agencyId: "A02") { openNotices notices { recipientOrgId } } }', **who)
    assert board["agencyBoard"]["openNotices"] == 1
    refused = send(api, "reportRectification", {"notice_id": ids["notice_b"], "report": doc("整改报告"),
                                                "completion": "complete", "measures": "整改"},
                   meta(datetime.now(CST), 9, ids["private"]), who=LIAISON_A02)
    assert refused["errors"][0]["extensions"]["code"] == "NOT_AUTHORIZED"


def test_partner_statistics_count_only_the_clues_shared_with_it(world: tuple[Api, dict[str, Any]]) -> None:
    api, ids = world
    year = datetime.now(CST).year
    query = (f"{{ statistics(period: {{year: {year}}}) {{ cluesCollected clueValid: cluesValid casesOpened "
             "workTipLetters reconsideration { received } json } }")
    bureau = api.data(query, role="supervisor", user="u-sup-9")["statistics"]
    partner = api.data(query, role="discipline_partner", user="u-jw-1", org=PARTNER_ORG)["statistics"]
    other = api.data(query, role="discipline_partner", user="u-jw-2", org="other-jw")["statistics"]
    assert bureau["cluesCollected"] >= 2 and bureau["casesOpened"] == 2  # the shared and the private story (and
    # the clues the matrix receives)
    assert (partner["cluesCollected"], partner["clueValid"], partner["casesOpened"]) == (1, 1, 1)
    assert partner["json"]["funnel"]["notices"] == 1 and bureau["json"]["funnel"]["notices"] == 2
    assert partner["json"]["funnel"]["received_by_channel"] == {"hotline_12345": 1}
    assert (other["cluesCollected"], other["json"]["funnel"]["notices"]) == (0, 0)  # nothing shared with it
    assert partner["json"].keys() == bureau["json"].keys()


def test_shared_clue_statistics_over_every_stream_are_the_bureau_statistics(world: tuple[Api, dict[str, Any]]) -> None:
    from api.reads.stats import stream_statistics
    from projections.periods import period
    from projections.statistics import statistics

    api, _ = world
    span = period(datetime.now(CST).year)
    with api.services.reads.connection() as db:
        every = {r["stream_id"] for r in db.dicts("SELECT DISTINCT stream_id FROM facts")}
        assert len(every) >= 2
        assert stream_statistics(db, span, every, bureau="HQ") == statistics(db, span, bureau="HQ")
        assert stream_statistics(db, span, set(), bureau="HQ")["clues_collected"] == 0


DIVISION = ("supervision_staff", "u-staff-d2", "HQ-D2")  # a member of staff of another division
CLUE_READS = {
    "clue": "query($id: ID!) { clue(id: $id) { id } }",
    "clueAsOf": "query($id: ID!) { clueAsOf(id: $id, version: 1) { id } }",
    "auditTrail": "query($id: ID!) { auditTrail(clueId: $id) { eventType } }",
}


def reads_of(api: Api, who: tuple[str, str, str], clue: str) -> dict[str, str | None]:
    """Each clue read of ``clue`` by ``who``: None if answered, else the refusal's code."""
    role, user, org = who
    out: dict[str, str | None] = {}
    for name, query in CLUE_READS.items():
        body = api.gql(query, {"id": clue}, role=role, user=user, org=org)
        out[name] = body["errors"][0]["extensions"]["code"] if body.get("errors") else None
    listed = api.data("{ clues(first: 100) { nodes { id overdue } } }", role=role, user=user, org=org)
    out["clues"] = None if clue in [n["id"] for n in listed["clues"]["nodes"]] else NF
    return out


def test_staff_read_their_divisions_clues_and_those_assigned_to_them(backend_api: Api) -> None:
    api = backend_api
    start = datetime.now(CST).replace(microsecond=0) - timedelta(hours=1)
    hq = receive(api.ledger, start)  # recorded by u-staff-1 of HQ
    d2 = api.ledger.execute("receiveClue", {**RECEIVE, "subject_agency_ids": ["A05"]},
                            {"expected_version": 0, "idempotency_key": str(uuid4()),
                             "occurred_at": (start + timedelta(minutes=1)).isoformat()},
                            {"user_id": DIVISION[1], "role": DIVISION[0], "org_id": DIVISION[2]})["stream_id"]
    api.catch_up()
    seen, unseen = dict.fromkeys((*CLUE_READS, "clues")), dict.fromkeys((*CLUE_READS, "clues"), NF)
    hq_staff = ("supervision_staff", "u-staff-9", "HQ")
    assert reads_of(api, DIVISION, d2) == seen and reads_of(api, DIVISION, hq) == unseen
    assert reads_of(api, hq_staff, hq) == seen and reads_of(api, hq_staff, d2) == unseen
    for who in (("supervisor", "u-sup-9", "HQ"), ("auditor", "u-aud-1", "HQ")):  # the bureau, everything
        assert reads_of(api, who, hq) == seen and reads_of(api, who, d2) == seen
    assignment = str(uuid4())
    assigned = api.ledger.execute("assignClue", {"assignment_id": assignment, "assignee_user_id": DIVISION[1],
                                                 "role_on_clue": "assistant"},
                                  {"stream_id": hq, "expected_version": 1, "idempotency_key": str(uuid4()),
                                   "occurred_at": (start + timedelta(minutes=2)).isoformat()}, SUPERVISOR)
    api.catch_up()
    assert reads_of(api, DIVISION, hq) == seen  # pending: the assignee reads it to accept or decline
    api.ledger.execute("declineAssignment", {"assignment_id": assignment, "reason": "workload"},
                       {"stream_id": hq, "expected_version": assigned["version"], "idempotency_key": str(uuid4()),
                        "occurred_at": (start + timedelta(minutes=3)).isoformat()},
                       {"user_id": DIVISION[1], "role": DIVISION[0], "org_id": DIVISION[2]})
    api.catch_up()
    assert reads_of(api, DIVISION, hq) == unseen  # declined: no longer assigned
    assert reads_of(api, hq_staff, hq) == seen
