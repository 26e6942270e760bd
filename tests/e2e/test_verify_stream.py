"""``verifyStream(streamId)`` over HTTP: auditors and supervisors get the per-check report of domain.md §10,
other roles NOT_AUTHORIZED."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from infra.checkpoints import make_checkpoint
from infra.sample import CST, record_sample_clue
from infra.settings import Settings
from api.config import ApiSettings
from tests.e2e.conftest import SECRET, Api, TestClient, create_app

QUERY = """query($id: ID!) { verifyStream(streamId: $id) {
  streamId streamType ok events notYetCheckpointed checkpointedVersions
  checkpoint { seq treeSize toPosition merkleRoot signerKeyId signedAt }
  checks { check name ok detail firstBadVersion } } }"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, str, str]]:
    path = tmp_path_factory.mktemp("verify")
    ledger = Settings(database_url=f"sqlite:///{path / 'api.db'}", signing_key=str(path / "signing.key"))
    settings = ApiSettings.from_env({}, ledger=ledger, jwt_secret=SECRET, project_interval=0.2)
    with TestClient(create_app(settings)) as client:
        api = Api(client)
        start = datetime.now(CST).replace(microsecond=0) - timedelta(hours=5)
        clue = record_sample_clue(api.ledger, start=start)
        make_checkpoint(api.ledger)
        later = record_sample_clue(api.ledger, start=start + timedelta(seconds=1))
        yield api, str(clue), str(later)


@pytest.mark.parametrize("role", ["auditor", "supervisor"])
def test_auditors_and_supervisors_get_the_report(world: tuple[Api, str, str], role: str) -> None:
    api, clue, later = world
    report = api.data(QUERY, {"id": clue}, role=role)["verifyStream"]
    assert report["ok"] is True and report["streamId"] == clue and report["streamType"] == "Clue"
    assert report["events"] == 13 and report["checkpointedVersions"] == list(range(1, 14))
    assert report["checkpoint"]["seq"] == 1 and report["checkpoint"]["treeSize"] == 13
    checks: dict[int, Any] = {c["check"]: c for c in report["checks"]}
    assert sorted(checks) == list(range(1, 9))
    assert [checks[n]["ok"] for n in range(1, 9)] == [True, True, True, True, None, True, True, None]
    assert all(c["firstBadVersion"] is None for c in checks.values())

    pending = api.data(QUERY, {"id": later}, role=role)["verifyStream"]
    assert pending["ok"] is True and pending["notYetCheckpointed"] == list(range(1, 14))


@pytest.mark.parametrize("role", ["supervision_staff", "agency_liaison", "admin", "discipline_partner"])
def test_other_roles_are_not_authorized(world: tuple[Api, str, str], role: str) -> None:
    api, clue, _ = world
    assert api.code(QUERY, {"id": clue}, role=role) == "NOT_AUTHORIZED"


def test_an_unknown_or_malformed_stream(world: tuple[Api, str, str]) -> None:
    api, _, _ = world
    assert api.code(QUERY, {"id": str(uuid4())}, role="auditor") == "NOT_FOUND"
    assert api.code(QUERY, {"id": "not-a-uuid"}, role="auditor") == "VALIDATION_FAILED"
    assert api.post(QUERY, {"id": str(uuid4())}, role=None).json()["errors"]
