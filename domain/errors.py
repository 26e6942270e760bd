"""Domain errors: one class per error code of domain.md §5.3 (plus input/lookup codes).

Every refusal carries a stable ``code`` (UPPER_SNAKE) that the CLI prints and the API puts in
``extensions.code``. Find an error by its code: ``errors.StaleVersion.code == "STALE_VERSION"``.
"""

from __future__ import annotations

from typing import Any


class LedgerError(Exception):
    """Base of every refusal. ``code`` is the contract; ``message`` is for people."""

    code = "LEDGER_ERROR"

    def __init__(self, message: str = "", **details: Any) -> None:
        super().__init__(message or self.code)
        self.message = message or self.code
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **({"details": self.details} if self.details else {})}

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def _code(code: str, doc: str) -> type[LedgerError]:
    name = "".join(part.capitalize() for part in code.split("_"))
    return type(name, (LedgerError,), {"code": code, "__doc__": doc})


# §5.3 lifecycle and integrity rules
InvalidTransition = _code("INVALID_TRANSITION", "Event not allowed in the current status (rule 1).")
StaleVersion = _code("STALE_VERSION", "expected_version differs from the stream's version (rule 2).")
DuplicateIdempotencyKey = _code("DUPLICATE_IDEMPOTENCY_KEY", "Idempotency key reused with another payload (rule 3).")
CloseWithOpenNotice = _code("CLOSE_WITH_OPEN_NOTICE", "Closing with an open notice (rule 4).")
CloseWithOpenTransfer = _code("CLOSE_WITH_OPEN_TRANSFER", "Closing with an open transfer (rule 5).")
CloseWithOpenInterview = _code("CLOSE_WITH_OPEN_INTERVIEW", "Closing with a scheduled interview or open commitment (rule 6).")
CloseWithOpenAccountability = _code("CLOSE_WITH_OPEN_ACCOUNTABILITY", "Closing with open accountability (rule 6).")
CloseWithoutFinding = _code("CLOSE_WITHOUT_FINDING", "Closure type not backed by the finding/notices (rule 7).")
NoticeOnClosedClue = _code("NOTICE_ON_CLOSED_CLUE", "Notice, service or reminder on a closed or screened-out clue (rule 8).")
NoticeWithoutFinding = _code("NOTICE_WITHOUT_FINDING", "Finding-requiring notice type without a substantiated finding (rule 8).")
TransferMissingMaterials = _code("TRANSFER_MISSING_MATERIALS", "Mandatory transfer materials missing (rule 9).")
TransferNotApproved = _code("TRANSFER_NOT_APPROVED", "Transfer sent before approval (rule 9).")
SelfApprovalForbidden = _code("SELF_APPROVAL_FORBIDDEN", "Approver is the actor, proposer or requester (rule 10).")
ApprovalRequired = _code("APPROVAL_REQUIRED", "Four-eyes event without a valid supervisor approval (rule 10).")
UnsealWithoutApproval = _code("UNSEAL_WITHOUT_APPROVAL", "Identity disclosed without unexpired approval (rule 11).")
IdentityShredded = _code("IDENTITY_SHREDDED", "The identity's key was destroyed (rule 11).")
ConflictOfInterest = _code("CONFLICT_OF_INTEREST", "Assignment or approval by a conflicted user (rule 12).")
ClueSuspended = _code("CLUE_SUSPENDED", "Only a few events are allowed while a clue is suspended (rule 13).")
VerifyWithoutReport = _code("VERIFY_WITHOUT_REPORT", "RectificationVerified without a pending report (rule 14).")
ExtensionAfterDue = _code("EXTENSION_AFTER_DUE", "Extension requested at or after due_at (rule 15).")
ExtensionLimitExceeded = _code("EXTENSION_LIMIT_EXCEEDED", "Extension beyond the maximum count or length (rule 15).")
FutureOccurredAt = _code("FUTURE_OCCURRED_AT", "occurred_at lies in the future beyond the tolerance (rule 16).")
BackdateReasonRequired = _code("BACKDATE_REASON_REQUIRED", "Backdated more than 24 h without a reason (rule 16).")
BackdateApprovalRequired = _code("BACKDATE_APPROVAL_REQUIRED", "Backdated more than 30 days without supervisor approval (rule 16).")
OccurredBeforePredecessor = _code("OCCURRED_BEFORE_PREDECESSOR", "occurred_at earlier than the event it depends on (rule 16).")
HistoryImmutable = _code("HISTORY_IMMUTABLE", "Stored events are never edited or deleted (rule 17).")
CorrectionOfStructuralField = _code("CORRECTION_OF_STRUCTURAL_FIELD", "Status-determining fields cannot be corrected (rule 17).")
VoidHasDependents = _code("VOID_HAS_DEPENDENTS", "A later event depends on the event to void (rule 17).")
WithdrawAfterFinding = _code("WITHDRAW_AFTER_FINDING", "Withdrawal after a substantiated finding (违法必纠, rule 18).")
ReopenNotClosed = _code("REOPEN_NOT_CLOSED", "ClueReopened on a non-terminal clue (rule 19).")
PiiInPayload = _code("PII_IN_PAYLOAD", "Free text holds an ID-card or mobile number (rule 20).")
DuplicateDocNumber = _code("DUPLICATE_DOC_NUMBER", "文号 already used by this issuer, type and year (rule 21).")
BatchCountsMismatch = _code("BATCH_COUNTS_MISMATCH", "Reported batch counts differ from the derived ones (rule 21).")
LegacyOutcomeForbidden = _code("LEGACY_OUTCOME_FORBIDDEN", "Legacy-only outcome without legacy_import (rule 21).")
NotAuthorized = _code("NOT_AUTHORIZED", "The role lacks the permission (rule 22).")

# input and lookup codes (not in §5.3, needed by every interface)
ValidationFailed = _code("VALIDATION_FAILED", "The command input does not match its schema.")
UnknownCommand = _code("UNKNOWN_COMMAND", "No such command in the catalogue.")
NotFound = _code("NOT_FOUND", "No stream, notice, transfer, obligation … with that id.")
PayloadTooLarge = _code("PAYLOAD_TOO_LARGE", "The input exceeds the size limit.")
StoreUnavailable = _code("STORE_UNAVAILABLE", "The database cannot be reached.")


ALL_ERRORS: dict[str, type[LedgerError]] = {
    cls.code: cls for cls in list(globals().values()) if isinstance(cls, type) and issubclass(cls, LedgerError) and cls is not LedgerError
}
