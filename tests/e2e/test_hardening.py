"""Hostile or clumsy requests get a 4xx or a 200 with coded errors, never a 5xx or a traceback; limits
on depth, complexity, page size and body size; tokens; health endpoints and metrics."""

from __future__ import annotations

import json
import time
from datetime import datetime

import jwt
import pytest

from infra.sample import CST, record_sample_clue
from tests.e2e.commands import RECEIVE, meta, mutation, send
from tests.e2e.conftest import SECRET, Api

CLUE = "query($id: ID!) { clue(id: $id) { id status } }"


def test_tokens_are_required_and_checked(api: Api) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Basic dTpw"},
                    {"Authorization": "Bearer " + jwt.encode({"sub": "u", "role": "admin", "org": "HQ"}, "x" * 40)}):
        r = api.client.post("/graphql", json={"query": "{ agencies { id } }"}, headers=headers)
        assert r.status_code == 401 and r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert r.headers["www-authenticate"].startswith("Bearer")
    expired = api.token("auditor", ttl=-120)
    r = api.client.post("/graphql", json={"query": "{ agencies { id } }"}, headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and "expired" in r.json()["errors"][0]["message"]
    forged = jwt.encode({"sub": "u", "role": "supervisor", "org": "HQ", "exp": 9_999_999_999, "iss": "svledger",
                         "aud": "svledger-api"}, "another-secret-" + "z" * 32, algorithm="HS256")
    assert api.client.post("/graphql", json={"query": "{ agencies { id } }"},
                           headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    page = api.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    assert SECRET not in page.text


@pytest.mark.parametrize("body, content_type", [
    (b"{not json", "application/json"),
    (b'{"variables": {}}', "application/json"),
    (b'"just a string"', "application/json"),
    (b'{"query": "{ agencies { id } }", "variables": "oops"}', "application/json"),
])
def test_malformed_bodies_are_4xx(api: Api, body: bytes, content_type: str) -> None:
    r = api.client.post("/graphql", content=body, headers={**api.headers("auditor"), "Content-Type": content_type})
    assert 400 <= r.status_code < 500, (r.status_code, r.text)


@pytest.mark.parametrize("query, variables, code", [
    ("{ agencies { id ", {}, "GRAPHQL_PARSE_FAILED"),
    ("{ nothingHere }", {}, "GRAPHQL_VALIDATION_FAILED"),
    (CLUE, {}, "BAD_USER_INPUT"),
    (CLUE, {"id": {"nested": True}}, "BAD_USER_INPUT"),
    (CLUE, {"id": "not-a-uuid"}, "VALIDATION_FAILED"),
    (CLUE, {"id": "00000000-0000-4000-8000-000000000000"}, "NOT_FOUND"),
    ("{ clues(first: 101) { nodes { id } } }", {}, "VALIDATION_FAILED"),
    ("{ clues(first: 0) { nodes { id } } }", {}, "VALIDATION_FAILED"),
    ('{ clues(after: "garbage") { nodes { id } } }', {}, "VALIDATION_FAILED"),
    ('{ auditTrail(clueId: "00000000-0000-4000-8000-000000000000", asOf: "yesterday") { version } }', {},
     "VALIDATION_FAILED"),
    (mutation("receiveClue"), {"input": "not an object", "meta": {"expectedVersion": 0, "idempotencyKey": "k",
                                                                   "occurredAt": "2024-01-01T00:00:00+08:00"}},
     "VALIDATION_FAILED"),
    (mutation("receiveClue"), {"input": {}, "meta": {"idempotencyKey": "k"}}, "BAD_USER_INPUT"),
    (mutation("receiveClue"), {"input": {}, "meta": {"expectedVersion": 0, "idempotencyKey": "k",
                                                      "occurredAt": "tomorrow"}}, "BAD_USER_INPUT"),
    (mutation("updateClue"), {}, "HISTORY_IMMUTABLE"),
    (mutation("frobnicateClue"), {}, "GRAPHQL_VALIDATION_FAILED"),
])
def test_bad_documents_and_variables_are_coded_errors(api: Api, query: str, variables: dict, code: str) -> None:
    r = api.post(query, variables)
    assert r.status_code < 500, r.text
    body = r.json()
    assert body["errors"][0]["extensions"]["code"] == code, body
    assert "Traceback" not in r.text


def test_domain_refusals_are_never_500(api: Api) -> None:
    naive = {**meta(datetime.now(CST), 0), "occurredAt": "2024-01-01T08:00:00"}
    for m, code in ((naive, "VALIDATION_FAILED"), (meta(datetime(2099, 1, 1, tzinfo=CST), 0), "FUTURE_OCCURRED_AT"),
                    (meta(datetime(2020, 1, 1, tzinfo=CST), 0), "BACKDATE_REASON_REQUIRED")):
        body = send(api, "receiveClue", RECEIVE, m)
        assert body["errors"][0]["extensions"]["code"] == code
    pii = {**RECEIVE, "summary": "举报人电话 13912345678"}
    assert send(api, "receiveClue", pii, meta(datetime.now(CST), 0))["errors"][0]["extensions"]["code"] == \
        "PII_IN_PAYLOAD"


def test_unexpected_errors_are_masked(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret-internal-detail at /srv/db")

    monkeypatch.setattr(api.services.reads, "dicts", broken)
    r = api.post("{ clues { nodes { id } } }")
    assert r.status_code == 200
    error = r.json()["errors"][0]
    assert error == {"message": "Internal error", "locations": error["locations"], "path": ["clues"],
                     "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
    assert "secret-internal-detail" not in r.text


def test_limits_on_depth_complexity_aliases_and_body(api: Api) -> None:
    deep = "query($id: ID!) { auditTrail(clueId: $id) { " + "target { correctedBy { " * 5 + "version" + " } }" * 5 + " } }"
    assert api.code(deep, {"id": "00000000-0000-4000-8000-000000000000"}) == "QUERY_TOO_DEEP"
    wide = "{ " + " ".join(f"c{i}: clues(first: 100) {{ nodes {{ id status notices {{ id status }} }} }}"
                           for i in range(10)) + " }"
    assert api.code(wide) == "QUERY_TOO_COMPLEX"
    aliases = "{ " + " ".join(f"a{i}: agencies {{ id }}" for i in range(40)) + " }"
    assert api.code(aliases) == "QUERY_TOO_COMPLEX"
    big = {"query": "{ agencies { id } }", "variables": {"pad": "x" * (600 * 1024)}}
    r = api.client.post("/graphql", json=big, headers=api.headers("auditor"))
    assert r.status_code == 413 and r.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    chunked = api.client.post("/graphql", content=iter([b'{"query": "', b"x" * (600 * 1024), b'"}']),
                              headers=api.headers("auditor"))
    assert chunked.status_code == 413
    r = api.client.get("/graphql", params={"query": mutation("receiveClue")}, headers=api.headers("supervisor"))
    assert 400 <= r.status_code < 500


def test_get_queries_health_and_metrics(api: Api) -> None:
    clue = record_sample_clue(api.ledger)
    api.catch_up()
    r = api.client.get("/graphql", params={"query": CLUE, "variables": json.dumps({"id": str(clue)})},
                       headers=api.headers("supervisor"))
    assert r.status_code == 200 and r.json()["data"]["clue"]["status"] == "closed"
    assert api.client.get("/healthz").json() == {"status": "ok"}
    ready = api.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"
    assert ready.json()["projection_lag"]["events"] == 0
    send(api, "receiveClue", RECEIVE, meta(datetime.now(CST), 0))
    api.catch_up()
    text = api.client.get("/metrics").text
    assert 'svledger_events_appended_total{stream_type="Clue"} 1.0' in text
    assert 'svledger_projection_lag_events{read_model="clue_list"} 0.0' in text
    assert 'svledger_http_request_duration_seconds_count{method="POST",path="/graphql",status="200"}' in text


def test_documents_are_parsed_and_validated_once_and_limits_still_hold(api: Api) -> None:
    documents = api.client.app.state.schema.documents  # type: ignore[attr-defined]
    clue = record_sample_clue(api.ledger)
    api.catch_up()
    trail = "query($id: ID!) { auditTrail(clueId: $id) { version eventType } }"
    first = api.data(trail, {"id": str(clue)}, role="auditor")["auditTrail"]
    parsed, validated = documents.parsed, documents.validated
    for role in ("auditor", "supervisor", "supervision_staff"):
        assert api.data(trail, {"id": str(clue)}, role=role)["auditTrail"] == first
    assert (documents.parsed, documents.validated) == (parsed, validated)  # cache hits, whoever asks
    deep = "query($id: ID!) { auditTrail(clueId: $id) { " + "target { correctedBy { " * 5 + "version" + " } }" * 5 + " } }"
    wide = "{ " + " ".join(f"c{i}: clues(first: 100) {{ nodes {{ id status notices {{ id status }} }} }}"
                           for i in range(10)) + " }"
    aliases = "{ " + " ".join(f"a{i}: agencies {{ id }}" for i in range(40)) + " }"
    for _ in range(2):  # the second time from the cache: refused all the same
        assert api.code(deep, {"id": str(clue)}) == "QUERY_TOO_DEEP"
        assert api.code(wide) == "QUERY_TOO_COMPLEX"
        assert api.code(aliases) == "QUERY_TOO_COMPLEX"
        assert api.code("{ agencies { id ") == "GRAPHQL_PARSE_FAILED"
        assert api.code("{ " + "agencies { id } " * 2000 + "}") == "QUERY_TOO_COMPLEX"  # max tokens
    assert documents.validated == validated + 3


def test_a_token_verified_before_is_refused_once_it_expires(api: Api) -> None:
    token = api.token("auditor", ttl=2)
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(2):  # the second time from the verified tokens
        assert api.client.post("/graphql", json={"query": "{ agencies { id } }"}, headers=headers).status_code == 200
    time.sleep(2.1)
    r = api.client.post("/graphql", json={"query": "{ agencies { id } }"}, headers=headers)
    assert r.status_code == 401 and "expired" in r.json()["errors"][0]["message"]
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert api.client.post("/graphql", json={"query": "{ agencies { id } }"},
                           headers={"Authorization": f"Bearer {tampered}"}).status_code == 401
