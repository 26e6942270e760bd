"""The ``svledger`` CLI end to end on SQLite and PostgreSQL: init, a clue from received to closed through
``record``, ``history`` (table and JSON), ``events``, refusals with their codes, and ``sample``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from click.testing import Result
from typer.testing import CliRunner

from infra import cli
from infra.cli import app
from infra.ledger import Ledger
from infra.settings import Settings

CST = timezone(timedelta(hours=8))
STAFF = "u-staff-1:supervision_staff:HQ"
LIAISON = {"user_id": "u-liaison-a02", "role": "agency_liaison", "org_id": "A02"}
SVLEDGER = str(Path(sys.executable).with_name("svledger"))
SUP1 = {"approver_user_id": "u-sup-1", "approver_role": "supervisor", "decided_at": "2024-01-01T09:00:00+08:00"}
SUP2 = {**SUP1, "approver_user_id": "u-sup-2"}
LABELS = ["收到线索", "登记", "回执", "筛查", "立案", "核查", "认定", "制发文书", "送达", "整改报告", "整改核验",
          "办结", "答复反馈"]
Run = Callable[..., Result]


def doc(name: str, number: str | None = None) -> dict[str, Any]:
    ref = {"doc_id": uuid4().hex[:16], "name": name, "doc_type": "document", "content_hash": "ab" * 32,
           "size_bytes": 1024, "mime": "application/pdf", "storage_ref": "dms://x", "sensitivity": "S1"}
    return {**ref, "doc_number": number} if number else ref


@pytest.fixture
def run(database_url: str) -> Iterator[Run]:
    """``run("record", "registerClue", ...)``: one in-process CLI call; its ledgers are closed afterwards."""
    built: list[Ledger] = []
    original = cli.build_ledger

    def tracking(url: str | None = None, settings: Settings | None = None) -> Ledger:
        built.append(original(url, settings))
        return built[-1]

    cli.build_ledger = tracking
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None) -> Result:
        try:
            return runner.invoke(app, [*args, "--database-url", database_url], input=stdin)
        finally:
            while built:
                built.pop().close()

    try:
        yield invoke
    finally:
        cli.build_ledger = original


@pytest.fixture
def count(database_url: str) -> Callable[[], int]:
    def events() -> int:
        ledger = Ledger(Settings(database_url=database_url))
        try:
            return len(ledger.notifications(limit=10_000))
        finally:
            ledger.close()
    return events


class Clue:
    """Records one clue through ``svledger record``, tracking its version from the printed JSON."""

    def __init__(self, run: Run, tmp: Path) -> None:
        self.run, self.tmp, self.stream, self.version, self.n = run, tmp, None, 0, 0
        self.when = datetime.now(CST).replace(microsecond=0) - timedelta(hours=3)

    def body(self, input: dict[str, Any], approvals: tuple[dict[str, Any], ...] = (), **extra: Any) -> dict[str, Any]:
        self.n += 1
        meta = {"expected_version": self.version, "idempotency_key": f"cli-{uuid4().hex}",
                "occurred_at": (self.when + timedelta(minutes=5 * self.n)).isoformat(), "approvals": list(approvals)}
        if self.stream:
            meta["stream_id"] = self.stream
        return {"input": input, "meta": meta, **extra}

    def record(self, command: str, body: dict[str, Any], *, actor: str | None = STAFF) -> Result:
        path = self.tmp / f"{self.n:02d}-{command}.json"
        path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        return self.run("record", command, "--json", str(path), *(["--actor", actor] if actor else []))

    def step(self, command: str, input: dict[str, Any], *approvals: dict[str, Any], **kw: Any) -> dict[str, Any]:
        result = self.record(command, self.body(input, approvals, **kw.pop("extra", {})), **kw)
        assert result.exit_code == 0, result.output
        printed = json.loads(result.stdout)
        self.stream = printed["stream_id"]
        self.version = max(e["version"] for e in printed["events"] if e["stream_id"] == self.stream)
        assert printed["version"] == self.version and printed["event_id"]
        return printed


def record_to_closure(clue: Clue) -> None:
    number = f"汉司监整〔2024〕{uuid4().hex[:6]}号"
    notice = str(uuid4())
    clue.step("receiveClue", {"channel": "hotline_12345", "summary": "城管执法人员在夜市整治中态度粗暴",
                              "subject_agency_ids": ["A02"],
                              "reporter": {"kind": "named", "contactable": True, "reporter_token": "pt_" + "c" * 26}})
    clue.step("registerClue", {})
    clue.step("acknowledgeReceipt", {"method": "platform", "recipient": "hotline_platform"})
    clue.step("screenClue", {"outcome": "valid", "reason_code": "other", "reason": "属于监督范围"})
    clue.step("openSupervisionCase", {"case_kind": "individual", "lead_user_id": "u-staff-2"}, SUP1)
    clue.step("startVerification", {"methods": ["site_visit"], "team_user_ids": ["u-staff-1"]})
    clue.step("recordFinding", {"finding_id": str(uuid4()), "conclusion": "substantiated",
                                "problem_categories": ["rough"], "responsible_agency_ids": ["A02"],
                                "summary": "执法过程简单粗暴"}, SUP1)
    clue.step("issueNotice", {"notice_id": notice, "notice_type": "rectification_notice", "doc_number": number,
                              "recipient_org_id": "A02", "requirements": "立即纠正",
                              "document": doc("整改通知书", number)}, SUP1)
    clue.step("serveNotice", {"notice_id": notice, "method": "direct", "service_receipt": doc("送达回证")})
    clue.step("reportRectification", {"notice_id": notice, "report": doc("整改报告"), "completion": "complete",
                                      "measures": "开展培训"}, actor=None, extra={"actor": LIAISON})
    clue.step("verifyRectification", {"notice_id": notice, "result": "accepted", "method": "site_check",
                                      "reasons": "整改到位"}, SUP1)
    clue.step("closeClue", {"closure_type": "rectified", "closure_reason": "整改到位",
                            "closure_report": doc("办结报告")}, SUP2)
    clue.step("sendReporterFeedback", {"feedback_kind": "result", "recipient": "hotline_platform",
                                       "method": "platform", "delivery": "delivered"})


def test_a_clue_from_received_to_closed_through_the_cli(run: Run, tmp_path: Path) -> None:
    init = run("init")
    assert init.exit_code == 0 and "event store ready" in init.stdout
    clue = Clue(run, tmp_path)
    record_to_closure(clue)
    assert clue.version == len(LABELS)
    table = run("history", clue.stream)
    assert table.exit_code == 0, table.output
    positions = [table.stdout.index(label) for label in LABELS]
    assert positions == sorted(positions), "every step, in order, with its Chinese label"
    assert "ClueClosed" in table.stdout and "closure_type=rectified" in table.stdout
    lines = run("history", clue.stream, "--json").stdout.splitlines()
    events = [json.loads(line) for line in lines]
    assert [e["version"] for e in events] == list(range(1, len(LABELS) + 1))
    assert events[0]["event_type"] == "ClueReceived" and events[-1]["event_type"] == "ReporterFeedbackSent"
    assert {e["stream_id"] for e in events} == {clue.stream}
    assert events[11]["data"]["closure_type"] == "rectified" and events[11]["meta"]["approvals"][0]["approver_user_id"]
    assert events[9]["meta"]["actor"]["role"] == "agency_liaison"


def test_events_prints_json_lines_with_increasing_positions(run: Run, tmp_path: Path) -> None:
    record_to_closure(Clue(run, tmp_path))
    first = [json.loads(line) for line in run("events", "--after", "0", "--limit", "5").stdout.splitlines()]
    assert len(first) == 5
    positions = [e["position"] for e in first]
    assert positions == sorted(set(positions)) and positions[0] >= 1
    assert first[0]["event_type"] == "ClueReceived" and first[0]["version"] == 1
    rest = [json.loads(line) for line in run("events", "--after", str(positions[-1]), "--limit", "100").stdout
            .splitlines()]
    assert len(first) + len(rest) == len(LABELS)
    assert all(e["position"] > positions[-1] for e in rest)
    assert [e["version"] for e in first + rest] == list(range(1, len(LABELS) + 1))


def refused(result: Result, code: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.startswith(f"{code}:"), result.stderr


def test_refused_commands_print_their_code_exit_2_and_write_nothing(run: Run, tmp_path: Path,
                                                                     count: Callable[[], int]) -> None:
    clue = Clue(run, tmp_path)
    clue.step("receiveClue", {"channel": "online_platform", "summary": "乱罚款", "subject_agency_ids": [],
                              "reporter": {"kind": "anonymous", "contactable": False}})
    clue.step("registerClue", {})
    before = count()
    stale = clue.body({"method": "sms", "recipient": "hotline_platform"})
    stale["meta"]["expected_version"] = 1
    refused(clue.record("acknowledgeReceipt", stale), "STALE_VERSION")
    bad = tmp_path / "bad.json"
    bad.write_text('{"input": {"channel": ', encoding="utf-8")
    refused(run("record", "receiveClue", "--json", str(bad), "--actor", STAFF), "VALIDATION_FAILED")
    bad.write_text("[1, 2]", encoding="utf-8")
    refused(run("record", "receiveClue", "--json", str(bad), "--actor", STAFF), "VALIDATION_FAILED")
    refused(clue.record("screenClue", clue.body({"outcome": "maybe"})), "VALIDATION_FAILED")
    refused(clue.record("frobnicateClue", clue.body({})), "UNKNOWN_COMMAND")
    refused(clue.record("updateClue", clue.body({"summary": "改写"})), "HISTORY_IMMUTABLE")
    refused(clue.record("deleteClue", clue.body({})), "HISTORY_IMMUTABLE")
    refused(clue.record("openSupervisionCase", clue.body({"case_kind": "individual", "lead_user_id": "u-staff-2"})),
            "INVALID_TRANSITION")
    refused(run("history", str(uuid4())), "NOT_FOUND")
    assert count() == before


def test_a_repeated_command_returns_the_original_result(run: Run, tmp_path: Path, count: Callable[[], int]) -> None:
    clue = Clue(run, tmp_path)
    body = clue.body({"channel": "media", "summary": "媒体报道执法不规范", "subject_agency_ids": ["A01"],
                      "reporter": {"kind": "organization", "contactable": False}})
    first = json.loads(clue.record("receiveClue", body).stdout)
    again = clue.record("receiveClue", body)
    assert again.exit_code == 0 and json.loads(again.stdout)["event_id"] == first["event_id"]
    assert json.loads(again.stdout)["repeated"] is True and count() == 1
    body["input"]["summary"] = "另一内容"
    refused(clue.record("receiveClue", body), "DUPLICATE_IDEMPOTENCY_KEY")
    stdin = run("record", "registerClue", "--json", "-", "--actor", STAFF, stdin=json.dumps(
        {"input": {}, "meta": {"stream_id": first["stream_id"], "expected_version": 1, "idempotency_key": "k-stdin",
                                "occurred_at": datetime.now(CST).isoformat()}}))
    assert stdin.exit_code == 0 and json.loads(stdin.stdout)["version"] == 2


def test_sample_prints_a_history_ending_in_reporter_feedback(run: Run) -> None:
    result = run("sample")
    assert result.exit_code == 0, result.output
    assert "sample clue" in result.stdout
    found = {label: result.stdout.rfind(label) for label in LABELS}
    assert all(pos >= 0 for pos in found.values()), found
    assert max(found, key=found.get) == "答复反馈"  # type: ignore[arg-type]


def test_a_refusal_is_exactly_one_line_when_stderr_is_not_a_terminal(tmp_path: Path, database_url: str) -> None:
    body = {"input": {}, "meta": {"stream_id": str(uuid4()), "expected_version": 1, "idempotency_key": "k",
                                  "occurred_at": datetime.now(CST).isoformat()}}
    path = tmp_path / "body.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    command = "registerClueWithAVeryLongMistypedCommandNameThatPushesTheMessagePastEightyColumns"
    done = subprocess.run([SVLEDGER, "record", command, "--json", str(path), "--actor", STAFF,
                           "--database-url", database_url], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("UNKNOWN_COMMAND:")
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
