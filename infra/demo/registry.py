"""The registry of ``demo_2024`` (domain.md §12.1): 汉渠市司法局 (``HQ``), its people, partners, the 28
supervised units and 3 townships with one liaison each, a staff secondment (scenario 9), and the
published working-day calendars. Recorded in late October 2023, before the first reconsideration
case carried over into 2024.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.registry import config_stream_id, org_stream_id, user_stream_id
from infra.demo.plan import CALENDAR, Plan, actor

BUREAU, BUREAU_NAME, CITY = "HQ", "汉渠市司法局", "汉渠市"
UNIT_NAMES = ("市场监督管理局", "城市管理执法局", "交通运输局", "生态环境局", "自然资源和规划局", "卫生健康委员会",
              "应急管理局", "农业农村局", "文化和旅游局", "人力资源和社会保障局", "公安局", "住房和城乡建设局",
              "水利和湖泊局", "审计局", "教育局", "民政局", "医疗保障局", "林业局", "商务局", "发展和改革委员会", "财政局",
              "统计局", "退役军人事务局", "经济和信息化局", "行政审批局", "人民防空办公室", "民族宗教事务局", "科学技术局")
UNITS = {f"A{i:02d}": CITY + name for i, name in enumerate(UNIT_NAMES, 1)}
TOWNSHIPS = {"T01": CITY + "东湖镇人民政府", "T02": CITY + "西河镇人民政府", "T03": CITY + "南桥镇人民政府"}
SUPERVISED = {**UNITS, **TOWNSHIPS}
POLICE = "A11"  # 公安局: a supervised unit, and the partner of 两法衔接 transfers
JWJW, PROCURATORATE, HOTLINE, SUPERVISION_OFFICE, RECON_OFFICE, GOVERNMENT = (
    "hq-jwjw", "hq-jcy", "hq-12345", "hq-dcs", "hq-fyb", "hq-gov")
PARTNERS = {
    JWJW: ("中共汉渠市纪律检查委员会 汉渠市监察委员会", "discipline_organ"),
    PROCURATORATE: ("汉渠市人民检察院", "procuratorate"),
    HOTLINE: ("汉渠市12345政务服务便民热线中心", "hotline_center"),
    SUPERVISION_OFFICE: ("汉渠市人民政府政务督察室", "supervision_office"),
    RECON_OFFICE: ("汉渠市行政复议办公室", "reconsideration_office"),
    GOVERNMENT: ("汉渠市人民政府", "municipal_department"),  # 分管副市长 (interviews), not supervised here
}

SETUP = actor("svledger-setup", "admin", BUREAU)  # the installation account that registers the first admin
ADMIN = actor("u-admin-1", "admin", BUREAU)
STAFF = [actor(f"u-staff-{i}", "supervision_staff", BUREAU) for i in range(1, 7)]
SUP1, SUP2 = actor("u-sup-1", "supervisor", BUREAU), actor("u-sup-2", "supervisor", BUREAU)
AUDITOR = actor("u-auditor-1", "auditor", BUREAU)
PARTNER_USER = actor("u-jwjw-1", "discipline_partner", JWJW)
INT = actor("integration_12345", "integration_12345", BUREAU)
SCHEDULER = actor("system_scheduler", "system_scheduler", BUREAU)
SECONDED = STAFF[5]  # u-staff-6, seconded from A03 until 2023-08 (回避 within 24 months, scenario 9)
PEOPLE = {  # user_id → display name (fictional staff of the bureau)
    "u-admin-1": "何帆", "u-staff-1": "周明远", "u-staff-2": "李静", "u-staff-3": "王浩然", "u-staff-4": "陈晓燕",
    "u-staff-5": "刘志强", "u-staff-6": "赵磊", "u-sup-1": "孙建国(行政执法协调监督科科长)",
    "u-sup-2": "吴海涛(分管副局长)", "u-auditor-1": "郑雪(机关纪委)", "u-jwjw-1": "纪委监委联络员",
}
CALENDAR_SOURCES = {2023: "国务院办公厅关于2023年部分节假日安排的通知(国办发明电〔2022〕16号)",
                    2024: "国务院办公厅关于2024年部分节假日安排的通知(国办发明电〔2023〕7号)"}


def liaison(code: str) -> dict[str, str]:
    return actor(f"u-liaison-{code.lower()}", "agency_liaison", code)


def other_supervisor(user_id: str, sup1: dict[str, str], sup2: dict[str, str]) -> dict[str, str]:
    return sup2 if user_id == sup1["user_id"] else sup1


def register_orgs(plan: Plan, day: str, admin: dict[str, str], orgs: list[tuple[str, str, str, bool]],
                  scope: str | None = None) -> None:
    """``orgs``: (org_code, name_zh, org_type, is_supervised)."""
    for code, name, org_type, supervised in orgs:
        plan.add("registerOrg", {"org_code": code, "name_zh": name, "org_type": org_type,
                                 "is_supervised": supervised},
                 at=plan.slot(day), actor=admin, stream=org_stream_id(code), key=f"org:{code}", scope=scope)


def register_user(plan: Plan, day: str, by: dict[str, str], user: dict[str, str], approver: dict[str, str],
                  *, name: str, scope: str | None = None, liaison_of: str | None = None,
                  key_scope: str | None = None) -> None:
    uid, stream = user["user_id"], user_stream_id(user["user_id"])
    plan.add("registerUser", {"user_id": uid, "display_name": name, "org_id": user["org_id"]},
             at=plan.slot(day), actor=by, stream=stream, approvers=[approver], key=f"user:{uid}", scope=key_scope)
    role: dict[str, Any] = {"user_id": uid, "role": user["role"]}
    if scope:
        role["scope_org_id"] = scope
    plan.add("grantRole", role, at=plan.slot(day), actor=by, stream=stream, approvers=[approver],
             key=f"role:{uid}:{user['role']}", scope=key_scope)
    if liaison_of:
        plan.add("appointLiaison", {"user_id": uid, "org_id": liaison_of}, at=plan.slot(day), actor=by,
                 stream=stream, key=f"liaison:{uid}", scope=key_scope)


def publish_calendar(plan: Plan, day: str, admin: dict[str, str], approver: dict[str, str], year: int,
                     bureau: str = BUREAU) -> None:
    payload = {**CALENDAR.year(year).to_payload(), "source": CALENDAR_SOURCES.get(year, f"{year}年节假日安排通知")}
    plan.add("publishCalendarYear", payload, at=plan.slot(day), actor=admin, stream=config_stream_id(bureau),
             approvers=[approver], key=f"calendar:{bureau}:{year}")


def load_registry(plan: Plan) -> None:
    day = "2023-10-23"
    orgs = [(BUREAU, BUREAU_NAME, "justice_bureau", False)]
    orgs += [(code, name, org_type, False) for code, (name, org_type) in PARTNERS.items()]
    orgs += [(code, name, "public_security" if code == POLICE else "municipal_department", True)
             for code, name in UNITS.items()]
    orgs += [(code, name, "township_government", True) for code, name in TOWNSHIPS.items()]
    register_orgs(plan, day, ADMIN, orgs)
    register_user(plan, day, SETUP, ADMIN, SUP1, name=PEOPLE["u-admin-1"])
    for person in (SUP1, SUP2, *STAFF, AUDITOR):
        register_user(plan, day, ADMIN, person, other_supervisor(person["user_id"], SUP1, SUP2),
                      name=PEOPLE[person["user_id"]])
    register_user(plan, day, ADMIN, PARTNER_USER, SUP1, name=PEOPLE["u-jwjw-1"], scope=JWJW)
    plan.add("recordStaffAffiliation", {"user_id": SECONDED["user_id"], "org_id": "A03", "kind": "secondment",
                                        "from": "2022-09-01", "to": "2023-08-31"},
             at=plan.slot(day), actor=ADMIN, stream=user_stream_id(SECONDED["user_id"]), key="affiliation:u-staff-6")
    publish_calendar(plan, day, ADMIN, SUP2, 2023)
    liaison_day = "2023-10-24"
    for code, name in SUPERVISED.items():
        register_user(plan, liaison_day, ADMIN, liaison(code), SUP1, name=f"{name}行政执法工作联络员",
                      scope=code, liaison_of=code)
    publish_calendar(plan, "2023-10-26", ADMIN, SUP2, 2024)  # the 2024 notice was issued on 2023-10-25
    plan.ids["bureau"] = BUREAU
    plan.ids["registered_on"] = date(2023, 10, 23).isoformat()
