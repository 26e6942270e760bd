"""Scenario 10 over HTTP: an approved unseal reveals the phone to its requester through
``revealIdentity``; the reveal is logged (IdentityDisclosed + RecordViewed); nobody else gets it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from domain.identity import identity_stream_id
from infra.sample import CST, STAFF
from infra.vault import Vault
from tests.e2e.commands import SUP1, SUP2, meta, run
from tests.e2e.conftest import Api
from tests.e2e.scenario_helpers import demo_api, demo_template  # noqa: F401 - fixtures
from tests.e2e.test_scenarios_identity import D4_LEAD, unseal_request

REVEAL = ("mutation($t: String!, $r: ID!) { revealIdentity(personToken: $t, requestId: $r, fields: [\"phone\"]) "
          "{ personToken fields } }")
PHONE = "13900139000"


@pytest.fixture
def sealed(demo_api: tuple[Api, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SVLEDGER_VAULT_KEY", str(tmp_path / "vault.key"))
    return Vault(demo_api[0].ledger).seal({"name": "举报人甲", "phone": PHONE}, "reporter", STAFF)


def test_an_approved_request_reveals_the_phone_to_its_requester_only(demo_api: tuple[Api, dict[str, Any]],
                                                                    sealed: str) -> None:
    api, loaded = demo_api
    body, request = unseal_request(api, sealed, loaded["clues"]["D4"])
    variables = {"t": sealed, "r": request}
    role, user, org = D4_LEAD
    assert api.code(REVEAL, variables, role=role, user=user, org=org) == "UNSEAL_WITHOUT_APPROVAL"
    stream = str(identity_stream_id(sealed))
    run(api, "approveUnseal", {"request_id": request},
        meta(datetime.now(CST), body["data"]["requestUnseal"]["version"], stream, approvers=(SUP2,)),
        who=("supervisor", SUP1, "HQ"))
    revealed = api.data(REVEAL, variables, role=role, user=user, org=org)["revealIdentity"]
    assert revealed == {"personToken": sealed, "fields": {"phone": PHONE}}
    assert api.code(REVEAL, variables, role="supervision_staff", user="u-staff-1") == "UNSEAL_WITHOUT_APPROVAL"
    for other in ("discipline_partner", "agency_liaison", "admin"):
        assert api.code(REVEAL, variables, role=other, user=f"u-{other}", org="HQ") == "NOT_AUTHORIZED"
    topics = [n.topic.rsplit(".", 1)[1] for n in api.ledger.notifications(0, 100_000)]
    assert topics[-2:] == ["IdentityDisclosed", "RecordViewed"]
