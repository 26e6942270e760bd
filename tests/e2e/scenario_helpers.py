"""Shared pieces of the domain.md §13 scenario tests: ``demo_2024`` is loaded once per session into a
template SQLite file and copied for each scenario (every scenario starts from a freshly loaded demo),
then served by a real app (Starlette TestClient as a context manager, lifespan running)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from infra.bootstrap import build_ledger
from infra.demo import load_demo
from infra.sample import CST
from tests.e2e.commands import mutation
from tests.e2e.conftest import Api, TestClient, create_app, settings_for


def code_of(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    return body["errors"][0]["extensions"]["code"]


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    path = tmp_path_factory.mktemp("scenario-demo") / "demo.db"
    ledger = build_ledger(f"sqlite:///{path}")
    loaded = load_demo(ledger)
    ledger.close()
    return path, loaded


@contextmanager
def serve_copy(template: Path, target: Path, **settings: Any) -> Iterator[Api]:
    for suffix in ("", "-wal", "-shm"):
        src = Path(str(template) + suffix)
        if src.exists():
            shutil.copy(src, str(target) + suffix)
    with TestClient(create_app(settings_for(f"sqlite:///{target}", **settings))) as client:
        api = Api(client)
        api.catch_up()
        yield api


@pytest.fixture
def demo_api(demo_template: tuple[Path, dict[str, Any]], tmp_path: Path) -> Iterator[tuple[Api, dict[str, Any]]]:
    """A fresh copy of ``demo_2024`` served over HTTP, and what ``load_demo`` returned."""
    template, loaded = demo_template
    with serve_copy(template, tmp_path / "scenario.db") as api:
        yield api, loaded


def recent(count: int, step_minutes: int = 2) -> list[datetime]:
    """Business times in the recent past, oldest first (no backdating needed)."""
    base = datetime.now(CST).replace(microsecond=0) - timedelta(minutes=step_minutes * (count + 2))
    return [base + timedelta(minutes=step_minutes * i) for i in range(count)]


def version_of(api: Api, stream: str) -> int:
    return api.ledger.load(stream).version


__all__ = ["code_of", "demo_api", "demo_template", "mutation", "recent", "serve_copy", "version_of"]
