"""The ReviewBatch aggregate: 案卷评查, 自查自纠, 法治督察 and 回头看 campaigns (domain.md §4.6).

A batch is ``open`` until ReviewBatchClosed, whose reported counts must equal the counts derived from
the stream (rule 21). Its notices live in its stream (``NoticeHolder``): they are issued while the
batch is open and followed up (served, reported, verified, reminded …) before or after the close.
Counts are derived from the event index, so voided events drop out of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain import errors
from domain.base import CORRECTION_EVENTS, Cmd, require
from domain.envelope import check_approvals
from domain.notices import NoticeHolder

BATCH_NOTICE_TYPES = ("review_suggestion", "work_tip_letter", "inspection_feedback")
INSPECTION_KINDS = ("rule_of_law_inspection", "special_inspection_followup")  # 回头看 also visits units (judged)
COUNTED_EVENTS = {"files_reviewed": "CaseFileReviewed", "problems_found": "ProblemFound",
                  "notices_issued": "RectificationNoticeIssued", "units_inspected": "UnitInspected"}
ACTIVITY_EVENTS = ("ReviewBatchOpened", "CaseFilesSampled", "CaseFileReviewed", "UnitInspected", "ProblemFound",
                   "RectificationNoticeIssued")
CLOSE_FIELDS = ("reported_counts", "waived_files")


def approve_new_stream(cmd: Cmd, agencies: Iterable[str]) -> None:
    """Four-eyes check of a creation event (no aggregate exists yet), conflicts looked up for ``agencies``."""
    agencies = list(agencies)
    conflicted = frozenset(a.approver_user_id for a in cmd.meta.approvals
                           if agencies and cmd.is_conflicted(a.approver_user_id, agencies, cmd.at))
    check_approvals(cmd.meta, cmd.actor, conflicted=conflicted)


class ReviewBatch(NoticeHolder):
    stream_type = "ReviewBatch"
    default_sensitivity = "S1"

    # -- opening ------------------------------------------------------------------------------------
    @classmethod
    def open(cls, cmd: Cmd, stream_id: UUID) -> ReviewBatch:
        approve_new_stream(cmd, cmd.data["scope_org_ids"])
        return cls(data=cmd.data, meta=cls.make_meta(cmd, stream_id=stream_id))

    @event("ReviewBatchOpened")
    def __init__(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.batch_no = data.get("batch_no")
        self.batch_kind = data["batch_kind"]
        self.title = data["title"]
        self.scope = list(data["scope_org_ids"])
        self.teams = {t["team_id"]: t for t in data["teams"]}
        self.opened_at = meta["occurred_at"]
        self.status = "open"
        self.closed_at: str | None = None
        self.files: dict[str, dict[str, Any]] = {}
        self.reviews: dict[str, str] = {}  # case_file_id → event_id of its (latest) review
        self.problems: dict[str, dict[str, Any]] = {}
        self.waived: dict[str, str] = {}
        self._init_parts()

    # -- guards shared by the batch events ----------------------------------------------------------------
    def _require_open(self, cmd: Cmd) -> None:
        require(self.status == "open", errors.InvalidTransition, f"{cmd.event} needs an open batch, it is closed")

    def _require_in_scope(self, agency_id: str) -> None:
        require(agency_id in self.scope, errors.ValidationFailed, f"{agency_id} is not in the batch's scope_org_ids")

    def is_reviewed(self, case_file_id: str) -> bool:
        eid = self.reviews.get(case_file_id)
        return eid is not None and eid not in self.voided

    def check_notice_allowed(self, cmd: Cmd) -> None:
        """Issue only while open and only batch notice types; follow-up of issued notices at any time."""
        if cmd.event == "RectificationNoticeIssued":
            require(self.status == "open", errors.InvalidTransition, "batch notices are issued while the batch is open")
            require(cmd.data["notice_type"] in BATCH_NOTICE_TYPES, errors.ValidationFailed,
                    f"a batch issues {'/'.join(BATCH_NOTICE_TYPES)}, not {cmd.data['notice_type']}")

    # -- sampling and review ----------------------------------------------------------------------------------
    def sample_files(self, cmd: Cmd) -> None:
        self._require_open(cmd)
        require(self.batch_kind == "case_file_review", errors.InvalidTransition,
                f"case files are sampled in a case_file_review batch, this one is {self.batch_kind}")
        for f in cmd.data["files"]:
            require(f["case_file_id"] not in self.files, errors.ValidationFailed,
                    f"case file {f['case_file_id']} is already sampled")
            self._require_in_scope(f["agency_id"])
        self.check_after(cmd, self.opened_at)
        self._files_sampled(cmd.data, self.make_meta(cmd))

    @event("CaseFilesSampled")
    def _files_sampled(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        for f in data["files"]:
            self.files[f["case_file_id"]] = {**f, "sampled_at": meta["occurred_at"]}

    def review_file(self, cmd: Cmd) -> None:
        self._require_open(cmd)
        f = self.files.get(str(cmd.data["case_file_id"]))
        require(f is not None, errors.NotFound, f"case file {cmd.data['case_file_id']} was not sampled in this batch")
        require(not self.is_reviewed(f["case_file_id"]), errors.InvalidTransition,
                f"case file {f['case_file_id']} is already reviewed")
        self.check_after(cmd, f["sampled_at"])
        self._file_reviewed(cmd.data, self.make_meta(cmd))

    @event("CaseFileReviewed")
    def _file_reviewed(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.reviews[data["case_file_id"]] = meta["event_id"]

    # -- inspections and problems --------------------------------------------------------------------------
    def inspect_unit(self, cmd: Cmd) -> None:
        self._require_open(cmd)
        require(self.batch_kind in INSPECTION_KINDS, errors.InvalidTransition,
                f"units are inspected in {'/'.join(INSPECTION_KINDS)} batches, this one is {self.batch_kind}")
        require(str(cmd.data["team_id"]) in self.teams, errors.NotFound, f"no team {cmd.data['team_id']} in this batch")
        self._require_in_scope(cmd.data["agency_id"])
        self.check_after(cmd, self.opened_at)
        self._unit_inspected(cmd.data, self.make_meta(cmd))

    @event("UnitInspected")
    def _unit_inspected(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        pass

    def record_problem(self, cmd: Cmd) -> None:
        self._require_open(cmd)
        data = cmd.data
        if cmd.actor.role == "agency_liaison":
            require(data["source"] == "self_report" and data["agency_id"] == cmd.actor.org_id, errors.NotAuthorized,
                    "a liaison records only its own agency's self_report problems")
        require(str(data["problem_id"]) not in self.problems, errors.ValidationFailed, "problem_id already used")
        self._require_in_scope(data["agency_id"])
        if data.get("case_file_id"):
            f = self.files.get(str(data["case_file_id"]))
            require(f is not None, errors.NotFound, f"case file {data['case_file_id']} was not sampled in this batch")
            require(f["agency_id"] == data["agency_id"], errors.ValidationFailed,
                    f"case file {f['case_file_id']} belongs to {f['agency_id']}, not {data['agency_id']}")
        self.check_after(cmd, self.opened_at)
        self._problem_found(data, self.make_meta(cmd))

    @event("ProblemFound")
    def _problem_found(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.problems[data["problem_id"]] = {**data, "found_at": meta["occurred_at"]}

    # -- closing ------------------------------------------------------------------------------------------------
    def derived_counts(self) -> dict[str, int]:
        """The counts ReviewBatchClosed must report, from the live (not voided) events of the stream."""
        counts = {key: len(self._live(name)) for key, name in COUNTED_EVENTS.items()}
        counts["forms_filled"] = sum(1 for e in self._live("CaseFileReviewed") if e["data"].get("review_form"))
        return counts

    def close(self, cmd: Cmd) -> None:
        self._require_open(cmd)
        self.check_after(cmd, self._last_activity())
        self._check_waivers(cmd.data.get("waived_files", []))
        derived, reported = self.derived_counts(), cmd.data["reported_counts"]
        mismatches = {k: {"reported": reported[k], "derived": v} for k, v in derived.items() if reported[k] != v}
        if mismatches:
            raise errors.BatchCountsMismatch(
                "reported counts differ from the batch's events: " + ", ".join(
                    f"{k} reported {m['reported']}, derived {m['derived']}" for k, m in mismatches.items()),
                mismatches=mismatches)
        self.approve(cmd, agencies=self.scope)
        self._closed(cmd.data, self.make_meta(cmd))

    def _check_waivers(self, waived: list[dict[str, Any]]) -> None:
        ids = {str(w["case_file_id"]) for w in waived}
        for cid in ids:
            require(cid in self.files, errors.NotFound, f"waived case file {cid} was not sampled in this batch")
            require(not self.is_reviewed(cid), errors.ValidationFailed, f"case file {cid} is reviewed, not waived")
        pending = [cid for cid in self.files if not self.is_reviewed(cid) and cid not in ids]
        require(not pending, errors.InvalidTransition,
                f"{len(pending)} sampled case file(s) are neither reviewed nor waived: {', '.join(pending[:5])}")

    @event("ReviewBatchClosed")
    def _closed(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.status, self.closed_at = "closed", meta["occurred_at"]
        self.waived = {w["case_file_id"]: w["reason"] for w in data.get("waived_files", [])}

    # -- helpers over the event index ---------------------------------------------------------------------------
    def _live(self, event_type: str) -> list[dict[str, Any]]:
        return [e for eid, e in self.index.items() if e["type"] == event_type and eid not in self.voided]

    def _last_activity(self) -> str:
        times = [e["occurred_at"] for name in ACTIVITY_EVENTS for e in self._live(name)]
        return max(times, key=datetime.fromisoformat)

    # -- corrections: what the close was checked against stays fixed ----------------------------------------------
    def status_events(self) -> frozenset[str]:
        return frozenset({"ReviewBatchOpened", "ReviewBatchClosed"})

    def correct_event(self, cmd: Cmd) -> None:
        for change in cmd.data["changes"]:
            require(change["path"].split(".")[0] not in CLOSE_FIELDS, errors.CorrectionOfStructuralField,
                    f"{change['path']} is what the close was checked against; it cannot be corrected")
        super().correct_event(cmd)

    def _dependents(self, target: dict[str, Any]) -> list[str]:
        """Besides the base rule: reviews/problems of a sampled file depend on the sampling, and once the
        batch is closed every counted event is a dependency of the close."""
        deps = super()._dependents(target)
        if target["type"] == "CaseFilesSampled":
            ids = {f["case_file_id"] for f in target["data"]["files"]}
            deps += [eid for eid, e in self.index.items() if e["version"] > target["version"]
                     and e["type"] not in CORRECTION_EVENTS and e["data"].get("case_file_id") in ids]
        if self.status == "closed" and target["type"] in (*COUNTED_EVENTS.values(), "CaseFilesSampled"):
            deps += [eid for eid, e in self.index.items() if e["type"] == "ReviewBatchClosed"]
        return deps
