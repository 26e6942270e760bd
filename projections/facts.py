"""``facts``: one row per countable fact, with business and recorded time, feeding the statistics
(``supervision_funnel``, review results, reconsideration statistics) for any period, as of any
business time and as known at any recorded time. Voided events are listed in ``fact_voids``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.reconsideration_rules import CORRECTION_OUTCOMES, MEDIATION_OUTCOMES
from projections.base import Projection
from projections.db import Tx
from projections.events import LoggedEvent

FACT_COLUMNS = ("position", "event_id", "bureau", "stream_id", "metric", "subject", "occurred_us", "recorded_us")
STREAM_COLUMNS = ("stream_id", "bureau", "batch_kind", "annual")
UNKNOWN_STREAM = ("", None, 0)


class Facts(Projection):
    name = "facts"
    tables = ("facts", "fact_voids", "fact_streams")
    ddl = (
        "CREATE TABLE IF NOT EXISTS {t}facts (position BIGINT NOT NULL, event_id TEXT NOT NULL, bureau TEXT NOT NULL, "
        "stream_id TEXT NOT NULL, metric TEXT NOT NULL, subject TEXT NOT NULL DEFAULT '', occurred_us BIGINT NOT NULL, "
        "recorded_us BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {t}facts_metric ON {t}facts (bureau, metric, occurred_us)",
        "CREATE INDEX IF NOT EXISTS {t}facts_stream ON {t}facts (stream_id, metric)",
        "CREATE TABLE IF NOT EXISTS {t}fact_voids (event_id TEXT PRIMARY KEY, recorded_us BIGINT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {t}fact_streams (stream_id TEXT PRIMARY KEY, bureau TEXT NOT NULL, "
        "batch_kind TEXT, annual INTEGER NOT NULL DEFAULT 0)",
    )
    REMEMBERS = ("ClueReceived", "ReviewBatchOpened", "ReconsiderationApplicationReceived")

    def begin_batch(self, tx: Tx) -> None:
        self.rows: list[tuple[Any, ...]] = []
        self.voids: list[tuple[Any, ...]] = []
        self.new_streams: list[tuple[Any, ...]] = []
        self.streams: dict[str, tuple[str, str | None, int]] = {}
        self.checked: set[str] = set()  # stream ids looked up in the table by this batch

    def prefetch(self, tx: Tx, events: Sequence[LoggedEvent]) -> None:
        """The streams whose bureau (and batch kind) the batch's facts need, unless the batch starts them."""
        handled, remembers = self.handlers, self.REMEMBERS
        seen: set[str] = set()
        wanted: list[str] = []
        for ev in events:
            if ev.event_type in handled and ev.stream_id not in seen:
                seen.add(ev.stream_id)
                if ev.event_type not in remembers:
                    wanted.append(ev.stream_id)
        for sid, *values in tx.select_keys(self.t("fact_streams"), "stream_id", STREAM_COLUMNS, wanted):
            self.streams[sid] = tuple(values)  # type: ignore[assignment]
        self.checked.update(wanted)

    def end_batch(self, tx: Tx) -> None:
        tx.insert_rows(self.t("fact_streams"), STREAM_COLUMNS, self.new_streams)
        tx.insert_rows(self.t("facts"), FACT_COLUMNS, self.rows)
        tx.insert_rows(self.t("fact_voids"), ("event_id", "recorded_us"), self.voids)

    def stream(self, tx: Tx, stream_id: str) -> tuple[str, str | None, int]:
        found = self.streams.get(stream_id)
        if found is None:
            if stream_id in self.checked:  # prefetched: not in the table
                found = UNKNOWN_STREAM
            else:  # an event the batch's prefetch did not see (a handler called directly)
                rows = tx.execute(f"SELECT bureau, batch_kind, annual FROM {self.t('fact_streams')} "
                                  "WHERE stream_id = ?", (stream_id,))
                found = rows[0] if rows else UNKNOWN_STREAM
            self.streams[stream_id] = found
        return found

    def remember(self, tx: Tx, ev: LoggedEvent, batch_kind: str | None = None, annual: bool = False) -> None:
        bureau = ev.meta.get("org_unit") or ev.actor.get("org_id", "")
        self.streams[ev.stream_id] = (bureau, batch_kind, int(annual))
        self.new_streams.append((ev.stream_id, bureau, batch_kind, int(annual)))

    def fact(self, tx: Tx, ev: LoggedEvent, metric: str, subject: str = "") -> None:
        bureau = self.stream(tx, ev.stream_id)[0]
        self.rows.append((ev.position, ev.event_id, bureau, ev.stream_id, metric, subject, ev.occurred_us,
                          ev.recorded_us))

    # -- clues ---------------------------------------------------------------------------------------
    def on_ClueReceived(self, tx: Tx, ev: LoggedEvent) -> None:
        self.remember(tx, ev)
        self.fact(tx, ev, "clue_received", ev.data["channel"])

    def on_ClueScreened(self, tx: Tx, ev: LoggedEvent) -> None:
        outcome = ev.data["outcome"]
        self.fact(tx, ev, "clue_valid" if outcome == "valid" else "clue_screened_out",
                  "" if outcome == "valid" else ev.data["reason_code"])

    def on_SupervisionCaseOpened(self, tx: Tx, ev: LoggedEvent) -> None:
        self.fact(tx, ev, "case_opened")

    def on_ClueClosed(self, tx: Tx, ev: LoggedEvent) -> None:
        self.fact(tx, ev, "clue_closed", ev.data["closure_type"])

    def on_ClueReopened(self, tx: Tx, ev: LoggedEvent) -> None:
        self.fact(tx, ev, "clue_reopened", ev.data["reason_code"])

    def on_TransferSent(self, tx: Tx, ev: LoggedEvent) -> None:
        self.fact(tx, ev, "transfer_sent")

    # -- notices (any parent) ------------------------------------------------------------------------
    def on_RectificationNoticeIssued(self, tx: Tx, ev: LoggedEvent) -> None:
        self.fact(tx, ev, "notice_issued", ev.data["notice_type"])

    def on_RectificationVerified(self, tx: Tx, ev: LoggedEvent) -> None:
        self.fact(tx, ev, "notice_verified", ev.data["result"])

    def on_InterviewHeld(self, tx: Tx, ev: LoggedEvent) -> None:
        self.fact(tx, ev, "interview_held")

    # -- review batches ------------------------------------------------------------------------------
    def on_ReviewBatchOpened(self, tx: Tx, ev: LoggedEvent) -> None:
        self.remember(tx, ev, ev.data["batch_kind"], is_annual(ev.data))

    def _batch_fact(self, tx: Tx, ev: LoggedEvent, metric: str, subject: str = "") -> None:
        _, kind, annual = self.stream(tx, ev.stream_id)
        self.fact(tx, ev, f"{metric}:{kind}{':annual' if annual else ''}", subject)

    def on_CaseFilesSampled(self, tx: Tx, ev: LoggedEvent) -> None:
        for f in ev.data["files"]:
            self._batch_fact(tx, ev, "file_sampled", f["agency_id"])

    def on_CaseFileReviewed(self, tx: Tx, ev: LoggedEvent) -> None:
        self._batch_fact(tx, ev, "file_reviewed")
        if ev.data.get("review_form"):
            self._batch_fact(tx, ev, "review_form")

    def on_ProblemFound(self, tx: Tx, ev: LoggedEvent) -> None:
        self._batch_fact(tx, ev, "problem", ev.data["agency_id"])

    def on_UnitInspected(self, tx: Tx, ev: LoggedEvent) -> None:
        self._batch_fact(tx, ev, "unit_inspected", ev.data["agency_id"])

    # -- reconsideration -----------------------------------------------------------------------------
    def on_ReconsiderationApplicationReceived(self, tx: Tx, ev: LoggedEvent) -> None:
        self.remember(tx, ev)
        self.fact(tx, ev, "recon_received")

    def on_ReconsiderationAcceptanceDecided(self, tx: Tx, ev: LoggedEvent) -> None:
        self.fact(tx, ev, "recon_decided", ev.data["decision"])

    def on_ReconsiderationClosed(self, tx: Tx, ev: LoggedEvent) -> None:
        outcome = ev.data["outcome"]
        self.fact(tx, ev, "recon_closed", outcome)
        if outcome in CORRECTION_OUTCOMES:
            self.fact(tx, ev, "recon_corrected", outcome)
        if outcome in MEDIATION_OUTCOMES:
            self.fact(tx, ev, "recon_mediated", outcome)

    def on_DecisionCopied(self, tx: Tx, ev: LoggedEvent) -> None:
        self.fact(tx, ev, "recon_copied", ev.data["mode"])

    def on_EventVoided(self, tx: Tx, ev: LoggedEvent) -> None:
        self.voids.append((ev.data["target_event_id"], ev.recorded_us))


def is_annual(data: dict[str, Any]) -> bool:
    """An annual case-file review (年度评查): its title says 年度, or it covers a whole year."""
    if data.get("batch_kind") != "case_file_review":
        return False
    period = data.get("period_covered") or {}
    start, end = str(period.get("start_on", "")), str(period.get("end_on", ""))
    whole_year = start[5:] == "01-01" and end[5:] == "12-31" and start[:4] == end[:4]
    return "年度" in data.get("title", "") or whole_year
