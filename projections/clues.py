"""``clue_list`` / ``clue_detail`` (domain.md §7): one row per clue with its current status, computed
by the domain's own precedence rule (``domain.lifecycle.display_status``) over the parts it tracks."""

from __future__ import annotations

import json
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from domain.lifecycle import display_status
from projections.base import Projection, Rows
from projections.db import Tx
from projections.events import LoggedEvent

NOTICE_STATUS = {"RectificationNoticeIssued": "issued", "NoticeServed": "served", "RectificationReported": "reported",
                 "NoticeWithdrawn": "closed_withdrawn"}
TRANSFER_STATUS = {"TransferProposed": "proposed", "TransferApproved": "approved", "TransferRejected": "rejected",
                   "TransferSent": "sent", "TransferAcknowledged": "acknowledged", "TransferForwarded": "forwarded",
                   "TransferDecisionReceived": "decided"}
PHASE = {"ClueRegistered": "registered", "SupervisionCaseOpened": "case_opened",
         "VerificationStarted": "under_verification", "ClueReopened": "reopened"}
COLUMNS = ("stream_id", "bureau", "clue_no", "channel", "summary", "agencies", "received_us", "status", "lead",
           "case_no", "closure_type", "parts", "version", "updated_us")


class ClueList(Projection):
    name = "clue_list"
    tables = ("clue_list",)
    ddl = (
        "CREATE TABLE IF NOT EXISTS {t}clue_list (stream_id TEXT PRIMARY KEY, bureau TEXT, clue_no TEXT, "
        "channel TEXT, summary TEXT, agencies TEXT, received_us BIGINT, status TEXT, lead TEXT, case_no TEXT, "
        "closure_type TEXT, parts TEXT, version INTEGER, updated_us BIGINT)",
        "CREATE INDEX IF NOT EXISTS {t}clue_list_keyset ON {t}clue_list (received_us, stream_id)",
        "CREATE INDEX IF NOT EXISTS {t}clue_list_status ON {t}clue_list (status, received_us)",
        "CREATE INDEX IF NOT EXISTS {t}clue_list_no ON {t}clue_list (clue_no)",
    )

    def begin_batch(self, tx: Tx) -> None:
        self.table = Rows(self.t("clue_list"), COLUMNS)
        self.rows = self.table.rows  # stream_id -> row (agencies and parts decoded)
        self.restatus: set[str] = set()  # rows whose status is computed again at the end of the batch

    def prefetch(self, tx: Tx, events: Sequence[LoggedEvent]) -> None:
        self.table.load(tx, {ev.stream_id for ev in events
                             if ev.stream_type == "Clue" or ev.event_type == "ClueReceived"})
        for row in self.rows.values():
            _load(row)

    def end_batch(self, tx: Tx) -> None:
        for stream_id in self.restatus:
            row = self.rows[stream_id]
            row["status"] = status_of(row["parts"])
        self.table.flush(tx, _dumped)

    def row(self, tx: Tx, stream_id: str) -> dict[str, Any] | None:
        found = self.rows.get(stream_id)
        if found is None and stream_id not in self.table.missing:  # not prefetched (a handler called directly)
            self.table.load(tx, (stream_id,))
            found = self.rows.get(stream_id)
            if found is not None:
                _load(found)
        return found

    def on_ClueReceived(self, tx: Tx, ev: LoggedEvent) -> None:
        self.rows[ev.stream_id] = {
            "stream_id": ev.stream_id, "bureau": ev.meta.get("org_unit") or ev.actor.get("org_id"), "clue_no": None,
            "channel": ev.data["channel"], "summary": ev.data["summary"], "agencies": ev.data["subject_agency_ids"],
            "received_us": ev.occurred_us, "status": "received", "lead": None, "case_no": None, "closure_type": None,
            "parts": {"phase": "received", "terminal": None, "suspended": False, "notices": {}, "transfers": {}},
            "version": ev.version, "updated_us": ev.recorded_us}

    def on_any(self, tx: Tx, ev: LoggedEvent) -> None:
        if ev.stream_type != "Clue":
            return
        row = self.row(tx, ev.stream_id)
        if row is None:
            return
        parts, data, kind = row["parts"], ev.data, ev.event_type
        if kind in PHASE:
            parts["phase"] = PHASE[kind]
            if kind == "ClueReopened":
                parts["terminal"], row["closure_type"] = None, None
        elif kind == "ClueScreened":
            if data["outcome"] == "valid":
                parts["phase"] = "screened_valid"
            else:
                parts["terminal"] = "screened_out"
        elif kind == "ClueClosed":
            parts["terminal"], row["closure_type"], parts["suspended"] = "closed", data["closure_type"], False
        elif kind in ("ClueSuspended", "ClueResumed"):
            parts["suspended"] = kind == "ClueSuspended"
        elif kind in NOTICE_STATUS or kind == "RectificationVerified":
            status = NOTICE_STATUS.get(kind) or ("closed_rectified" if data["result"] == "accepted" else "re_rectifying")
            parts["notices"][data["notice_id"]] = status
        elif kind in TRANSFER_STATUS or kind == "TransferOutcomeReported":
            if kind != "TransferOutcomeReported" or data.get("final"):
                parts["transfers"][data["transfer_id"]] = TRANSFER_STATUS.get(kind, "completed")
        row["clue_no"] = data.get("clue_no", row["clue_no"]) if kind == "ClueRegistered" else row["clue_no"]
        if kind == "SupervisionCaseOpened":
            row["case_no"], row["lead"] = data["case_no"], data["lead_user_id"]
        if kind == "FindingRecorded":
            row["agencies"] = list(dict.fromkeys([*row["agencies"], *data.get("responsible_agency_ids", [])]))
        self.restatus.add(ev.stream_id)  # status_of(parts) once per row and batch, from its final parts
        row["version"], row["updated_us"] = ev.version, ev.recorded_us


def status_of(parts: dict[str, Any]) -> str:
    shape = SimpleNamespace(terminal=parts["terminal"], suspended_from=parts["suspended"], phase=parts["phase"],
                            notices={k: {"status": v} for k, v in parts["notices"].items()},
                            transfers={k: {"status": v} for k, v in parts["transfers"].items()})
    return display_status(shape)


def _dumped(row: dict[str, Any]) -> tuple[Any, ...]:
    """The row's column values as stored (agencies and parts as JSON text), in ``COLUMNS`` order."""
    return (row["stream_id"], row["bureau"], row["clue_no"], row["channel"], row["summary"],
            json.dumps(row["agencies"], ensure_ascii=False), row["received_us"], row["status"], row["lead"],
            row["case_no"], row["closure_type"], json.dumps(row["parts"]), row["version"], row["updated_us"])


def _load(row: dict[str, Any]) -> dict[str, Any]:
    """Decode a stored row's JSON columns in place."""
    row["agencies"], row["parts"] = json.loads(row["agencies"]), json.loads(row["parts"])
    return row
