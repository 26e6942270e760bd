"""The Clue lifecycle state machine (domain.md §5): displayed status and the transition table.

``TRANSITIONS`` lists, per event, the statuses it may be recorded in (§5.2 and the preconditions of
§4); an event absent from it is allowed in every status. Rules 8 and 13 come before rule 1.
"""

from __future__ import annotations

from typing import Any

from domain import errors

PHASES = ("received", "registered", "screened_valid", "case_opened", "under_verification", "reopened")
TERMINAL = ("screened_out", "closed")
OPEN_NOTICE_STATES = ("issued", "served", "reported", "re_rectifying")
ACTIVE_TRANSFER_STATES = ("sent", "acknowledged", "forwarded", "decided")

_WORKING = ("case_opened", "under_verification", "rectifying", "transferred", "reopened")
TRANSITIONS: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in {
    "ClueRegistered": ("received",),
    "ClueScreened": ("registered",),
    "SupervisionCaseOpened": ("screened_valid",),
    "ClueAssigned": (*PHASES, "rectifying", "transferred"),
    "AssignmentAccepted": (*PHASES, "rectifying", "transferred"),
    "AssignmentDeclined": (*PHASES, "rectifying", "transferred"),
    "VerificationStarted": ("case_opened", "reopened"),
    "EvidenceRecorded": _WORKING,
    "FindingRecorded": ("under_verification", "rectifying", "transferred"),
    "RectificationNoticeIssued": _WORKING,
    "TransferProposed": ("screened_valid", "case_opened", "under_verification", "rectifying", "reopened"),
    "TransferSent": ("screened_valid", "case_opened", "under_verification", "rectifying", "reopened"),
    "ClueSuspended": ("registered", "screened_valid", "case_opened", "under_verification", "rectifying",
                      "transferred", "reopened"),
    "ClueResumed": ("suspended",),
    "InterviewScheduled": _WORKING,
    "CluesMerged": ("registered", "screened_valid", "case_opened", "under_verification"),
    "ObjectionRecorded": TERMINAL,
}.items()}

ALLOWED_WHILE_SUSPENDED = frozenset({
    "ClueResumed", "EvidenceRecorded", "ReceiptAcknowledged", "ReporterFeedbackSent", "EventCorrected",
    "EventVoided", "PartnerShareGranted", "TransferProposed", "TransferMaterialsAttached", "TransferApproved",
    "TransferRejected", "TransferSent", "TransferAcknowledged", "TransferForwarded", "TransferDecisionReceived",
    "TransferDecisionContested", "TransferOutcomeReported"})
NOTICE_EVENTS = frozenset({"RectificationNoticeIssued", "NoticeServed", "ReminderIssued"})


def underlying_status(clue: Any) -> str:
    """The status ignoring suspension: closed > screened_out > rectifying > transferred > phase."""
    if clue.terminal:
        return clue.terminal
    if any(n["status"] in OPEN_NOTICE_STATES for n in clue.notices.values()):
        return "rectifying"
    if any(t["status"] in ACTIVE_TRANSFER_STATES for t in clue.transfers.values()):
        return "transferred"
    return clue.phase


def display_status(clue: Any) -> str:
    """§5.1: first match of closed > screened_out > suspended > rectifying > transferred > phase."""
    if not clue.terminal and clue.suspended_from:
        return "suspended"
    return underlying_status(clue)


def check(clue: Any, event_name: str) -> None:
    """Refuse ``event_name`` on ``clue`` with the most specific code of §5.3."""
    status = display_status(clue)
    if status == "suspended":
        if event_name not in ALLOWED_WHILE_SUSPENDED:
            raise errors.ClueSuspended(f"{event_name} is not allowed while the clue is suspended (中止)")
        if event_name == "ClueResumed":
            return
        status = underlying_status(clue)
    if event_name in NOTICE_EVENTS and status in TERMINAL:
        raise errors.NoticeOnClosedClue(f"{event_name} on a {status} clue")
    allowed = TRANSITIONS.get(event_name)
    if allowed is not None and status not in allowed:
        raise errors.InvalidTransition(f"{event_name} is not allowed when the clue is {status}")
