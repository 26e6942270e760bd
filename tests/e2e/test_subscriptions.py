"""Subscriptions over ``graphql-transport-ws``: a new event reaches ``clueEvents`` and ``events``;
tokens come in ``connection_init``; refusals are coded errors."""

from __future__ import annotations

import faulthandler
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

from infra.sample import CST, record_sample_clue
from tests.e2e.commands import meta, run
from tests.e2e.conftest import Api

PROTOCOL = ["graphql-transport-ws"]
CLUE_EVENTS = "subscription($id: ID!) { clueEvents(clueId: $id) { eventType version actor { userId } data } }"


@pytest.fixture(autouse=True)
def watchdog() -> Iterator[None]:
    """A lost message must fail the run, not hang it."""
    faulthandler.dump_traceback_later(60, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def connect(ws: Any, token: str) -> dict[str, Any]:
    ws.send_json({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
    return ws.receive_json()


def share(api: Api, clue: str, version: int, org: str = "hq-jwjw") -> dict[str, Any]:
    return run(api, "grantPartnerShare", {"partner_org_id": org, "partner_summary": "移送材料摘要"},
               meta(datetime.now(CST), version, clue, approvers=("u-sup-1",)))


def test_clue_events_receive_a_new_event(api: Api) -> None:
    clue = str(record_sample_clue(api.ledger))
    with api.client.websocket_connect("/graphql", subprotocols=PROTOCOL) as ws:
        assert connect(ws, api.token("supervisor"))["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": CLUE_EVENTS, "variables": {"id": clue}}})
        recorded = share(api, clue, 13)
        message = ws.receive_json()
        assert message["type"] == "next" and message["id"] == "1"
        event = message["payload"]["data"]["clueEvents"]
        assert (event["eventType"], event["version"]) == ("PartnerShareGranted", recorded["version"])
        assert event["actor"] == {"userId": "u-staff-1"}  # the token's user (the staff default of the tests)
        ws.send_json({"id": "1", "type": "complete"})


def test_partner_subscription_is_redacted_and_auditor_follows_the_log(api: Api) -> None:
    clue = str(record_sample_clue(api.ledger))
    share(api, clue, 13)
    head = api.ledger.recorder.max_notification_id()
    with api.client.websocket_connect("/graphql", subprotocols=PROTOCOL) as partner, \
            api.client.websocket_connect("/graphql", subprotocols=PROTOCOL) as auditor:
        assert connect(partner, api.token("discipline_partner", org="hq-jwjw"))["type"] == "connection_ack"
        assert connect(auditor, api.token("auditor"))["type"] == "connection_ack"
        partner.send_json({"id": "p", "type": "subscribe", "payload": {"query": CLUE_EVENTS, "variables": {"id": clue}}})
        auditor.send_json({"id": "a", "type": "subscribe", "payload": {
            "query": "subscription($after: Int!) { events(after: $after) { position eventType streamId } }",
            "variables": {"after": head}}})
        run(api, "revokePartnerShare", {"partner_org_id": "hq-jwjw", "reason": "移送完毕"},
            meta(datetime.now(CST), 14, clue, approvers=("u-sup-1",)), who=("supervisor", "u-sup-2", "HQ"))
        seen = partner.receive_json()["payload"]["data"]["clueEvents"]
        assert seen["eventType"] == "PartnerShareRevoked" and seen["actor"]["userId"].startswith("psn_")
        logged = auditor.receive_json()["payload"]["data"]["events"]
        assert (logged["eventType"], logged["streamId"], logged["position"] > head) == ("PartnerShareRevoked", clue, True)


def test_refused_subscriptions(api: Api) -> None:
    clue = str(record_sample_clue(api.ledger))
    with api.client.websocket_connect("/graphql", subprotocols=PROTOCOL) as ws:
        ws.send_json({"type": "connection_init", "payload": {"Authorization": "Bearer forged"}})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4403
    with api.client.websocket_connect("/graphql", subprotocols=PROTOCOL) as ws:
        assert connect(ws, api.token("agency_liaison", org="A02"))["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": CLUE_EVENTS, "variables": {"id": clue}}})
        refused = ws.receive_json()
        assert refused["type"] in ("error", "next"), refused
        errors = refused["payload"] if refused["type"] == "error" else refused["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "NOT_AUTHORIZED"
        ws.send_json({"id": "2", "type": "subscribe", "payload": {
            "query": "subscription { events(after: 0) { position } }"}})
        refused = ws.receive_json()
        while refused.get("id") != "2":  # the first operation's "complete"
            refused = ws.receive_json()
        errors = refused["payload"] if refused["type"] == "error" else refused["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "NOT_AUTHORIZED"
