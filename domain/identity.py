"""The identity vault's ledger side (domain.md §4.9, §10): the ``Identity`` aggregate, one per person token.

The vault itself (names, numbers, the encrypted record) lives outside the ledger; these events carry only
the token, key ids and hashes, so they default to S2, not S3: the S3 values are never in the ledger.

Rules (rule 11): a disclosure needs an approved, unexpired request covering the fields
(``UNSEAL_WITHOUT_APPROVAL``); after IdentityShredded every request, decision and disclosure is
``IDENTITY_SHREDDED``. Approval: a supervisor other than the requester, with the 4E approval of another
supervisor (two distinct approvers when ``external_disclosure``); denial needs no second approval.
Without ``external_disclosure`` only the requester may receive the fields (``disclosed_to``).
A request starts the ``unseal_decision`` obligation (§6.2 row 27); the decision completes it, shredding
cancels it.

Assignment and conflict (§4.9 "ST assigned to the clue", §10 "conflicted users cannot … unseal") need
the Clue: the command layer passes it as ``clue=`` (anything with ``id``, ``agencies``, ``assignments``,
``lead``); without it those two checks are skipped.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import event

from domain import errors, obligations
from domain.base import Cmd, LedgerAggregate, require
from domain.deadlines import BUSINESS_TZ
from domain.registry import natural_stream_id

UNSEAL_VALIDITY = timedelta(hours=24)


def identity_stream_id(person_token: str) -> UUID:
    return uuid5(NAMESPACE_URL, "svledger:identity:" + person_token)


def expiry_of(valid_until: str) -> datetime:
    """A stored ``valid_until``: a datetime, or a date meaning up to the end of that day (+08:00)."""
    if "T" in valid_until:
        return datetime.fromisoformat(valid_until)
    return datetime.combine(date.fromisoformat(valid_until) + timedelta(days=1), time(0), BUSINESS_TZ)


def _assigned(clue: Any, user_id: str) -> bool:
    active = any(a.get("assignee_user_id") == user_id and a.get("state") == "active"
                 for a in getattr(clue, "assignments", {}).values())
    return active or getattr(clue, "lead", None) == user_id


class Identity(LedgerAggregate):
    stream_type = "Identity"
    default_sensitivity = "S2"

    @classmethod
    def seal(cls, cmd: Cmd, stream_id: UUID | None = None) -> Identity:
        sid = natural_stream_id(cmd, identity_stream_id(cmd.data["person_token"]))
        return cls(data=cmd.data, meta=cls.make_meta(cmd, stream_id=sid))

    @event("IdentitySealed")
    def __init__(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.person_token, self.person_role = data["person_token"], data["person_role"]
        self.key_id, self.vault_record_hash = data["key_id"], data["vault_record_hash"]
        self.shredded_at: str | None = None
        self.requests: dict[str, dict[str, Any]] = {}
        self.disclosures: list[dict[str, Any]] = []
        self._init_parts()

    @property
    def shredded(self) -> bool:
        return self.shredded_at is not None

    def status_events(self) -> frozenset[str]:
        return frozenset({"IdentitySealed", "IdentityUnsealApproved", "IdentityUnsealDenied", "IdentityShredded"})

    def _not_shredded(self) -> None:
        require(not self.shredded, errors.IdentityShredded, f"identity {self.person_token} was crypto-shredded")

    def _request(self, cmd: Cmd) -> dict[str, Any]:
        req = self.requests.get(str(cmd.data["request_id"]))
        require(req is not None, errors.NotFound, "no such unseal request on this identity")
        require(req["status"] == "requested", errors.InvalidTransition, f"the request is already {req['status']}")
        require(cmd.actor.user_id != req["requester"], errors.SelfApprovalForbidden,
                "the requester cannot decide their own unseal request")
        self.check_after(cmd, req["requested_at"])
        return req

    @staticmethod
    def _check_clue(cmd: Cmd, clue: Any, clue_id: str, user_id: str, *, assigned: bool) -> list[str]:
        require(str(clue.id) == str(clue_id), errors.ValidationFailed, "clue does not match the request's clue_id")
        require(not assigned or _assigned(clue, user_id), errors.NotAuthorized,
                f"{user_id} is not assigned to the clue")
        agencies = list(getattr(clue, "agencies", []))
        require(not cmd.is_conflicted(user_id, agencies, cmd.at), errors.ConflictOfInterest,
                f"{user_id} is conflicted with this clue's agencies (回避)")
        return agencies

    # -- unseal requests ---------------------------------------------------------------------------------
    def request_unseal(self, cmd: Cmd, clue: Any = None) -> None:
        self._not_shredded()
        require(str(cmd.data["request_id"]) not in self.requests, errors.ValidationFailed, "request_id already used")
        if clue is not None:
            self._check_clue(cmd, clue, cmd.data["clue_id"], cmd.actor.user_id, assigned=True)
        eid = str(uuid4())
        refs = [obligations.start(self.id, "unseal_decision", eid, cmd, subject=str(cmd.data["request_id"]))]
        self._unseal_requested(cmd.data, self.make_meta(cmd, refs=refs, event_id=eid))

    @event("IdentityUnsealRequested")
    def _unseal_requested(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.requests[data["request_id"]] = {
            "request_id": data["request_id"], "clue_id": data["clue_id"], "fields": list(data["fields"]),
            "purpose": data["purpose"], "requester": meta["actor"]["user_id"], "status": "requested",
            "requested_at": meta["occurred_at"]}

    def approve_unseal(self, cmd: Cmd, clue: Any = None) -> None:
        self._not_shredded()
        req = self._request(cmd)
        agencies = [] if clue is None else self._check_clue(cmd, clue, req["clue_id"], cmd.actor.user_id,
                                                             assigned=False)
        external = bool(cmd.data.get("external_disclosure"))
        self.approve(cmd, excluded=(req["requester"],), needed=2 if external else 1, agencies=agencies)
        valid_until = cmd.data.get("valid_until") or (cmd.at + UNSEAL_VALIDITY).isoformat()
        require(expiry_of(valid_until) > cmd.at, errors.ValidationFailed, "valid_until must lie after occurred_at")
        refs = self.closing_refs("unseal_decision", subject=req["request_id"])
        self._unseal_approved({**cmd.data, "valid_until": valid_until, "external_disclosure": external},
                              self.make_meta(cmd, refs=refs))

    @event("IdentityUnsealApproved")
    def _unseal_approved(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.requests[data["request_id"]].update(
            status="approved", approved_at=meta["occurred_at"], valid_until=data["valid_until"],
            external_disclosure=data["external_disclosure"], approver=meta["actor"]["user_id"])

    def deny_unseal(self, cmd: Cmd) -> None:
        self._not_shredded()
        req = self._request(cmd)
        refs = self.closing_refs("unseal_decision", subject=req["request_id"])
        self._unseal_denied(cmd.data, self.make_meta(cmd, refs=refs))

    @event("IdentityUnsealDenied")
    def _unseal_denied(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.requests[data["request_id"]].update(status="denied", denied_at=meta["occurred_at"])

    # -- disclosure (system_api, per reveal) ---------------------------------------------------------------
    def disclose(self, cmd: Cmd) -> None:
        self._not_shredded()
        req = self.requests.get(str(cmd.data["request_id"]))
        no_approval = errors.UnsealWithoutApproval
        require(req is not None and req["status"] == "approved", no_approval,
                "no approved unseal request for this disclosure")
        expiry = expiry_of(req["valid_until"])
        require(datetime.fromisoformat(req["approved_at"]) <= cmd.at, no_approval,
                "the disclosure precedes the approval")
        require(max(cmd.at, cmd.recorded_at) < expiry, no_approval, f"the approval expired at {req['valid_until']}")
        extra = sorted(set(cmd.data["fields"]) - set(req["fields"]))
        require(not extra, no_approval, f"fields not covered by the approval: {', '.join(extra)}")
        require(req["external_disclosure"] or cmd.data["disclosed_to"] == req["requester"], no_approval,
                "without external_disclosure only the requester may receive the identity")
        self._disclosed(cmd.data, self.make_meta(cmd))

    @event("IdentityDisclosed")
    def _disclosed(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.disclosures.append({"request_id": data["request_id"], "disclosed_to": data["disclosed_to"],
                                 "fields": list(data["fields"]), "at": meta["occurred_at"]})

    # -- crypto-shredding (two supervisors) --------------------------------------------------------------------
    def shred(self, cmd: Cmd) -> None:
        self._not_shredded()
        require(cmd.data["person_token"] == self.person_token, errors.ValidationFailed,
                "person_token does not match this stream")
        require(cmd.data["key_id"] == self.key_id, errors.ValidationFailed, "key_id is not this identity's key")
        self.approve(cmd, needed=2)
        refs = self.closing_refs("unseal_decision", effect="cancel")
        self._shredded(cmd.data, self.make_meta(cmd, refs=refs))

    @event("IdentityShredded")
    def _shredded(self, data: dict[str, Any], meta: dict[str, Any]) -> None:
        self.shredded_at = meta["occurred_at"]
        for req in self.requests.values():
            if req["status"] in ("requested", "approved"):
                req["status"] = "void_shredded"
