"""The world of the synthetic profiles (domain.md §12.2): bureaus and their people, supervised units, partners,
working-time helpers, document references and wording, and the registry/config commands.

``stress`` is one city (汉渠市司法局, bureau ``HQ`` with the demo's 28 units and 3 townships); ``scale`` has 20
county-level bureaus (the ledger's own bureau first, then ``B02``…``B20``), each with 12 units. All names are
fictional. Nothing here reads the clock or the database.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from domain.calendar import WorkCalendar
from domain.deadlines import BUSINESS_TZ
from domain.registry import config_stream_id, org_stream_id, user_stream_id
from infra.demo.registry import CALENDAR_SOURCES, PARTNERS, TOWNSHIPS, UNIT_NAMES, UNITS

CST = BUSINESS_TZ
CALENDAR = WorkCalendar.default()
OPENING, CLOSING = time(8, 30), time(17, 30)
SEED = 20240718
YEARS = (2023, 2024, 2025)
CITIES = ("汉渠", "青岚", "云溪", "石桥", "临川", "白沙", "枫林", "清河", "松阳", "安澜", "柳江", "平湖", "长丰", "鹤山",
          "东陵", "望江", "桐柏", "兰亭", "金牛", "雁鸣")  # fictional county-level cities
SCALE_UNITS = UNIT_NAMES[:12]
PARTNER_KINDS = {"jwjw": ("纪律检查委员会 监察委员会", "discipline_organ"), "gaj": ("公安局", "public_security"),
                 "fyb": ("行政复议办公室", "reconsideration_office")}


def actor(user_id: str, role: str, org_id: str) -> dict[str, str]:
    return {"user_id": user_id, "role": role, "org_id": org_id}


@dataclass
class Bureau:
    """One 司法局 with its people and the units it supervises."""

    code: str
    city: str
    units: dict[str, str]  # unit code → name
    partners: dict[str, tuple[str, str]]  # org code → (name, org_type)
    admin: dict[str, str]
    supervisors: list[dict[str, str]]
    staff: list[dict[str, str]]
    liaisons: dict[str, dict[str, str]] = field(default_factory=dict)  # unit code → current liaison
    counters: dict[tuple[str, int], int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.city}市司法局"

    @property
    def integration(self) -> dict[str, str]:
        return actor("integration_12345", "integration_12345", self.code)

    @property
    def scheduler(self) -> dict[str, str]:
        return actor("system_scheduler", "system_scheduler", self.code)

    @property
    def api(self) -> dict[str, str]:
        return actor("system_api", "system_api", self.code)

    def partner(self, kind: str) -> str:
        return f"{self.code.lower()}-{kind}"

    def next_no(self, kind: str, year: int) -> int:
        """The next number of this bureau's 文号 series (notices, reminders, 复议案号 …) in ``year``."""
        n = self.counters.get((kind, year), 0) + 1
        self.counters[(kind, year)] = n
        return n

    def liaison(self, unit: str) -> dict[str, str]:
        return self.liaisons.get(unit) or actor(f"u-liaison-{unit.lower()}", "agency_liaison", unit)


def make_bureaus(count: int, first_code: str) -> list[Bureau]:
    """``count`` bureaus: one city (``count`` 1, the demo's units) or ``count`` counties of 12 units each."""
    bureaus = []
    for n in range(count):
        code = first_code if n == 0 else f"B{n + 1:02d}"
        city = CITIES[n % len(CITIES)]
        if count == 1:
            units = {**UNITS, **TOWNSHIPS}
            partners = {code: value for code, value in PARTNERS.items()}
        else:
            units = {f"{code}-A{i:02d}": f"{city}市{name}" for i, name in enumerate(SCALE_UNITS, 1)}
            partners = {}
        for kind, (suffix, org_type) in PARTNER_KINDS.items():
            partners.setdefault(f"{code.lower()}-{kind}", (f"{city}市{suffix}", org_type))
        low = code.lower()
        bureaus.append(Bureau(
            code, city, units, partners, admin=actor(f"u-{low}-admin", "admin", code),
            supervisors=[actor(f"u-{low}-sup-{i}", "supervisor", code) for i in range(1, 4)],
            staff=[actor(f"u-{low}-staff-{i}", "supervision_staff", code) for i in range(1, 13 if count == 1 else 7)]))
    return bureaus


# -- time ---------------------------------------------------------------------------------------------------
def working_days(start: date, end: date) -> list[date]:
    days, day = [], start
    while day <= end:
        if CALENDAR.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def add_working_days(day: date, n: int) -> date:
    """``n`` working days after ``day`` (0: ``day`` itself if it is a working day, else the next one)."""
    if n == 0:
        return CALENDAR.next_working_day_on_or_after(day).date
    return CALENDAR.add_working_days(day, n).date


def working_day_before(day: date) -> date:
    """``day`` if it is a working day, else the last working day before it."""
    while not CALENDAR.is_working_day(day):
        day -= timedelta(days=1)
    return day


def moment(rng: random.Random, day: date, after: datetime | None = None, gap: int = 8) -> datetime:
    """A business time on working day ``day`` (08:30–17:30), at least ``gap`` minutes after ``after``;
    the next working day when ``day`` has no room left."""
    day = add_working_days(day, 0)
    earliest = datetime.combine(day, OPENING, CST)
    if after is not None and after + timedelta(minutes=gap) > earliest:
        earliest = after + timedelta(minutes=gap)
    latest = datetime.combine(day, CLOSING, CST) - timedelta(minutes=5)
    if earliest > latest:
        return moment(rng, add_working_days(day, 1), after, gap)
    span = int((latest - earliest).total_seconds() // 60)
    return earliest + timedelta(minutes=rng.randint(0, min(span, 150)))


def spread(n: int, days: list[date]) -> list[date]:
    """``n`` days spread evenly (in order) over ``days``."""
    return [days[i * len(days) // n] for i in range(n)] if days else []


def quota(total: int, shares: dict[str, float]) -> dict[str, int]:
    """Integer counts of ``total`` split by ``shares`` (largest remainder), summing to ``total``."""
    raw = {k: total * v / sum(shares.values()) for k, v in shares.items()}
    counts = {k: int(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: raw[k] - counts[k], reverse=True)[:total - sum(counts.values())]:
        counts[k] += 1
    return counts


# -- documents and wording -------------------------------------------------------------------------------------
def doc(profile: str, key: str, name: str, number: str | None = None, *, sensitivity: str = "S1",
        mime: str = "application/pdf") -> dict[str, Any]:
    digest = hashlib.sha256(f"{profile}:doc:{key}:{name}".encode()).hexdigest()
    ref = {"doc_id": digest[:24], "name": name, "doc_type": "document",
           "content_hash": hashlib.sha256(f"content:{digest}".encode()).hexdigest(),
           "size_bytes": 20_000 + int(digest[24:30], 16) % 400_000, "mime": mime,
           "storage_ref": f"dms://{profile}/{digest[30:46]}", "sensitivity": sensitivity}
    if number:
        ref["doc_number"] = number
    return ref


def token(profile: str, key: str) -> str:
    import base64

    return "pt_" + base64.b32encode(hashlib.sha256(f"{profile}:token:{key}".encode()).digest()).decode().lower()[:26]


def hex64(*parts: Any) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()


ISSUES = (  # (problem categories, what the reporter says)
    (["rough"], "执法人员在检查中态度生硬、言语粗暴,当事人情绪激动"),
    (["violent"], "执法人员强行收缴经营物品,与当事人发生推搡"),
    (["excessive", "discretion_benchmark"], "对轻微违法行为顶格处罚,未考虑首次违法、及时改正等情节"),
    (["one_size_fits_all"], "对辖区沿街商户统一限期关停,未区分具体情形"),
    (["inaction"], "多次反映的违法占道经营问题长期未予查处"),
    (["profit_driven"], "以罚代管,罚款后未督促整改,同一问题反复处罚"),
    (["arbitrary_action"], "未出示执法证件即进入经营场所检查"),
    (["procedure_illegal"], "作出处罚决定前未告知陈述、申辩权利"),
    (["mechanical"], "机械执法,对已及时改正的轻微违法行为仍予处罚"),
    (["inadequate_performance"], "对投诉事项答复敷衍,未实际核查"),
)
CHANNEL_TEXT = {"hotline_12345": "12345热线工单:市民反映", "letter_visit": "来信反映", "online_platform": "网络问政平台留言:",
                "discipline_inspection_referral": "纪检监察机关移交问题线索:", "reconsideration_case": "行政复议机构移交:",
                "case_file_review": "案卷评查中发现:", "inspection": "法治督察中发现:", "media": "媒体报道:",
                "npc_cppcc": "人大代表建议反映:", "self_initiated": "日常监督中发现:"}


def summary(channel: str, unit_name: str, issue: int) -> str:
    return f"{CHANNEL_TEXT.get(channel, '')}{unit_name}{ISSUES[issue][1]},请求依法监督。"


# -- registry and configuration ---------------------------------------------------------------------------------
def registry_ops(profile: str, bureaus: list[Bureau], config_bureau: str) -> list[dict[str, Any]]:
    """Every registry/config command of the profile, in dependency-closed priority order: the calendar years, each
    bureau (round robin) with its supervisors, staff, units and liaisons. Any prefix is a valid registry.

    Each op: ``command, input, actor, stream, approvers, day`` (a date, or a (year, month, day) for calendars)."""
    setup = actor("svledger-setup", "admin", bureaus[0].code)
    first = date(YEARS[0], 1, 3)
    ops: list[dict[str, Any]] = []
    for year, day in ((2023, first), (2024, date(2023, 10, 26)), (2025, date(2024, 11, 13))):
        source = CALENDAR_SOURCES.get(year, f"国务院办公厅关于{year}年部分节假日安排的通知")
        payload = {**CALENDAR.year(year).to_payload(), "source": source}
        ops.append(_op("publishCalendarYear", payload, bureaus[0].admin, config_stream_id(config_bureau), day,
                       bureaus[0].supervisors[0]))
    per_bureau = [_bureau_ops(b, setup if n == 0 else bureaus[0].admin, first) for n, b in enumerate(bureaus)]
    longest = max(len(x) for x in per_bureau)
    for i in range(longest):
        ops.extend(x[i] for x in per_bureau if i < len(x))
    return ops


def _op(command: str, data: dict[str, Any], who: dict[str, str], stream: Any, day: date,
        *approvers: dict[str, str]) -> dict[str, Any]:
    return {"command": command, "input": data, "actor": who, "stream": stream, "approvers": approvers, "day": day}


def _bureau_ops(b: Bureau, registrar: dict[str, str], day: date) -> list[dict[str, Any]]:
    ops = [_op("registerOrg", {"org_code": b.code, "name_zh": b.name, "org_type": "justice_bureau",
                               "is_supervised": False}, b.admin if registrar["role"] != "admin" else registrar,
               org_stream_id(b.code), day)]
    sup1, sup2 = b.supervisors[0], b.supervisors[1]

    def user(person: dict[str, str], by: dict[str, str], name: str, scope: str | None = None,
             when: date = day) -> None:
        approver = sup2 if person["user_id"] == sup1["user_id"] else sup1
        stream = user_stream_id(person["user_id"])
        ops.append(_op("registerUser", {"user_id": person["user_id"], "display_name": name, "org_id": person["org_id"]},
                       by, stream, when, approver))
        role = {"user_id": person["user_id"], "role": person["role"], **({"scope_org_id": scope} if scope else {})}
        ops.append(_op("grantRole", role, by, stream, when, approver))
        if person["role"] == "agency_liaison":
            ops.append(_op("appointLiaison", {"user_id": person["user_id"], "org_id": scope}, by, stream, when))

    user(b.admin, registrar, f"{b.city}市司法局系统管理员")
    for n, person in enumerate([*b.supervisors, *b.staff], 1):
        title = "行政执法协调监督科科长" if n == 1 else ("分管副局长" if n == 2 else "")
        user(person, b.admin, f"{b.city}市司法局{title or '工作人员'}{n:02d}")
    for code, (name, org_type) in b.partners.items():
        ops.append(_op("registerOrg", {"org_code": code, "name_zh": name, "org_type": org_type, "is_supervised": False},
                       b.admin, org_stream_id(code), day))
    liaison_day = add_working_days(day, 1)
    for code, name in b.units.items():
        township = "镇人民政府" in name
        ops.append(_op("registerOrg", {"org_code": code, "name_zh": name, "is_supervised": True,
                                       "org_type": "township_government" if township else "municipal_department"},
                       b.admin, org_stream_id(code), liaison_day))
        user(b.liaison(code), b.admin, f"{name}行政执法工作联络员", scope=code, when=liaison_day)
    return ops


def rotation_ops(rng: random.Random, bureaus: list[Bureau], budget: int, days: list[date]) -> list[dict[str, Any]]:
    """``budget`` further registry events spread over ``days``: liaison rotations (a new liaison registered, granted,
    appointed; the predecessor's appointment and role revoked) and temporary 评查 auditor roles of staff. The op
    appointing a liaison carries ``becomes_liaison`` (bureau, unit, actor): the driver makes it current when run."""
    ops: list[dict[str, Any]] = []
    current: dict[str, dict[str, str]] = {}
    busy: dict[str, date] = {}  # staff user → the day their temporary auditor role is revoked
    n = 0
    while len(ops) < budget:
        b = bureaus[n % len(bureaus)]
        day = days[min(len(days) - 1, len(ops) * len(days) // max(budget, 1))]
        n += 1
        approver = b.supervisors[n % 2]
        person = b.staff[(n // 3) % len(b.staff)]
        if n % 3 == 0 and busy.get(person["user_id"], date.min) < day:
            grant = {"user_id": person["user_id"], "role": "auditor"}
            revoke_day = add_working_days(day, rng.randint(20, 40))
            busy[person["user_id"]] = revoke_day
            ops.append(_op("grantRole", grant, b.admin, user_stream_id(person["user_id"]), day, approver))
            ops.append(_op("revokeRole", grant, b.admin, user_stream_id(person["user_id"]), revoke_day, approver))
            continue
        unit = sorted(b.units)[n % len(b.units)]
        old = current.get(unit) or b.liaison(unit)
        new = actor(f"u-liaison-{unit.lower()}-{n}", "agency_liaison", unit)
        current[unit] = new
        stream_new, stream_old = user_stream_id(new["user_id"]), user_stream_id(old["user_id"])
        ops += [_op("registerUser", {"user_id": new["user_id"], "display_name": f"{b.units[unit]}联络员(轮换{n})",
                                     "org_id": unit}, b.admin, stream_new, day, approver),
                _op("grantRole", {"user_id": new["user_id"], "role": "agency_liaison", "scope_org_id": unit}, b.admin,
                    stream_new, day, approver),
                _op("appointLiaison", {"user_id": new["user_id"], "org_id": unit}, b.admin, stream_new, day),
                _op("revokeLiaison", {"user_id": old["user_id"], "org_id": unit}, b.admin, stream_old, day),
                _op("revokeRole", {"user_id": old["user_id"], "role": "agency_liaison", "scope_org_id": unit},
                    b.admin, stream_old, day, approver)]
        ops[-3]["becomes_liaison"] = (b, unit, new)
    return ops[:budget]


# -- processes ------------------------------------------------------------------------------------------------
@dataclass
class Step:
    """One command of a process, at business time ``at`` (recorded a few minutes later unless ``recorded``)."""

    command: str
    input: dict[str, Any]
    at: datetime
    actor: dict[str, str]
    stream: Any
    approvers: tuple[dict[str, str], ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    recorded: datetime | None = None
    after: Any = None  # called with the result once recorded


class Flow:
    """The clock of one process (a clue, a batch, a case …): every step strictly after the previous one, on
    working days between 08:30 and 17:30."""

    def __init__(self, rng: random.Random, stream: Any, start: datetime) -> None:
        self.rng, self.stream, self.t = rng, stream, start
        self.first = True

    def now(self) -> datetime:
        """The start time for the first step, then a few minutes after the previous step (same day if room)."""
        if self.first:
            self.first = False
            return self.t
        return self.on(self.t.date(), gap=self.rng.randint(8, 40))

    def on(self, day: date, gap: int = 8) -> datetime:
        self.t = moment(self.rng, day, self.t, gap)
        self.first = False
        return self.t

    def later(self, lo: int, hi: int) -> datetime:
        """``lo``–``hi`` working days after the previous step."""
        return self.on(add_working_days(self.t.astimezone(CST).date(), self.rng.randint(lo, hi)))

    def exactly(self, at: datetime) -> datetime:
        self.t, self.first = at, False
        return at

    def step(self, command: str, data: dict[str, Any], who: dict[str, str], *approvers: dict[str, str],
             at: datetime | None = None, stream: Any = None, **meta: Any) -> Step:
        return Step(command, data, at or self.now(), who, stream or self.stream, approvers, meta)
