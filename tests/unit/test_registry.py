"""Registry, users, configuration (§4.8) and conflict of interest (§10, scenario 9)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from uuid import uuid4

import pytest
from eventsourcing.application import Application

from domain import errors
from domain.catalogue import load_all
from domain.clue import Clue
from domain.conflicts import ConflictIndex, is_conflicted, months_before, related_orgs
from domain.registry import (Config, Org, User, config_stream_id, lineage_of, org_stream_id, user_stream_id)
from domain.values import Actor
from tests.builders import CALENDAR, STAFF, SUPERVISOR, SUPERVISOR2, approval, at, cmd

ADMIN = Actor(user_id="u-admin-1", role="admin", org_id="HQ")
ADMIN2 = Actor(user_id="u-admin-2", role="admin", org_id="HQ")
REGISTRY_COMMANDS = {
    "registerOrg": ("OrgRegistered", "Org"), "renameOrg": ("OrgRenamed", "Org"),
    "restructureOrg": ("OrgRestructured", "Org"), "deactivateOrg": ("OrgDeactivated", "Org"),
    "registerUser": ("UserRegistered", "User"), "grantRole": ("RoleGranted", "User"),
    "revokeRole": ("RoleRevoked", "User"), "appointLiaison": ("LiaisonAppointed", "User"),
    "revokeLiaison": ("LiaisonRevoked", "User"), "recordStaffAffiliation": ("StaffAffiliationRecorded", "User"),
    "endStaffAffiliation": ("StaffAffiliationEnded", "User"), "changeConfig": ("ConfigChanged", "Config"),
    "publishCalendarYear": ("CalendarYearPublished", "Config")}
AGGREGATES = {"Org": Org, "User": User, "Config": Config}


def new_org(code: str = "A03", when: str = "2024-01-02 09:00") -> Org:
    data = {"org_code": code, "name_zh": f"{code} 执法局", "org_type": "municipal_department", "is_supervised": True}
    return Org.register(cmd("OrgRegistered", data, when, actor=ADMIN))


def new_user(user_id: str = "u-staff-9", when: str = "2024-01-02 09:00", by: Actor = SUPERVISOR) -> User:
    data = {"user_id": user_id, "display_name": "张三", "org_id": "HQ"}
    return User.register(cmd("UserRegistered", data, when, actor=ADMIN, approved=by))


def affiliate(user: User, org: str, start: str, end: str | None = None, *, actor: Actor = ADMIN,
              kind: str = "secondment", when: str = "2024-01-03 09:00") -> None:
    data = {"user_id": user.user_id, "org_id": org, "kind": kind, "from": start, **({"to": end} if end else {})}
    user.record_affiliation(cmd("StaffAffiliationRecorded", data, when, actor=actor))


def role(user: User, event: str = "RoleGranted", name: str = "supervision_staff", **kw: object) -> object:
    return cmd(event, {"user_id": user.user_id, "role": name}, "2024-01-03 10:00", **{"actor": ADMIN, **kw})


# -- catalogue ------------------------------------------------------------------------------------------------
def test_registry_commands_are_registered_with_existing_handlers() -> None:
    specs = load_all()
    for name, (event_name, aggregate) in REGISTRY_COMMANDS.items():
        spec = specs[name]
        assert (spec.event, spec.aggregate) == (event_name, aggregate)
        assert callable(getattr(AGGREGATES[aggregate], spec.handler))
    assert specs["registerOrg"].creates and specs["registerUser"].creates
    assert Config.opener == "open" and not specs["changeConfig"].creates


def test_stream_ids_are_natural_keys() -> None:
    assert org_stream_id("A03") == org_stream_id("A03") != org_stream_id("A04")
    assert new_org("A03").id == org_stream_id("A03")
    assert new_user("u-x").id == user_stream_id("u-x")
    assert config_stream_id("QJ") != config_stream_id("WH")


def test_a_given_stream_id_must_be_the_natural_one() -> None:
    data = {"org_code": "A05", "name_zh": "某局", "org_type": "court", "is_supervised": False}
    with pytest.raises(errors.ValidationFailed):
        Org.register(cmd("OrgRegistered", data, "2024-01-02 09:00", actor=ADMIN, stream_id=org_stream_id("A06")))
    assert Org.register(cmd("OrgRegistered", data, "2024-01-02 09:00", actor=ADMIN,
                            stream_id=org_stream_id("A05"))).org_code == "A05"


# -- Org ------------------------------------------------------------------------------------------------------
def test_org_rename_restructure_deactivate_need_four_eyes() -> None:
    org = new_org("A10")
    with pytest.raises(errors.ApprovalRequired):
        org.rename(cmd("OrgRenamed", {"name_zh": "新名"}, "2024-02-01 09:00", actor=ADMIN))
    org.rename(cmd("OrgRenamed", {"name_zh": "新名"}, "2024-02-01 09:00", actor=ADMIN, approved=True))
    org.restructure(cmd("OrgRestructured", {"predecessor_ids": ["A03", "A04"], "successor_id": "A10"},
                        "2024-02-02 09:00", actor=ADMIN, approved=True))
    org.deactivate(cmd("OrgDeactivated", {"reason": "撤销"}, "2024-03-01 09:00", actor=ADMIN, approved=True))
    assert (org.name_zh, org.predecessor_ids, org.active) == ("新名", ["A03", "A04"], False)
    with pytest.raises(errors.InvalidTransition):
        org.rename(cmd("OrgRenamed", {"name_zh": "再改"}, "2024-03-02 09:00", actor=ADMIN, approved=True))


def test_restructure_is_recorded_on_the_successor() -> None:
    org = new_org("A10")
    with pytest.raises(errors.ValidationFailed):
        org.restructure(cmd("OrgRestructured", {"predecessor_ids": ["A03"], "successor_id": "A11"},
                            "2024-02-02 09:00", actor=ADMIN, approved=True))
    with pytest.raises(errors.ValidationFailed):
        org.restructure(cmd("OrgRestructured", {"predecessor_ids": ["A10"], "successor_id": "A10"},
                            "2024-02-02 09:00", actor=ADMIN, approved=True))


def test_registry_events_are_never_voided() -> None:
    org = new_org()
    target = next(iter(org.index))
    with pytest.raises(errors.VoidHasDependents):
        org.void_event(cmd("EventVoided", {"target_event_id": target, "reason": "wrong"}, "2024-01-05 09:00",
                           approved=True))


# -- User -----------------------------------------------------------------------------------------------------
def test_user_registration_needs_four_eyes_and_is_never_of_oneself() -> None:
    data = {"user_id": "u-admin-1", "org_id": "HQ"}
    with pytest.raises(errors.NotAuthorized):
        User.register(cmd("UserRegistered", data, "2024-01-02 09:00", actor=ADMIN, approved=True))
    with pytest.raises(errors.ApprovalRequired):
        User.register(cmd("UserRegistered", {"user_id": "u-9", "org_id": "HQ"}, "2024-01-02 09:00", actor=ADMIN))


def test_grant_and_revoke_role() -> None:
    user = new_user()
    user.grant_role(role(user, approved=True))
    assert user.has_role("supervision_staff")
    with pytest.raises(errors.InvalidTransition):
        user.grant_role(role(user, approved=True))
    user.revoke_role(role(user, "RoleRevoked", approved=True))
    assert not user.has_role("supervision_staff")
    with pytest.raises(errors.InvalidTransition):
        user.revoke_role(role(user, "RoleRevoked", approved=True))


def test_scoped_role() -> None:
    user = new_user()
    data = {"user_id": user.user_id, "role": "agency_liaison", "scope_org_id": "A03"}
    user.grant_role(cmd("RoleGranted", data, "2024-01-03 10:00", actor=ADMIN, approved=True))
    assert user.has_role("agency_liaison", "A03") and not user.has_role("agency_liaison", "A04")


def test_role_changes_need_four_eyes_and_never_to_oneself() -> None:
    with pytest.raises(errors.SelfApprovalForbidden):  # approving one's own registration
        new_user(SUPERVISOR.user_id)
    user = new_user(SUPERVISOR.user_id, by=SUPERVISOR2)
    with pytest.raises(errors.ApprovalRequired):
        user.grant_role(role(user))
    with pytest.raises(errors.SelfApprovalForbidden):  # the approver is the user concerned
        user.grant_role(role(user, name="supervisor", approved=SUPERVISOR))
    with pytest.raises(errors.SelfApprovalForbidden):  # the approver is the actor
        user.grant_role(role(user, actor=SUPERVISOR2, approved=SUPERVISOR2))
    with pytest.raises(errors.NotAuthorized):  # the actor grants themselves
        user.grant_role(role(user, actor=SUPERVISOR, approved=SUPERVISOR2))
    with pytest.raises(errors.ApprovalRequired):  # approvals come from supervisors only
        user.grant_role(role(user, approvals=[approval(ADMIN2)]))
    user.grant_role(role(user, approved=SUPERVISOR2))
    with pytest.raises(errors.NotAuthorized):
        user.revoke_role(role(user, "RoleRevoked", actor=SUPERVISOR, approved=SUPERVISOR2))


def test_payload_user_must_match_the_stream() -> None:
    user = new_user()
    with pytest.raises(errors.ValidationFailed):
        user.grant_role(cmd("RoleGranted", {"user_id": "u-other", "role": "auditor"}, "2024-01-03 10:00",
                            actor=ADMIN, approved=True))


def test_liaison_appointment() -> None:
    user = new_user("u-liaison-1")
    data = {"user_id": "u-liaison-1", "org_id": "A03"}
    user.appoint_liaison(cmd("LiaisonAppointed", data, "2024-01-03 10:00", actor=ADMIN))
    with pytest.raises(errors.InvalidTransition):
        user.appoint_liaison(cmd("LiaisonAppointed", data, "2024-01-03 11:00", actor=ADMIN))
    user.revoke_liaison(cmd("LiaisonRevoked", data, "2024-01-04 10:00", actor=ADMIN))
    assert user.liaison_org_ids == []
    with pytest.raises(errors.InvalidTransition):
        user.revoke_liaison(cmd("LiaisonRevoked", data, "2024-01-04 11:00", actor=ADMIN))


def test_affiliation_by_admin_or_self_declaration_only() -> None:
    user = new_user(STAFF.user_id)
    affiliate(user, "A03", "2020-01-01", actor=STAFF, kind="declared_interest")
    with pytest.raises(errors.NotAuthorized):
        affiliate(user, "A04", "2020-01-01", actor=SUPERVISOR)
    with pytest.raises(errors.InvalidTransition):
        affiliate(user, "A03", "2021-01-01", actor=STAFF, kind="declared_interest")
    assert user.affiliations[0]["recorded_by"] == STAFF.user_id


def test_end_affiliation() -> None:
    user = new_user(STAFF.user_id)
    affiliate(user, "A03", "2021-06-01")
    end = {"user_id": STAFF.user_id, "org_id": "A03", "kind": "secondment", "to": "2023-03-31"}
    with pytest.raises(errors.ValidationFailed):  # staff may not end retroactively
        user.end_affiliation(cmd("StaffAffiliationEnded", end, "2024-01-05 09:00", actor=STAFF))
    with pytest.raises(errors.ValidationFailed):
        user.end_affiliation(cmd("StaffAffiliationEnded", {**end, "to": "2020-01-01"}, "2024-01-05 09:00",
                                 actor=ADMIN))
    user.end_affiliation(cmd("StaffAffiliationEnded", end, "2024-01-05 09:00", actor=ADMIN))
    assert user.affiliations[0]["to"] == "2023-03-31"
    with pytest.raises(errors.NotFound):
        user.end_affiliation(cmd("StaffAffiliationEnded", end, "2024-01-06 09:00", actor=ADMIN))


def test_user_replays_from_its_events() -> None:
    app = Application()
    user = new_user()
    affiliate(user, "A03", "2021-06-01", "2023-03-31")
    user.grant_role(role(user, approved=True))
    app.save(user)
    again = app.repository.get(user.id)
    assert (again.affiliations, again.roles.keys()) == (user.affiliations, user.roles.keys())


# -- Config ---------------------------------------------------------------------------------------------------
def change(key: str, value: object, effective: str, when: str, **kw: object) -> object:
    data = {"key": key, "value": value, "effective_from": effective}
    return cmd("ConfigChanged", data, when, **{"actor": ADMIN, "approved": True, **kw})


def test_config_is_opened_by_its_first_event_and_replays() -> None:
    sid = config_stream_id("QJ")
    config = Config.open(change("conflict_lookback_months", 24, "2024-01-01", "2024-01-01 08:00"), sid)
    config.change(change("conflict_lookback_months", 36, "2024-03-01", "2024-02-10 09:00"))
    assert config.id == sid and config.version == 2
    app = Application()
    app.save(config)
    again = app.repository.get(sid)
    assert again.version == 2 and again.value_at("conflict_lookback_months", at("2024-03-01 00:00")) == 36


def test_value_at_follows_effective_from() -> None:
    config = Config.open(change("rectification_report", {"length": 30, "unit": "calendar_day"}, "2024-01-01",
                                "2024-01-01 08:00"), config_stream_id("QJ"))
    config.change(change("rectification_report", {"length": 20, "unit": "working_day"}, "2024-03-01",
                         "2024-02-10 09:00"))
    assert config.value_at("rectification_report", at("2024-02-29 23:59"))["length"] == 30
    assert config.value_at("rectification_report", date(2024, 3, 1))["length"] == 20
    assert config.value_at("missing", at("2024-03-01 00:00"), default=7) == 7
    assert config.values_at(at("2023-12-31 00:00")) == {}
    assert set(config.values_at(at("2024-03-02 00:00"))) == {"rectification_report"}


def test_config_change_never_reaches_back() -> None:
    config = Config.open(change("k", 1, "2024-01-01", "2024-01-01 08:00"), config_stream_id("QJ"))
    config.change(change("k", 2, "2023-01-01", "2024-05-01 09:00"))
    assert config.value_at("k", at("2024-04-30 12:00")) == 1
    assert config.value_at("k", at("2024-05-01 09:00")) == 2


def test_config_values_are_validated() -> None:
    config = Config.open(change("rectification_report", {"length": 30, "unit": "calendar_day"}, "2024-01-01",
                                "2024-01-01 08:00"), config_stream_id("QJ"))
    for key, value in (("rectification_report", {"length": 0, "unit": "calendar_day"}),
                       ("transfer_sending.suspected_crime", {"days": 1}), ("conflict_lookback_months", "24"),
                       ("conflict_lookback_months", 0)):
        with pytest.raises(errors.ValidationFailed):
            config.change(change(key, value, "2024-02-01", "2024-01-10 09:00"))
    config.change(change("transfer_sending.suspected_crime", {"length": 24, "unit": "hour"}, "2024-02-01",
                         "2024-01-10 09:00"))
    config.change(change("ui.theme", "dark", "2024-02-01", "2024-01-10 09:00"))  # other keys: any JSON
    assert config.version == 3


def test_config_needs_four_eyes() -> None:
    with pytest.raises(errors.ApprovalRequired):
        Config.open(change("k", 1, "2024-01-01", "2024-01-01 08:00", approved=False), config_stream_id("QJ"))
    config = Config.open(change("k", 1, "2024-01-01", "2024-01-01 08:00"), config_stream_id("QJ"))
    with pytest.raises(errors.SelfApprovalForbidden):
        config.change(change("k", 2, "2024-02-01", "2024-01-10 09:00", actor=SUPERVISOR, approved=SUPERVISOR))


def publish(year: int, holidays: list[str], adjusted: list[str], **kw: object) -> object:
    data = {"year": year, "holidays": holidays, "adjusted_working_days": adjusted, "source": "国办发明电"}
    return cmd("CalendarYearPublished", data, "2024-11-12 09:00", **{"actor": ADMIN, "approved": True, **kw})


def test_calendar_year_published() -> None:
    config = Config.open(publish(2030, ["2030-01-01"], ["2030-01-05"]), config_stream_id("QJ"))
    config.publish_calendar_year(publish(2031, ["2031-01-01"], []))
    config.publish_calendar_year(publish(2030, ["2030-01-01", "2030-01-02"], []))
    years = config.calendar_years()
    assert [y["year"] for y in years] == [2030, 2031] and years[0]["holidays"] == ["2030-01-01", "2030-01-02"]
    cal = config.work_calendar(CALENDAR)
    assert cal.covers(2031) and not cal.is_working_day(date(2030, 1, 2))


def test_calendar_year_is_validated() -> None:
    config = Config.open(publish(2030, [], []), config_stream_id("QJ"))
    with pytest.raises(errors.ValidationFailed):
        config.publish_calendar_year(publish(2030, ["2031-01-01"], []))
    with pytest.raises(errors.ValidationFailed):
        config.publish_calendar_year(publish(2030, ["2030-01-01"], ["2030-01-01"]))
    with pytest.raises(errors.ApprovalRequired):
        config.publish_calendar_year(publish(2030, [], [], approved=False))


# -- conflict of interest (§10, scenario 9) -------------------------------------------------------------------
def seconded_from_a03() -> User:
    user = new_user("u-staff-9")
    affiliate(user, "A03", "2021-06-01", "2023-03-31")
    return user


def test_secondment_within_24_months_conflicts() -> None:
    index = ConflictIndex.from_states([seconded_from_a03()])
    assert index.check("u-staff-9", ["A03"], at("2024-02-01 10:00"))
    assert index.check("u-staff-9", ["A01", "A03"], at("2025-03-31 23:00"))
    assert not index.check("u-staff-9", ["A03"], at("2025-04-01 00:00"))
    assert not index.check("u-staff-9", ["A04"], at("2024-02-01 10:00"))
    assert not index.check("u-other", ["A03"], at("2024-02-01 10:00"))


def test_lookback_is_configurable() -> None:
    index = ConflictIndex.from_states([seconded_from_a03()], months=36)
    assert index.check("u-staff-9", ["A03"], at("2025-04-01 00:00"))


def test_affiliation_not_yet_begun_or_still_open() -> None:
    affs = [{"org_id": "A03", "kind": "employment", "from": "2024-06-01"}]
    assert not is_conflicted(affs, [], ["A03"], at("2024-05-31 12:00"), {})
    assert is_conflicted(affs, [], ["A03"], at("2030-01-01 12:00"), {})


def test_lineage_predecessor_and_successor() -> None:
    a10 = new_org("A10")
    a10.restructure(cmd("OrgRestructured", {"predecessor_ids": ["A03"], "successor_id": "A10"},
                        "2024-01-05 09:00", actor=ADMIN, approved=True))
    index = ConflictIndex.from_states([seconded_from_a03()], [a10, new_org("A04")])
    assert lineage_of([a10]) == {"A10": ["A03"]}
    assert index.check("u-staff-9", ["A10"], at("2024-02-01 10:00"))  # successor of A03
    other = ConflictIndex({"u-1": [{"org_id": "A10", "kind": "employment", "from": "2023-01-01"}]},
                          {"A10": ["A03"]})
    assert other.check("u-1", ["A03"], at("2024-02-01 10:00"))  # predecessor of A10
    assert related_orgs(["A01"], {"A10": ["A03", "A01"], "A20": ["A10"]}) == {"A01", "A03", "A10", "A20"}


def test_recusal_conflicts() -> None:
    index = ConflictIndex({}, {"A10": ["A03"]}, {"u-5": ["A03"]})
    assert index.check("u-5", ["A10"], at("2024-02-01 10:00"))
    assert not index.check("u-5", ["A04"], at("2024-02-01 10:00"))


def test_index_accepts_plain_dicts() -> None:
    users = [{"user_id": "u-1", "affiliations": [{"org_id": "A03", "kind": "declared_interest",
                                                   "from": date(2020, 1, 1), "to": date(2023, 1, 1)}]}]
    index = ConflictIndex.from_states(users, [{"org_code": "A10", "predecessor_ids": ["A03"]}])
    assert index.check("u-1", ["A10"], date(2024, 12, 31))
    assert not index.check("u-1", ["A10"], date(2025, 1, 2))


def test_months_before_clamps() -> None:
    assert months_before(date(2024, 2, 29), 12) == date(2023, 2, 28)
    assert months_before(date(2024, 3, 31), 1) == date(2024, 2, 29)
    assert months_before(date(2024, 1, 15), 24) == date(2022, 1, 15)


def test_assigning_a_seconded_user_to_an_a03_clue_is_refused() -> None:
    reporter = {"kind": "anonymous", "contactable": False}
    clue = Clue.receive(cmd("ClueReceived", {"channel": "hotline_12345", "summary": "执法不规范",
                                             "subject_agency_ids": ["A03"], "reporter": reporter},
                            "2024-02-01 09:00"), uuid4())
    index = ConflictIndex.from_states([seconded_from_a03()])
    data = {"assignment_id": "8f7c2f0e-8a39-4a8a-9d8e-3f6f5b2a9c11", "assignee_user_id": "u-staff-9",
            "role_on_clue": "lead"}
    assign = replace(cmd("ClueAssigned", data, "2024-02-01 10:00", actor=SUPERVISOR), is_conflicted=index.check)
    with pytest.raises(errors.ConflictOfInterest):
        clue.assign(assign)
