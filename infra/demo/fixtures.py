"""Statistics fixtures of domain.md §12.1 "Fixtures" (seed figures J1, J2, J4, X1, X2 of §8.2–8.3).

- ``F-J``: bureau ``JH`` (菁华区司法局), 2019: 29 applications with the J2 acceptance decisions (22 / 4 / 1 / 1 / 1,
  受案率 22/29 = 75.86%), 39 applications dated 2018 (J1: −10, −25.64%), and the 2019 case-file review of
  165 files from 19 departments (J4, batch ``JH-RB-2019-01``).
- ``F-X``: bureau ``XZ`` (西洲市人民政府法制办公室), 2016 (the seed masks its years): 753 ``legacy_import`` cases with
  the X1 dispositions; 不予受理 12 are applications decided ``not_accepted`` at the acceptance stage (the seed's
  "受理" counts every application handled), the other 741 accepted and closed, 41 of them ``unclassified``.
- ``F-X2``: bureau ``XZ``, 2017: 95 ``legacy_import`` cases, 24 ``settled_withdrawn`` (X2, 24/95 = 25.26%).

Historical data is imported: every event occurs at its historical business time and is recorded at a fixed
import session (January 2025), with a backdate reason and a supervisor's approval. Figures the seeds do not
give (2018 decisions, 2019 and F-X2 dispositions, review scores) are synthetic and documented here.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, time
from typing import Any

from domain.catalogue.review import grade_for
from infra.demo.batches import Batch, spread
from infra.demo.plan import CALENDAR, CST, Plan, actor, d, working_days
from infra.demo.reconsideration import Case, due_date, plan_case
from infra.demo.registry import (
    UNIT_NAMES,
    other_supervisor,
    register_orgs,
    register_user,
)
from infra.ledger import Ledger

FIXTURES = ("F-J", "F-X", "F-X2")
BUREAUS = {"JH": ("菁华区司法局", "菁华区", "菁政复"), "XZ": ("西洲市人民政府法制办公室", "西洲市", "西政复")}


def _people(bureau: str) -> dict[str, dict[str, str]]:
    low = bureau.lower()
    return {"setup": actor("svledger-setup", "admin", bureau), "admin": actor(f"u-{low}-admin-1", "admin", bureau),
            "staff1": actor(f"u-{low}-staff-1", "supervision_staff", bureau),
            "staff2": actor(f"u-{low}-staff-2", "supervision_staff", bureau),
            "sup1": actor(f"u-{low}-sup-1", "supervisor", bureau),
            "sup2": actor(f"u-{low}-sup-2", "supervisor", bureau)}


def _registry(plan: Plan, bureau: str, departments: int, day: str) -> list[str]:
    """The bureau, its departments (``{bureau}-D01`` …) and its people; keys shared by every fixture of the
    bureau, so that loading F-X and F-X2 into one database registers them once."""
    name, place, _ = BUREAUS[bureau]
    codes = [f"{bureau}-D{i:02d}" for i in range(1, departments + 1)]
    scope = f"registry-{bureau}"
    p = _people(bureau)
    register_orgs(plan, day, p["admin"], [(bureau, name, "justice_bureau", False)] + [
        (code, place + UNIT_NAMES[i % len(UNIT_NAMES)], "municipal_department", True) for i, code in enumerate(codes)],
        scope=scope)
    register_user(plan, day, p["setup"], p["admin"], p["sup1"], name="系统管理员", key_scope=scope)
    for key in ("sup1", "sup2", "staff1", "staff2"):
        register_user(plan, day, p["admin"], p[key], other_supervisor(p[key]["user_id"], p["sup1"], p["sup2"]),
                      name=f"{name}{'复议科科长' if key.startswith('sup') else '工作人员'}", key_scope=scope)
    return codes


def _import_plan(name: str, bureau: str, session: str) -> Plan:
    sup = _people(bureau)["sup1"]["user_id"]
    return Plan(name, import_at=datetime.combine(d(session), time(9, 0), CST),
                import_backdate={"reason": f"历史数据导入({name}):按原行政复议台账及年度报告补录", "approved_by": sup})


def _cases(plan: Plan, bureau: str, key: str, received: list[date], rng: random.Random, respondents: list[str],
           outcomes: list[str | tuple[str, str]], legacy: bool) -> dict[str, str]:
    """One case per receipt day; an outcome is a closing outcome or ("refused", acceptance decision)."""
    p, prefix = _people(bureau), BUREAUS[bureau][2]
    ids, accepted = {}, 0
    for n, (day, outcome) in enumerate(zip(received, outcomes, strict=True)):
        decided = CALENDAR.add_working_days(day, rng.randint(1, 5)).date
        c = Case(f"{key}-{n + 1:03d}", respondents[n % len(respondents)], day, decided, True, legacy=legacy)
        if isinstance(outcome, tuple):
            c.accepted, c.decision = False, outcome[1]
            if c.decision == "deemed_withdrawn":  # 逾期未补正视为撤回: supplement requested, 10 working days lapse
                c.supplement = c.decided
                c.decided = CALENDAR.add_working_days(c.supplement, 12).date
        else:
            accepted += 1
            c.outcome, c.recon_no = outcome, f"{prefix}〔{day.year}〕{accepted}号"
            first = CALENDAR.add_working_days(decided, 10).date
            c.closed = rng.choice(working_days(first, due_date(decided, "ordinary")))
        who = p["staff1"] if n % 2 else p["staff2"]
        ids[c.key] = plan_case(plan, c, n, who, (p["sup1"], p["sup2"]), ("administrative_penalty", f"{c.respondent}罚"))
    return ids


def _spread_days(start: str, end: str, n: int) -> list[date]:
    days = working_days(d(start), d(end))
    return [days[round(i * (len(days) - 1) / max(n - 1, 1))] for i in range(n)]


def _shuffled(rng: random.Random, counts: dict[Any, int]) -> list[Any]:
    items = [k for k, v in counts.items() for _ in range(v)]
    rng.shuffle(items)
    return items


def fixture_j(plan: Plan) -> None:
    rng = random.Random(2019)
    depts = _registry(plan, "JH", 19, "2018-01-02")
    refused = {("refused", "not_accepted"): 4, ("refused", "referred_to_competent_authority"): 1,
               ("refused", "deemed_withdrawn"): 1, ("refused", "suspended_pending_litigation"): 1}
    outcomes_2019 = _shuffled(rng, {"upheld": 13, "revoked": 2, "confirmed_illegal": 1, "terminated": 2,
                                    "mediated": 1, "settled_withdrawn": 3, **refused})  # 22 accepted + 7 = 29
    outcomes_2018 = _shuffled(rng, {"upheld": 20, "revoked": 3, "terminated": 4, "settled_withdrawn": 4,
                                    ("refused", "not_accepted"): 8})  # 39 (synthetic dispositions)
    ids = _cases(plan, "JH", "JH-2018", _spread_days("2018-01-08", "2018-10-26", 39), rng, depts, outcomes_2018,
                 False)
    ids |= _cases(plan, "JH", "JH-2019", _spread_days("2019-01-07", "2019-10-25", 29), rng, depts, outcomes_2019,
                  False)
    plan.ids["reconsideration"] = ids
    p = _people("JH")
    b = Batch(plan, "JH-RB-2019-01")
    title = "2019年度行政执法案卷评查"
    b.open("2019-09-02", p["staff1"], p["sup1"], kind="case_file_review", title=title, scope=depts,
           covered=("2018-07-01", "2019-06-30"), teams=[("法治调研科科长", [p["staff1"], p["staff2"]])])
    files = [(dept, k) for i, dept in enumerate(depts) for k in range(9 if i < 13 else 8)]  # 13 × 9 + 6 × 8 = 165
    sampled = [{"case_file_id": b.uid("file", i), "agency_id": dept, "case_ref": f"{dept}罚〔2019〕{20 + i}号",
                "enforcement_type": ("penalty", "license", "compulsion", "inspection")[i % 4],
                "closed_on": date(2019, 6, 28 - i % 27).isoformat()} for i, (dept, _) in enumerate(files)]
    b("sampleCaseFiles", {"files": sampled, "sampling": "random"}, "2019-09-06", p["staff1"], key="sample")
    for i, day in enumerate(spread(len(sampled), working_days("2019-10-08", "2019-11-29"))):
        score = round(62 + (i * 37 % 360) / 10, 1)
        b("reviewCaseFile", {"case_file_id": sampled[i]["case_file_id"], "score": score, "grade": grade_for(score),
                             "reviewer_user_ids": [p["staff1"]["user_id"], p["staff2"]["user_id"]],
                             "review_form": b.doc(f"行政执法案卷评查表({sampled[i]['case_ref']})", f"form:{i}")},
          day, p["staff1" if i % 2 else "staff2"], key=f"review:{i}")
    b.close("2019-12-06", p["staff1"], p["sup1"], {"files_reviewed": 165, "forms_filled": 165}, title)
    b.flush()


def fixture_x(plan: Plan) -> None:
    rng = random.Random(753)
    depts = _registry(plan, "XZ", 24, "2016-01-04")
    x1 = {"upheld": 323, "revoked": 75, "terminated": 180, "confirmed_illegal": 7, ("refused", "not_accepted"): 12,
          "not_supported": 2, "enforcement_suspended": 1, "other": 112, "unclassified": 41}  # 712 + 41 = 753
    plan.ids["reconsideration"] = _cases(plan, "XZ", "XZ-2016", _spread_days("2016-01-05", "2016-10-28", 753), rng,
                                         depts, _shuffled(rng, x1), True)


def fixture_x2(plan: Plan) -> None:
    rng = random.Random(95)
    depts = _registry(plan, "XZ", 24, "2016-01-04")
    x2 = {"settled_withdrawn": 24, "upheld": 40, "revoked": 8, "terminated": 10, "claim_rejected": 9,
          "confirmed_illegal": 2, "changed": 2}  # 95 (the 71 besides the withdrawals are synthetic)
    plan.ids["reconsideration"] = _cases(plan, "XZ", "XZ-2017", _spread_days("2017-01-04", "2017-10-27", 95), rng,
                                         depts, _shuffled(rng, x2), True)


SPECS: dict[str, tuple[str, str, str, Callable[[Plan], None]]] = {
    "F-J": ("JH", "2019", "2025-01-06", fixture_j), "F-X": ("XZ", "2016", "2025-01-07", fixture_x),
    "F-X2": ("XZ", "2017", "2025-01-08", fixture_x2)}


@contextmanager
def numbering_for(ledger: Ledger, bureau: str) -> Iterator[None]:
    """Gapless numbers (batch numbers) take the ledger's bureau: record a fixture as its own bureau."""
    saved = ledger.settings
    ledger.settings = replace(saved, bureau=bureau)
    try:
        yield
    finally:
        ledger.settings = saved


def build_fixture(name: str) -> Plan:
    if name not in SPECS:
        raise ValueError(f"unknown fixture {name!r}; known: {', '.join(FIXTURES)}")
    bureau, year, session, build = SPECS[name]
    plan = _import_plan(name, bureau, session)
    build(plan)
    plan.ids.update(bureau=bureau, year=int(year))
    return plan


def load_fixture(ledger: Ledger, name: str, progress: Callable[[int, int], Any] | None = None) -> dict[str, Any]:
    """Record fixture ``name`` ("F-J", "F-X", "F-X2"); a second load records nothing."""
    plan = build_fixture(name)
    with numbering_for(ledger, SPECS[name][0]):
        return plan.run(ledger, progress)
