"""Which streams' events each role reads over ``auditTrail`` (domain.md §9, ``api.policy.STREAM_READING``):
a stream a role may not read is NOT_FOUND, refused exactly like a stream that does not exist; staff read
only their own entries of an access log; supervisors and auditors read every stream type."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from api.config import ApiSettings
from api.policy import STREAM_READING
from domain.access_log import AccessLog
from domain.checkpoint import Checkpoint
from domain.clue import Clue
from domain.identity import Identity
from domain.reconsideration import ReconsiderationCase
from domain.registry import Config, Org, User, config_stream_id
from domain.review_batch import ReviewBatch
from infra.checkpoints import make_checkpoint
from infra.sample import CST, STAFF, SUPERVISOR, doc
from infra.settings import Settings
from tests.e2e.conftest import SECRET, Api, TestClient, create_app
from tests.e2e.story import story
from tests.e2e.test_roles import NA, NF, ROLES, WHO

ADMIN = {"user_id": "u-admin", "role": "admin", "org_id": "HQ"}
OTHER_STAFF = ("supervision_staff", "u-staff-d2", "HQ-D2")
TRAIL = "query($id: ID!) { auditTrail(clueId: $id) { eventType streamId data } }"
MISSING = "00000000-0000-4000-8000-00000000abcd"


def _meta(at: datetime, version: int = 0, stream: str | None = None, approved: bool = False) -> dict[str, Any]:
    m: dict[str, Any] = {"expected_version": version, "idempotency_key": str(uuid4()), "occurred_at": at.isoformat()}
    if stream:
        m["stream_id"] = stream
    if approved:
        m["approvals"] = [{"approver_user_id": SUPERVISOR["user_id"], "approver_role": "supervisor",
                           "decided_at": at.isoformat()}]
    return m


@pytest.fixture(scope="module")
def streams(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, dict[str, str]]]:
    """One stream of each type; the day's access log holds views by u-staff-9 and by the auditor."""
    path = tmp_path_factory.mktemp("stream-access")
    ledger = Settings(database_url=f"sqlite:///{path / 'api.db'}", signing_key=str(path / "signing.key"))
    with TestClient(create_app(ApiSettings.from_env({}, ledger=ledger, jwt_secret=SECRET,
                                                    project_interval=0.2))) as client:
        api = Api(client)
        at = datetime.now(CST).replace(microsecond=0) - timedelta(hours=1)
        ids = {"clue": str(story(api.ledger, at - timedelta(hours=1), "A02").clue)}
        token = "pt_" + "d" * 26
        ids["identity"] = api.ledger.execute("sealIdentity", {
            "person_token": token, "person_role": "reporter", "key_id": "kms-test",
            "vault_record_hash": "ab" * 32}, _meta(at), STAFF)["stream_id"]
        ids["user"] = api.ledger.execute("registerUser", {"user_id": "u-new-1", "display_name": "李四", "org_id": "HQ"},
                                         _meta(at, approved=True), ADMIN)["stream_id"]
        ids["config"] = api.ledger.execute("changeConfig", {"key": "test.stream_access", "value": 1,
                                                            "effective_from": at.date().isoformat()},
                                           _meta(at, stream=str(config_stream_id(api.ledger.settings.bureau)),
                                                 approved=True), ADMIN)["stream_id"]
        ids["org"] = api.ledger.execute("registerOrg", {"org_code": "A77", "name_zh": "A77 执法局",
                                                        "org_type": "municipal_department", "is_supervised": True},
                                        _meta(at), ADMIN)["stream_id"]
        ids["review_batch"] = api.ledger.execute("openReviewBatch", {
            "batch_kind": "case_file_review", "title": "案卷评查", "scope_org_ids": ["A02"], "plan": doc("评查方案"),
            "period_covered": {"start_on": "2025-07-01", "end_on": "2025-12-31"},
            "teams": [{"team_id": str(uuid4()), "leader_position": "组长", "member_user_ids": ["u-staff-1", "u-staff-2"]}]},
            _meta(at, approved=True), STAFF)["stream_id"]
        ids["reconsideration"] = api.ledger.execute("receiveReconsiderationApplication", {
            "applicant_tokens": ["pt_" + "e" * 26], "respondent_org_id": "A02", "received_via": "mail",
            "contested_act": {"act_type": "administrative_penalty", "act_date": "2026-01-05"},
            "application": doc("行政复议申请书")}, _meta(at), STAFF)["stream_id"]
        make_checkpoint(api.ledger)
        ids["checkpoint"] = next(str(n.originator_id) for n in api.ledger.notifications(0, 1000)
                                 if n.topic.endswith("CheckpointRecorded"))
        api.catch_up()
        for who in (WHO["supervision_staff"], WHO["auditor"]):  # both read the clue: two viewers in the log
            role = next(r for r, w in WHO.items() if w == who)
            api.data("query($id: ID!) { clue(id: $id) { id } }", {"id": ids["clue"]}, role=role, user=who[0],
                     org=who[1])
        api.services.access.flush()
        ids["access_log"] = next(str(n.originator_id) for n in api.ledger.notifications(0, 1000)
                                 if n.topic.endswith("RecordViewed"))
        api.catch_up()
        yield api, ids


OK = None
MATRIX = {  # expected refusal per role, in test_roles.ROLES order: staff, supervisor, partner, auditor, liaison, admin
    "clue": (OK, OK, NF, OK, NA, NA),  # not shared with the partner
    "access_log": (OK, OK, NF, OK, NA, NA),  # staff: their own entries only (below)
    "review_batch": (OK, OK, NF, OK, NA, NA),
    "reconsideration": (OK, OK, NF, OK, NA, NA),
    "identity": (NF, OK, NF, OK, NA, NA),
    "user": (NF, OK, NF, OK, NA, NA),
    "config": (NF, OK, NF, OK, NA, NA),
    "org": (NF, OK, NF, OK, NA, NA),
    "checkpoint": (NF, OK, NF, OK, NA, NA),
    "missing": (NF, NF, NF, NF, NA, NA),
}


def trail(api: Api, stream: str, role: str, who: tuple[str, str] | None = None) -> dict[str, Any]:
    user, org = who or WHO[role]
    return api.gql(TRAIL, {"id": stream}, role=role, user=user, org=org)


@pytest.mark.parametrize("kind", list(MATRIX))
def test_stream_type_role_matrix(streams: tuple[Api, dict[str, str]], kind: str) -> None:
    api, ids = streams
    stream = ids.get(kind, MISSING)
    for role, expected in zip(ROLES, MATRIX[kind]):
        body = trail(api, stream, role)
        got = body["errors"][0]["extensions"]["code"] if body.get("errors") else None
        assert got == expected, (kind, role, body)
        if got is None:
            assert body["data"]["auditTrail"], (kind, role)


def viewers(entries: list[dict[str, Any]]) -> set[str]:
    return {e["data"]["viewer"]["user_id"] for e in entries}


def test_staff_read_only_their_own_access_log_entries(streams: tuple[Api, dict[str, str]]) -> None:
    api, ids = streams
    log = ids["access_log"]
    everyone = {WHO["supervision_staff"][0], WHO["auditor"][0]}
    for role in ("supervisor", "auditor"):  # §9 "Access log": bureau, all
        assert viewers(trail(api, log, role)["data"]["auditTrail"]) >= everyone
    own = trail(api, log, "supervision_staff")["data"]["auditTrail"]
    assert own and viewers(own) == {WHO["supervision_staff"][0]}
    assert {e["eventType"] for e in own} <= {"RecordViewed", "RecordExported"}
    assert WHO["auditor"][0] not in json.dumps(own)
    assert trail(api, log, "supervision_staff", OTHER_STAFF[1:])["data"]["auditTrail"] == []  # viewed nothing


def test_a_refused_stream_is_refused_like_a_missing_one(streams: tuple[Api, dict[str, str]]) -> None:
    api, ids = streams
    missing = trail(api, MISSING, "supervision_staff")["errors"][0]
    for kind in ("identity", "user", "config", "org", "checkpoint"):
        refused = trail(api, ids[kind], "supervision_staff")["errors"][0]
        assert refused["extensions"]["code"] == missing["extensions"]["code"] == NF
        assert refused["message"].replace(ids[kind], "?") == missing["message"].replace(MISSING, "?"), kind
    outside = trail(api, ids["clue"], *OTHER_STAFF[:1], OTHER_STAFF[1:])["errors"][0]  # another division's clue
    assert outside["message"].replace(ids["clue"], "?") == missing["message"].replace(MISSING, "?")


def test_clue_reads_of_another_stream_type_do_not_name_its_type(streams: tuple[Api, dict[str, str]]) -> None:
    api, ids = streams
    for query in ("query($id: ID!) { clue(id: $id) { id } }",
                  "query($id: ID!) { clueAsOf(id: $id, version: 1) { id } }"):
        for role in ("supervision_staff", "auditor"):
            body = api.gql(query, {"id": ids["identity"]}, role=role, user=WHO[role][0], org=WHO[role][1])
            error = body["errors"][0]
            assert error["extensions"]["code"] == NF and "Identity" not in error["message"], (role, error)


def test_every_stream_type_has_its_readers() -> None:
    """A new stream type is read by nobody until ``STREAM_READING`` names its readers (domain.md §3, §9)."""
    aggregates = (Clue, ReviewBatch, ReconsiderationCase, Org, User, Config, Identity, AccessLog, Checkpoint)
    assert set(STREAM_READING) == {a.stream_type for a in aggregates}
    assert all("admin" not in readers and "agency_liaison" not in readers for readers in STREAM_READING.values())


def test_reading_an_access_log_is_not_logged_again(streams: tuple[Api, dict[str, str]]) -> None:
    """As for ``events``: a read of the access log recorded in the access log would feed on itself."""
    api, ids = streams
    api.services.access.flush()
    before = len(api.ledger.notifications(0, 10_000))
    for role in ("supervision_staff", "supervisor", "auditor"):
        assert trail(api, ids["access_log"], role)["data"]["auditTrail"]
    assert api.services.access.pending() == 0 and api.services.access.flush() == 0
    assert len(api.ledger.notifications(0, 10_000)) == before
    trail(api, ids["clue"], "auditor")  # a clue read still is
    assert api.services.access.pending() == 1
    assert api.services.access.flush() == 1
