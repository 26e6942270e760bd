"""Roles and permissions (domain.md §9) as data. Pure: the API and projections ask, nothing is enforced here.

``MATRIX`` maps a capability to the roles holding it and the *scope* of the grant. A scope other than
``own_agency`` is a condition the caller still applies (e.g. ``approved_unseal``: only through an
approved, unexpired unseal; ``on_behalf``: with ``meta.on_behalf_of``); ``can`` answers whether the role
holds the capability at all, and for ``own_agency`` grants whether the resource is the caller's agency.
System actors hold no capability here: what they may record is the catalogue's ``who``.

``redact_for(role)`` describes what a role sees of an event (§9 "Redaction", §10 sensitivity classes):
values of ``shown`` classes, a mask (``[sealed]``/``[shredded]``) for ``sealed`` classes, the rest
omitted (never nulled).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

ST, SV, DP, AU, AL, AD = ("supervision_staff", "supervisor", "discipline_partner", "auditor", "agency_liaison",
                          "admin")
HUMAN_ROLES = (ST, SV, DP, AU, AL, AD)

# scopes of a grant (conditions the caller applies, see the module docstring)
ALL, BUREAU, OWN, OWN_AGENCY, READ = "all", "bureau", "own", "own_agency", "read"
ASSIGNED_DIVISION, ALL_LOGGED, ANY_AS_OF = "assigned_division", "all_logged", "any_as_of"
SHARED, SHARED_REDACTED, SHARED_AGGREGATES = "shared_clues", "shared_clues_redacted", "shared_clue_aggregates"
ON_BEHALF, APPROVED_UNSEAL = "on_behalf", "approved_unseal"
NOT_OWN_NOT_CONFLICTED, APPROVE_4E, WITH_4E = "not_own_not_conflicted", "approve_4e", "with_4e"

MATRIX: Mapping[str, Mapping[str, str]] = MappingProxyType({
    # clue, transfer, notice, interview, review, reconsideration events
    "record_events": {ST: ALL, SV: ALL},
    "approve_4e": {SV: NOT_OWN_NOT_CONFLICTED},
    # NoticeServed (e-service), RectificationReported, DeadlineExtensionRequested, ProblemFound self_report
    "liaison_submit": {ST: ON_BEHALF, SV: ON_BEHALF, AL: OWN_AGENCY},
    "read_clue_content": {ST: ASSIGNED_DIVISION, SV: BUREAU, DP: SHARED_REDACTED, AU: ALL_LOGGED},  # S2
    "read_notices": {ST: ALL, SV: ALL, DP: SHARED, AU: ALL, AL: OWN_AGENCY},  # S1
    "read_reporter_identity": {ST: APPROVED_UNSEAL, SV: APPROVED_UNSEAL, AU: APPROVED_UNSEAL},  # S3
    "read_access_log": {ST: OWN, SV: BUREAU, AU: ALL},
    "read_statistics": {ST: ALL, SV: ALL, DP: SHARED_AGGREGATES, AU: ANY_AS_OF, AL: OWN_AGENCY},
    "propose_correction": {ST: ALL, SV: ALL},  # §4: a supervisor may record whatever staff may
    "approve_correction": {SV: NOT_OWN_NOT_CONFLICTED},
    # config, users, calendars, registry: admin records (4E), a supervisor approves, an auditor reads
    "admin_registry": {AD: WITH_4E},
    "approve_registry": {SV: APPROVE_4E},
    "read_registry": {AD: ALL, SV: ALL, AU: READ},
})
CAPABILITIES = tuple(MATRIX)


def scope(role: str, capability: str) -> str | None:
    """The scope of ``role``'s grant of ``capability``, or None if it has none."""
    if capability not in MATRIX:
        raise ValueError(f"unknown capability {capability!r}; known: {', '.join(CAPABILITIES)}")
    return MATRIX[capability].get(role)


def can(role: str, capability: str, *, own_agency: bool | None = None) -> bool:
    """Whether ``role`` holds ``capability``; an ``own_agency`` grant also needs ``own_agency=True``."""
    granted = scope(role, capability)
    if granted is None:
        return False
    return granted != OWN_AGENCY or own_agency is True


def capabilities(role: str) -> dict[str, str]:
    """Every capability of ``role`` with its scope."""
    return {cap: roles[role] for cap, roles in MATRIX.items() if role in roles}


# -- redaction ---------------------------------------------------------------------------------------------
SEALED, SHREDDED = "[sealed]", "[shredded]"
ENVELOPE_METADATA = frozenset({
    "event_id", "event_type", "schema_version", "stream_type", "stream_id", "version", "occurred_at",
    "recorded_at", "actor", "org_unit", "sensitivity", "correlation_id", "causation_id", "prev_event_hash",
    "event_hash", "global_position"})
NOTICE_FIELDS = frozenset({
    "notice_id", "notice_type", "doc_number", "recipient_org_id", "requirements", "rectification_period",
    "requires_report", "document", "method", "service_receipt", "report", "completion", "measures", "result",
    "obligation_id", "requested", "granted", "new_due_date", "due_date", "due_at", "status"})
REPORTER_FIELDS = frozenset({"reporter", "reporter_token", "person_token", "responsible_person_tokens"})
PARTNER_DROPPED = REPORTER_FIELDS | {"storage_ref", "comment", "justification", "commitments"}
LIAISON_DROPPED = REPORTER_FIELDS | {"summary", "evidence_id", "problem_refs", "subject_agency_ids", "user_id"}


@dataclass(frozen=True)
class Redaction:
    """What one role sees of an event."""

    view: str  # full, partner_allowlist (§11), notice_fields, metadata_only, none
    shown: frozenset[str]  # sensitivity classes whose values are shown
    sealed: frozenset[str] = frozenset()  # classes shown as SEALED / SHREDDED instead of omitted
    fields: frozenset[str] | None = None  # payload allowlist; None: every field of a shown class
    dropped: frozenset[str] = frozenset()  # payload fields always omitted
    actor: str = "shown"  # shown, pseudonym (per-partner HMAC), omitted
    issuer_as_bureau: bool = False  # liaisons see the bureau, never staff ids

    def shows(self, sensitivity: str) -> str:
        """'value', 'masked' or 'omit' for a field of class ``sensitivity``."""
        if sensitivity in self.shown:
            return "value"
        return "masked" if sensitivity in self.sealed else "omit"


_S0_S2 = frozenset({"S0", "S1", "S2"})
REDACTIONS: Mapping[str, Redaction] = MappingProxyType({
    # staff and supervisors see S3 only through an approved unseal (not a redaction matter)
    ST: Redaction("full", _S0_S2, sealed=frozenset({"S3"})),
    SV: Redaction("full", _S0_S2, sealed=frozenset({"S3"})),
    AU: Redaction("full", _S0_S2, sealed=frozenset({"S3"})),
    DP: Redaction("partner_allowlist", _S0_S2, dropped=PARTNER_DROPPED, actor="pseudonym"),
    AL: Redaction("notice_fields", frozenset({"S0", "S1"}), fields=NOTICE_FIELDS, dropped=LIAISON_DROPPED,
                  actor="omitted", issuer_as_bureau=True),
    AD: Redaction("metadata_only", frozenset(), fields=frozenset()),
})
NOTHING = Redaction("none", frozenset(), fields=frozenset(), actor="omitted")


def redact_for(role: str) -> Redaction:
    """The redaction of ``role`` (system actors and unknown roles: nothing)."""
    return REDACTIONS.get(role, NOTHING)


def masked(shredded: bool) -> str:
    """The text standing for an S3 value the viewer may not see."""
    return SHREDDED if shredded else SEALED
