"""行政复议 cases of ``demo_2024`` (domain.md §12.1 "Reconsideration"; seed figures Q8–Q11).

14 cases accepted 2023-11-06…12-15 and carried into 2024; 100 applications 2024-01-02…06-14 decided by
06-21 (83 accepted, 17 not accepted); 84 closed in H1 (14 carried + 70 new) with the seed's dispositions;
13 open at 06-30, closed in Part B from 07-19 on; no case event between 07-01 and 07-18; 24 direct and 4
special-letter 抄告 in H1. Every case is decided within its ``recon_decision`` period. Schedules are drawn
from a fixed random seed, so the plan is identical on every run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from infra.demo.plan import CALENDAR, Plan, d, working_days
from infra.demo.registry import STAFF, SUP1, SUP2

SEED = 20240718
NEW_LAW = "中华人民共和国行政复议法(2023修订)"
OLD_LAW = "中华人民共和国行政复议法(2017修正)"
H1_OUTCOMES = {"revoked": 1, "confirmed_illegal": 1, "changed": 1, "mediated": 18, "settled_withdrawn": 24,
               "upheld": 31, "claim_rejected": 5, "terminated": 3}
PART_B_OUTCOMES = {"upheld": 6, "mediated": 2, "settled_withdrawn": 3, "claim_rejected": 1, "confirmed_illegal": 1}
CORRECTED = ("revoked", "confirmed_illegal", "changed")
DECISION_DOCS = {"upheld": ("行政复议决定书(维持)", "第六十八条"), "revoked": ("行政复议决定书(撤销)", "第六十四条"),
                 "changed": ("行政复议决定书(变更)", "第六十三条"),
                 "confirmed_illegal": ("行政复议决定书(确认违法)", "第六十五条"),
                 "claim_rejected": ("行政复议决定书(驳回行政复议请求)", "第六十九条"),
                 "mediated": ("行政复议调解书", "第七十三条"), "settled_withdrawn": ("准予撤回行政复议申请决定书", "第七十四条"),
                 "terminated": ("行政复议终止决定书", "第四十一条"), "other": ("行政复议处理决定书", None),
                 "not_supported": ("行政复议决定书(不予支持)", None), "enforcement_suspended": ("停止执行决定书", None),
                 "unclassified": ("行政复议案件办结材料(原台账未载明处理结果)", None)}
REFUSALS = {"not_accepted": "不予受理行政复议申请决定书", "referred_to_competent_authority": "行政复议告知书(告知向有权机关申请)",
            "deemed_withdrawn": "视为撤回行政复议申请通知书", "suspended_pending_litigation": "行政复议中止审查通知书"}
# respondents, weighted as in a county-level city (公安 and 自然资源 most often)
RESPONDENTS = ("A11",) * 6 + ("A05",) * 3 + ("A10",) * 3 + ("A01", "A01", "A02", "A02", "A12", "A12") + (
    "A03", "A04", "A06", "A09", "A13", "A17", "T01", "T02", "T03")
ACTS = {"A11": ("administrative_penalty", "汉公(治)行罚决字"), "A05": ("information_disclosure", "汉自然资依复"),
        "A10": ("work_injury_determination", "汉人社工认"), "A01": ("administrative_penalty", "汉市监罚"),
        "A02": ("administrative_compulsion", "汉城管强"), "A12": ("administrative_penalty", "汉建罚"),
        "A03": ("administrative_penalty", "汉交执罚"), "A04": ("administrative_penalty", "汉环罚"),
        "A06": ("administrative_penalty", "汉卫健罚"), "A09": ("administrative_penalty", "汉文旅罚"),
        "A13": ("administrative_license", "汉水许"), "A17": ("administrative_penalty", "汉医保罚"),
        "T01": ("demolition_order", "东湖镇拆"), "T02": ("inaction", "西河镇"), "T03": ("demolition_order", "南桥镇拆")}
VIA = ("in_person", "mail", "online", "online", "in_person")


@dataclass
class Case:
    key: str
    respondent: str
    received: date
    decided: date
    accepted: bool
    closed: date | None = None
    outcome: str | None = None
    procedure: str = "ordinary"
    copy: tuple[str, date] | None = None
    recon_no: str | None = None
    decision: str | None = None  # the acceptance decision when not accepted (default not_accepted)
    supplement: date | None = None  # 补正 requested on this day
    legacy: bool = False  # imported historical case (legacy-only outcomes allowed)


def due_date(accepted: date, procedure: str) -> date:
    return CALENDAR.add_calendar_days(accepted, 30 if procedure == "simplified" else 60).date


def schedule() -> list[Case]:
    rng = random.Random(SEED)
    cases: list[Case] = []
    carried = [d(x) for x in ("2023-11-06", "2023-11-09", "2023-11-13", "2023-11-16", "2023-11-20", "2023-11-23",
                              "2023-11-27", "2023-11-30", "2023-12-04", "2023-12-07", "2023-12-11", "2023-12-13",
                              "2023-12-14", "2023-12-15")]
    for n, accepted in enumerate(carried, 1):
        received = CALENDAR.add_working_days(accepted, -rng.randint(2, 4)).date
        window = working_days(max(d("2024-01-02"), accepted + timedelta(days=28)), due_date(accepted, "ordinary"))
        cases.append(Case(f"2023-{n:02d}", RESPONDENTS[rng.randrange(len(RESPONDENTS))], received, accepted, True,
                          closed=rng.choice(window), recon_no=f"汉政复〔2023〕{69 + n}号"))
    days = working_days(d("2024-01-02"), d("2024-06-14"))
    received = sorted([days[round(i * (len(days) - 1) / 99)] for i in range(100)])
    not_accepted = {round(3 + k * 96 / 16) for k in range(17)}
    new: list[Case] = []
    for i, day in enumerate(received):
        decided = CALENDAR.add_working_days(day, rng.randint(2, 5)).date if i < 99 else d("2024-06-21")
        new.append(Case(f"2024-{i + 1:03d}", RESPONDENTS[rng.randrange(len(RESPONDENTS))], day, decided,
                        i not in not_accepted))
    accepted = sorted((c for c in new if c.accepted), key=lambda c: (c.decided, c.key))
    for n, c in enumerate(accepted, 1):
        c.recon_no = f"汉政复〔2024〕{n}号"
    for c in accepted[:70]:  # closed in H1, by 06-28
        last = min(due_date(c.decided, "ordinary"), d("2024-06-28"))
        c.closed = rng.choice(working_days(min(c.decided + timedelta(days=12), last), last))
    for c in accepted[70:]:  # open at 06-30: closed in Part B, from 07-19 and within the period
        c.closed = rng.choice(working_days(d("2024-07-19"), due_date(c.decided, "ordinary")))
    h1 = sorted([*cases, *accepted[:70]], key=lambda c: (c.closed, c.key))
    early = [c for c in h1 if c.closed <= d("2024-06-14")]
    special = rng.sample(early, 4)
    for c, outcome in zip(special, (*CORRECTED, "terminated"), strict=True):
        c.outcome, c.copy = outcome, ("special_letter", CALENDAR.add_working_days(c.closed, 3).date)
    rest = [o for o, k in H1_OUTCOMES.items() for _ in range(k - (o in CORRECTED) - (o == "terminated"))]
    rng.shuffle(rest)
    for c, outcome in zip([c for c in h1 if c.outcome is None], rest, strict=True):
        c.outcome = outcome
    for c in rng.sample([c for c in early if c.copy is None], 24):
        c.copy = ("direct", CALENDAR.add_working_days(c.closed, 2).date)
    rest_b = [o for o, k in PART_B_OUTCOMES.items() for _ in range(k)]
    rng.shuffle(rest_b)
    for c, outcome in zip(accepted[70:], rest_b, strict=True):
        c.outcome = outcome
    for c in accepted[70:73]:
        c.copy = ("direct", CALENDAR.add_working_days(c.closed, 2).date)
    for c in [*cases, *accepted]:  # 简易程序 for quick mediations and settlements within 30 days
        if c.outcome in ("mediated", "settled_withdrawn") and c.closed <= due_date(c.decided, "simplified") \
                and c.decided.year == 2024 and rng.random() < 0.5:
            c.procedure = "simplified"
    return [*cases, *new]


def _require(condition: bool, what: str) -> None:
    if not condition:
        raise ValueError(f"reconsideration schedule breaks §12.1: {what}")


def check(cases: list[Case]) -> None:
    """The §12.1 facts this schedule must give (checked at planning time)."""
    new = [c for c in cases if c.received.year == 2024]
    h1_end, contract = d("2024-06-30"), (d("2024-07-01"), d("2024-07-18"))
    _require(len(new) == 100 and sum(c.accepted for c in new) == 83, "100 received, 83 accepted")
    _require(all(c.decided <= d("2024-06-21") for c in new), "decided by 06-21")
    closed_h1 = [c for c in cases if c.closed and c.closed <= h1_end]
    _require(len(closed_h1) == 84 and sum(c.decided.year == 2023 for c in closed_h1) == 14, "84 closed, 14 carried")
    for outcome, count in H1_OUTCOMES.items():
        _require(sum(c.outcome == outcome for c in closed_h1) == count, outcome)
    _require(sum(1 for c in cases if c.accepted and (c.closed is None or c.closed > h1_end)) == 13, "13 open")
    for c in cases:
        dates = [c.received, c.decided, *([c.closed] if c.closed else []), *([c.copy[1]] if c.copy else [])]
        _require(dates == sorted(dates) and len(set(dates)) == len(dates), c.key)
        _require(not any(contract[0] <= x <= contract[1] for x in dates), c.key)
        if c.accepted:
            _require(c.closed <= due_date(c.decided, c.procedure), c.key)
    copies = [c.copy[0] for c in closed_h1 if c.copy and c.copy[1] <= h1_end]
    _require(copies.count("direct") == 24 and copies.count("special_letter") == 4, "抄告 24 + 4")


def plan_case(plan: Plan, c: Case, n: int, who: dict[str, str], sups: tuple[dict[str, str], dict[str, str]],
              act: tuple[str, str]) -> str:
    """Plan one case's events (application, acceptance decision, decision, 抄告); returns its stream id."""
    stream = plan.uid("recon", c.key)
    old_law = c.decided.year < 2024

    def add(command: str, data: dict[str, Any], day: date, *approvers: dict[str, str], **meta: Any) -> None:
        plan.add(command, data, at=plan.slot(day), actor=who, stream=stream, approvers=approvers,
                 key=f"recon:{c.key}:{command}:{day}", **meta)

    def doc(name: str, number: str | None = None, sensitivity: str = "S1") -> dict[str, Any]:
        return plan.doc(name, f"recon:{c.key}", number=number, sensitivity=sensitivity)

    act_date = c.received - timedelta(days=15 + n * 7 % 40)
    tokens = [plan.token("applicant", c.key, k) for k in range(2 if n % 7 == 3 else 1)]
    application = {"applicant_tokens": tokens, "respondent_org_id": c.respondent, "received_via": VIA[n % len(VIA)],
                   "contested_act": {"act_type": act[0], "act_date": act_date.isoformat(),
                                     "doc_number": f"{act[1]}〔{act_date.year}〕{100 + n * 13 % 900}号"},
                   "application": doc("行政复议申请书", sensitivity="S2")}
    if c.legacy:
        application["legacy_import"] = True
    add("receiveReconsiderationApplication", application, c.received)
    if c.supplement:
        add("requestReconsiderationSupplement", {"items": ["申请人身份证明材料", "行政行为的相关证据材料"],
                                                 "notice": doc("行政复议申请补正通知书")}, c.supplement)
    basis = [{"instrument": OLD_LAW, "article": "第十七条"} if old_law else {"instrument": NEW_LAW, "article": "第三十条"}]
    if not c.accepted:
        decision = c.decision or "not_accepted"
        add("decideReconsiderationAcceptance", {"decision": decision, "decision_doc": doc(REFUSALS[decision])},
            c.decided, sups[0], legal_basis=basis)
        return str(stream)
    add("decideReconsiderationAcceptance", {"decision": "accepted", "procedure": c.procedure, "recon_no": c.recon_no,
                                            "decision_doc": doc("行政复议受理通知书", c.recon_no)},
        c.decided, sups[0], legal_basis=basis)
    name, article = DECISION_DOCS[c.outcome]
    law = [{"instrument": NEW_LAW, "article": article}] if article and c.closed.year >= 2024 else []
    add("closeReconsideration", {"outcome": c.outcome, "decision_doc": doc(name, c.recon_no)}, c.closed, sups[1],
        legal_basis=law)
    if c.copy:
        mode, day = c.copy
        add("copyDecision", {"mode": mode, "copied_to_org_id": c.respondent,
                             "document": doc("行政复议决定抄告函" if mode == "special_letter" else "行政复议决定抄告单")}, day)
    return str(stream)


def load_reconsideration(plan: Plan) -> None:
    cases = schedule()
    check(cases)
    staff = (STAFF[4], STAFF[5], STAFF[2])
    ids = plan.ids["reconsideration"] = {}
    for n, c in enumerate(cases):
        who = staff[n % len(staff)]
        if who is STAFF[5] and c.respondent == "A03":  # 回避: u-staff-6 was seconded from A03
            who = STAFF[4]
        ids[c.key] = plan_case(plan, c, n, who, (SUP1, SUP2), ACTS[c.respondent])
