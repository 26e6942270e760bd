"""Payloads of the registry, user and configuration events (domain.md §4.8).

Streams are addressed by natural key (``domain.registry``): ``org_stream_id(org_code)``,
``user_stream_id(user_id)``, ``config_stream_id(bureau)``. ``from``/``to`` are Python keywords:
the models use ``from_``/``to`` with the wire name ``from`` (dumped by alias).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, JsonValue, StringConstraints, model_validator

from domain.catalogue import AD, ST, SV, command
from domain.values import Role, ShortText, Strict, Text

OrgCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
UserId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
ConfigKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$", max_length=64)]
OrgType = Literal["municipal_department", "township_government", "street_office", "vertical_agency",
                  "discipline_organ", "public_security", "procuratorate", "court", "hotline_center",
                  "reconsideration_office", "supervision_office", "justice_bureau"]
AffiliationKind = Literal["employment", "secondment", "declared_interest"]


class OrgRegistered(Strict):
    org_code: OrgCode
    name_zh: ShortText
    uscc: str | None = Field(default=None, pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$")  # 统一社会信用代码
    org_type: OrgType
    parent_org_id: OrgCode | None = None
    is_supervised: bool


class OrgRenamed(Strict):
    name_zh: ShortText
    reason: Text | None = None


class OrgRestructured(Strict):
    """机构改革: the predecessors were merged into ``successor_id``; recorded on the successor's stream."""

    predecessor_ids: list[OrgCode] = Field(min_length=1, max_length=20)
    successor_id: OrgCode
    reason: Text | None = None


class OrgDeactivated(Strict):
    reason: Text


class UserRegistered(Strict):
    user_id: UserId
    display_name: ShortText | None = None
    org_id: OrgCode


class RoleGranted(Strict):
    user_id: UserId
    role: Role
    scope_org_id: OrgCode | None = None


class RoleRevoked(Strict):
    user_id: UserId
    role: Role
    scope_org_id: OrgCode | None = None


class LiaisonAppointed(Strict):
    user_id: UserId
    org_id: OrgCode


class LiaisonRevoked(Strict):
    user_id: UserId
    org_id: OrgCode


class _Dated(Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True,
                              serialize_by_alias=True)


class StaffAffiliationRecorded(_Dated):
    user_id: UserId
    org_id: OrgCode
    kind: AffiliationKind
    from_: date = Field(alias="from")
    to: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> StaffAffiliationRecorded:
        if self.to is not None and self.to < self.from_:
            raise ValueError("to is before from")
        return self


class StaffAffiliationEnded(_Dated):
    """Ends the open affiliation of ``user_id`` with ``org_id`` of ``kind`` (the one from ``from``, if given)."""

    user_id: UserId
    org_id: OrgCode
    kind: AffiliationKind
    from_: date | None = Field(default=None, alias="from")
    to: date


class ConfigChanged(Strict):
    key: ConfigKey
    value: JsonValue
    effective_from: date


class CalendarYearPublished(Strict):
    year: int = Field(ge=2000, le=2100)
    holidays: list[date] = Field(max_length=60)
    adjusted_working_days: list[date] = Field(max_length=30)
    source: ShortText  # e.g. 国务院办公厅关于2024年部分节假日安排的通知


ADMIN = (AD,)  # the 4E ones are checked by the aggregate: approvals by supervisors (§9)
SELF_DECLARING = (AD, ST, SV)  # staff may declare their own affiliations (§4.8)

command("registerOrg", "OrgRegistered", "Org", "register", OrgRegistered, ADMIN, creates=True)
command("renameOrg", "OrgRenamed", "Org", "rename", OrgRenamed, ADMIN)
command("restructureOrg", "OrgRestructured", "Org", "restructure", OrgRestructured, ADMIN)
command("deactivateOrg", "OrgDeactivated", "Org", "deactivate", OrgDeactivated, ADMIN)
command("registerUser", "UserRegistered", "User", "register", UserRegistered, ADMIN, creates=True)
command("grantRole", "RoleGranted", "User", "grant_role", RoleGranted, ADMIN)
command("revokeRole", "RoleRevoked", "User", "revoke_role", RoleRevoked, ADMIN)
command("appointLiaison", "LiaisonAppointed", "User", "appoint_liaison", LiaisonAppointed, ADMIN)
command("revokeLiaison", "LiaisonRevoked", "User", "revoke_liaison", LiaisonRevoked, ADMIN)
command("recordStaffAffiliation", "StaffAffiliationRecorded", "User", "record_affiliation",
        StaffAffiliationRecorded, SELF_DECLARING)
command("endStaffAffiliation", "StaffAffiliationEnded", "User", "end_affiliation", StaffAffiliationEnded,
        SELF_DECLARING)
# Config is opened by its first event (Config.opener): these commands create or append.
command("changeConfig", "ConfigChanged", "Config", "change", ConfigChanged, ADMIN)
command("publishCalendarYear", "CalendarYearPublished", "Config", "publish_calendar_year", CalendarYearPublished,
        ADMIN)
