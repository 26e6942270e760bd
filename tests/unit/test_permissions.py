"""The §9 role matrix and redaction, as data."""

from __future__ import annotations

import pytest

from domain.permissions import (CAPABILITIES, HUMAN_ROLES, MATRIX, NOTICE_FIELDS, SEALED, SHREDDED, can,
                                capabilities, masked, redact_for, scope)
from domain.values import SYSTEM_ROLES

ST, SV, DP, AU, AL, AD = HUMAN_ROLES


@pytest.mark.parametrize(("capability", "holders"), [
    ("record_events", {ST, SV}),
    ("approve_4e", {SV}),
    ("read_clue_content", {ST, SV, DP, AU}),
    ("read_notices", {ST, SV, DP, AU}),  # liaisons: own agency only, see below
    ("read_reporter_identity", {ST, SV, AU}),
    ("read_access_log", {ST, SV, AU}),
    ("read_statistics", {ST, SV, DP, AU}),
    ("propose_correction", {ST, SV}),
    ("approve_correction", {SV}),
    ("admin_registry", {AD}),
    ("approve_registry", {SV}),
])
def test_matrix(capability: str, holders: set[str]) -> None:
    assert {r for r in HUMAN_ROLES if can(r, capability)} == holders


def test_own_agency_grants_need_the_own_agency() -> None:
    for capability in ("liaison_submit", "read_notices", "read_statistics"):
        assert scope(AL, capability) == "own_agency"
        assert can(AL, capability, own_agency=True)
        assert not can(AL, capability, own_agency=False)
        assert not can(AL, capability)
    assert can(ST, "liaison_submit") and scope(ST, "liaison_submit") == "on_behalf"


def test_reporter_identity_is_never_for_partners_liaisons_admins() -> None:
    for r in (DP, AL, AD):
        assert not can(r, "read_reporter_identity", own_agency=True)
    assert {scope(r, "read_reporter_identity") for r in (ST, SV, AU)} == {"approved_unseal"}


def test_admin_manages_the_registry_but_never_reads_history() -> None:
    assert capabilities(AD) == {"admin_registry": "with_4e", "read_registry": "all"}
    assert scope(AU, "read_registry") == "read"


def test_system_actors_hold_no_capability() -> None:
    for r in SYSTEM_ROLES:
        assert capabilities(r) == {} and redact_for(r).view == "none"


def test_unknown_capability_is_an_error() -> None:
    with pytest.raises(ValueError):
        can(ST, "delete_history")


def test_every_matrix_role_is_human() -> None:
    assert set(CAPABILITIES) == set(MATRIX)
    assert all(set(roles) <= set(HUMAN_ROLES) for roles in MATRIX.values())


def test_redaction_per_role() -> None:
    assert redact_for(AU).shows("S2") == "value" and redact_for(AU).shows("S3") == "masked"
    assert redact_for(ST).shows("S3") == "masked"
    partner = redact_for(DP)
    assert partner.view == "partner_allowlist" and partner.shows("S3") == "omit"
    assert {"reporter", "reporter_token", "storage_ref"} <= partner.dropped and partner.actor == "pseudonym"
    liaison = redact_for(AL)
    assert liaison.view == "notice_fields" and liaison.fields == NOTICE_FIELDS
    assert liaison.shows("S2") == "omit" and liaison.issuer_as_bureau and liaison.actor == "omitted"
    assert "summary" in liaison.dropped and "summary" not in liaison.fields
    admin = redact_for(AD)
    assert admin.view == "metadata_only" and admin.fields == frozenset() and admin.shows("S1") == "omit"


def test_masks() -> None:
    assert (masked(False), masked(True)) == (SEALED, SHREDDED) == ("[sealed]", "[shredded]")
