"""The API over real HTTP: Starlette's TestClient as a context manager (the lifespan runs: services are
built, the projector and the access-log flusher run in the background), one fresh database per test."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's notice about httpx (the client works the same)
    from starlette.testclient import TestClient

from api.app import create_app
from api.auth import issue_token
from api.config import ApiSettings
from infra.sample import CST
from infra.settings import Settings

SECRET = "e2e-test-secret-" + "k" * 32


class Api:
    """A client of one app: ``gql`` posts a document with a role's token and returns the JSON body."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.services = client.app.state.services  # type: ignore[attr-defined]
        self.ledger = self.services.ledger

    def token(self, role: str, user: str | None = None, org: str = "HQ", ttl: int = 600) -> str:
        return issue_token(self.services.keys, role, user or f"u-{role}", org, ttl)

    def headers(self, role: str | None, user: str | None = None, org: str = "HQ") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, user, org)}"} if role else {}

    def post(self, query: str, variables: dict[str, Any] | None = None, *, role: str | None = "supervision_staff",
             user: str | None = None, org: str = "HQ") -> Any:
        return self.client.post("/graphql", json={"query": query, "variables": variables or {}},
                                headers=self.headers(role, user, org))

    def gql(self, query: str, variables: dict[str, Any] | None = None, **who: Any) -> dict[str, Any]:
        response = self.post(query, variables, **who)
        assert response.status_code == 200, response.text
        return response.json()

    def data(self, query: str, variables: dict[str, Any] | None = None, **who: Any) -> dict[str, Any]:
        body = self.gql(query, variables, **who)
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def code(self, query: str, variables: dict[str, Any] | None = None, **who: Any) -> str:
        body = self.gql(query, variables, **who)
        assert body.get("errors"), body
        return body["errors"][0]["extensions"]["code"]

    def catch_up(self) -> None:
        self.services.catch_up()


def settings_for(url: str, **overrides: Any) -> ApiSettings:
    return ApiSettings.from_env({}, ledger=Settings(database_url=url), jwt_secret=SECRET,
                                **{"project_interval": 0.2, **overrides})


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path / 'api.db'}"


@pytest.fixture
def api(sqlite_url: str) -> Iterator[Api]:
    with TestClient(create_app(settings_for(sqlite_url))) as client:
        yield Api(client)


@pytest.fixture
def backend_api(database_url: str) -> Iterator[Api]:
    """The API on each backend of ``tests/conftest.py`` (SQLite and PostgreSQL)."""
    with TestClient(create_app(settings_for(database_url))) as client:
        yield Api(client)


def moments(count: int, start: datetime | None = None, step_minutes: int = 3) -> list[datetime]:
    """Business times in the recent past (no backdating needed), oldest first."""
    base = start or datetime.now(CST).replace(microsecond=0) - timedelta(hours=2)
    return [base + timedelta(minutes=step_minutes * i) for i in range(count)]
