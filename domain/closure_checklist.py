"""The closure checklist (domain.md §5.4), evaluated by the ledger, never trusted from input.

``evaluate`` raises the most specific code of §5.3 rules 4–7, 18 for the first failed item and
returns the result stored as ``checklist_result`` on ClueClosed.
"""

from __future__ import annotations

from typing import Any

from domain import errors
from domain.lifecycle import OPEN_NOTICE_STATES

ACKNOWLEDGED = ("acknowledged", "forwarded", "decided", "completed")


def evaluate(clue: Any, data: dict[str, Any]) -> dict[str, bool]:
    kind = data["closure_type"]
    transferred_closed = kind == "transferred_closed"
    if any(n["status"] in OPEN_NOTICE_STATES for n in clue.notices.values()):
        raise errors.CloseWithOpenNotice("every notice must be closed_rectified or closed_withdrawn (§5.4 b)")
    transfers = list(clue.transfers.values())
    if any(t["status"] in ("proposed", "approved") for t in transfers):
        raise errors.CloseWithOpenTransfer("a transfer is proposed or approved but not sent (§5.4 c)")
    if transferred_closed:
        if not any(t["status"] in ACKNOWLEDGED or t.get("acknowledged") for t in transfers):
            raise errors.CloseWithOpenTransfer("transferred_closed needs a transfer at least acknowledged (§5.4 c)")
    elif any(t["status"] not in ("rejected", "completed") for t in transfers):
        raise errors.CloseWithOpenTransfer("every transfer must be rejected or completed (§5.4 c)")
    if clue.open_interviews():
        raise errors.CloseWithOpenInterview("a scheduled interview or an open commitment remains (§5.4 d)")
    if not transferred_closed and any(a["status"] != "decided" for a in clue.accountability.values()):
        raise errors.CloseWithOpenAccountability("accountability is not decided (§5.4 e)")
    finding = clue.finding or {}
    if kind == "rectified" and not any(n["status"] == "closed_rectified" for n in clue.notices.values()):
        raise errors.CloseWithoutFinding("closure rectified needs a closed_rectified notice (rule 7)")
    if kind == "unfounded" and finding.get("conclusion") != "unsubstantiated":
        raise errors.CloseWithoutFinding("closure unfounded needs an unsubstantiated finding (rule 7)")
    if kind == "withdrawn":
        if finding.get("conclusion") in ("substantiated", "partially_substantiated"):
            raise errors.WithdrawAfterFinding("违法必纠: no withdrawal after a substantiated finding (rule 18)")
        if not data.get("withdrawal_document"):
            raise errors.ValidationFailed("closure withdrawn needs a withdrawal_document (§5.4 j)")
    if any(a["state"] == "pending" for a in clue.assignments.values()):
        raise errors.InvalidTransition("an assignment is pending (§5.4 g)")
    if any(ob.get("extension_pending") for ob in clue.open_obligations()):
        raise errors.InvalidTransition("an extension request is pending (§5.4 g)")
    return {"not_suspended": True, "notices_closed": True, "transfers_settled": True, "interviews_settled": True,
            "accountability_decided": True, "finding_consistent": True, "nothing_pending": True,
            "closure_report": True, "four_eyes": True, "closure_type_allowed": True}
