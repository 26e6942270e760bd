"""The benchmark profiles of domain.md §12.2, recorded through the domain rules with the bulk path
(``infra.bulk.BulkSession``):

- ``stress`` (stress_city): one city (bureau ``HQ``), 2023–2025, 1,200 clues a year with the §12.2 channel mix,
  60% screened valid, ~15% of notices overdue, 5% transferred; 12 review batches and 400 行政复议 cases a year;
  generator seed 20240718. ``years``/``clues_per_year``/``batches_per_year``/``recon_per_year`` shrink it. Reporters
  of hotline and letter clues are sealed in the identity vault first (IdentitySealed); what would happen after 31
  December of the last year is not recorded (clues still open then), so the count is a little under the plan.
- ``scale`` (scale_1m): exactly ``events`` events (default 1,000,000) over 20 bureaus, 2023–2025: Clue 72%,
  AccessLog 18% (``recordView`` by ``system_api``), ReviewBatch 5%, ReconsiderationCase 4%, other 1% (registry
  and configuration). Every process's events are counted before it runs, so the budgets are filled exactly; the
  AccessLog share takes the remainder (a few events off 18%) and, should a process be cut at the end of 2025, the
  missing events as views on the last afternoon (``topped_up`` in the summary).

How it runs: every clue, batch, case and day of views is a process (a generator of commands, ``synthetic_clues``,
``synthetic_cases``); one queue plays all of them in recorded-time order (recorded a few minutes after the business
time, which is on a working day between 08:30 and 17:30, except the scheduler's NoticeOverdue at midnight), so the
log is in recorded-time order and the flushes follow the days. Each command goes through ``BulkSession.execute``
with ``now`` = its recorded time. Deterministic: the same arguments give the same commands (event ids are random).
"""

from __future__ import annotations

import heapq
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from domain.registry import config_stream_id
from infra.bulk import BulkSession
from infra.demo.synthetic_cases import (batch_events, batch_flow, draw_batch, draw_recon, recon_events, recon_flow,
                                        views_flow)
from infra.demo.synthetic_clues import CHANNELS, clue_flow, draw_clue, planned_events
from infra.demo.synthetic_world import (CST, SEED, YEARS, Bureau, Step, make_bureaus, moment, quota, registry_ops,
                                        rotation_ops, spread, working_days)
from infra.ledger import Ledger

DELAY = timedelta(minutes=3)  # recorded a few minutes after the business time
SCALE_MIX = {"Clue": 0.72, "AccessLog": 0.18, "ReviewBatch": 0.05, "ReconsiderationCase": 0.04, "other": 0.01}
SCREEN_MIX = {"valid": 60, "invalid": 20, "out_of_scope": 12, "duplicate": 8}


@dataclass
class _Process:
    make: Callable[[], Iterator[Step]]
    planned: int
    kind: str
    emitted: int = 0
    gen: Iterator[Step] | None = None
    streams: set[Any] = field(default_factory=set)


class Engine:
    """Plays processes in recorded-time order through one ``BulkSession``."""

    def __init__(self, ledger: Ledger, profile: str, *, first_stream: Any, horizon: datetime, total: int,
                 flush_every: int, progress: Callable[[int, int], Any] | None) -> None:
        self.profile, self.horizon, self.total = profile, horizon, total
        self.outer_progress = progress
        self.session = BulkSession(ledger, flush_every, first_stream=first_stream, progress=self._flushed)
        self.queue: list[tuple[datetime, int, str, _Process, Step | None]] = []
        self.seq = 0
        self.clock = datetime.min.replace(tzinfo=CST)
        self.versions: dict[str, int] = {}
        self.events = 0
        self.by_type: Counter[str] = Counter()
        self.cut = 0
        self.resources: dict[str, list[str]] = {}
        self.mismatches: list[str] = []

    def _flushed(self, recorded: int) -> None:
        if self.outer_progress is not None:
            self.outer_progress(recorded, max(self.total, recorded))

    def spawn(self, start: datetime, make: Callable[[], Iterator[Step]], planned: int, kind: str) -> None:
        self._push(start, "start", _Process(make, planned, kind), None)

    def _push(self, at: datetime, tag: str, proc: _Process, step: Step | None) -> None:
        if at < self.clock:
            raise AssertionError(f"{proc.kind}: {step.command if step else 'start'} at {at} is before {self.clock}")
        self.seq += 1
        heapq.heappush(self.queue, (at, self.seq, tag, proc, step))

    def run(self) -> None:
        while self.queue:
            at, _, tag, proc, step = heapq.heappop(self.queue)
            if tag == "start":
                self.clock = at
                proc.gen = proc.make()
                self._advance(proc, None)
                continue
            assert step is not None
            if step.at > self.horizon:  # the rest of this process falls after 2025 (or the stress horizon)
                self.cut += proc.planned - proc.emitted
                self._finish(proc, cut=True)
                continue
            self.clock = at
            self._advance(proc, self._execute(proc, step, at))

    def _advance(self, proc: _Process, result: dict[str, Any] | None) -> None:
        try:
            step = next(proc.gen) if result is None else proc.gen.send(result)  # type: ignore[union-attr]
        except StopIteration:
            self._finish(proc)
            return
        self._push(step.recorded or step.at + DELAY, "step", proc, step)

    def _finish(self, proc: _Process, cut: bool = False) -> None:
        if not cut and proc.emitted != proc.planned:
            self.mismatches.append(f"{proc.kind}: planned {proc.planned}, recorded {proc.emitted}")
        for sid in proc.streams:
            self.session.forget(sid)
        if proc.gen is not None:
            proc.gen.close()

    def _execute(self, proc: _Process, step: Step, recorded: datetime) -> dict[str, Any]:
        sid = str(step.stream)
        meta = {"stream_id": sid, "expected_version": self.versions.get(sid, 0),
                "idempotency_key": f"{self.profile}:{self.seq}", "occurred_at": step.at.isoformat(), **step.meta}
        if step.approvers:
            meta["approvals"] = [{"approver_user_id": a["user_id"], "approver_role": a["role"],
                                  "decided_at": step.at.isoformat()} for a in step.approvers]
        try:
            result = self.session.execute(step.command, step.input, meta, step.actor, now=recorded)
        except Exception as exc:
            exc.add_note(f"{self.profile}: {proc.kind} step {step.command} at {step.at.isoformat()} (stream {sid})")
            raise
        for ev in result["events"]:
            self.versions[ev["stream_id"]] = max(self.versions.get(ev["stream_id"], 0), ev["version"])
        proc.emitted += len(result["events"])
        proc.streams.add(step.stream)
        self.events += len(result["events"])
        self.by_type[self.session.ledger.commands[step.command].aggregate] += len(result["events"])
        if step.after is not None:
            step.after(result)
        return result

    def finish(self) -> dict[str, Any]:
        self.session.flush()
        if self.outer_progress is not None:  # the plan's total less what fell after the horizon: done
            self.outer_progress(self.session.recorded, self.session.recorded)
        return {"events": self.events, "commands": self.session.commands, "by_stream_type": dict(self.by_type),
                "cut_at_horizon": self.cut, "mismatches": self.mismatches}


# -- shared planning ---------------------------------------------------------------------------------------------
def _registry_flow(ops: list[dict[str, Any]], start_day: date) -> Callable[[], Iterator[Step]]:
    """The registry/config ops as one process, day by day, evenly spaced within each day."""
    by_day: dict[date, list[dict[str, Any]]] = {}
    for op in ops:
        by_day.setdefault(max(op["day"], start_day), []).append(op)

    def flow() -> Iterator[Step]:
        for day in sorted(by_day):
            todays = by_day[day]
            gap = max(1, 32_000 // len(todays))
            for i, op in enumerate(todays):
                at = datetime.combine(day, datetime.min.time(), CST) + timedelta(hours=8, minutes=30, seconds=i * gap)
                after = _liaison_change(op.get("becomes_liaison"))
                yield Step(op["command"], op["input"], at, op["actor"], op["stream"], tuple(op["approvers"]), {},
                           None, after)
    return flow


def _liaison_change(change: tuple[Bureau, str, dict[str, str]] | None) -> Callable[[Any], None] | None:
    if change is None:
        return None
    bureau, unit, new = change

    def apply(_: Any) -> None:
        bureau.liaisons[unit] = new
    return apply


def _clue_process(engine: Engine, c: Any, seed: str) -> Callable[[], Iterator[Step]]:
    def make() -> Iterator[Step]:
        engine.resources.setdefault(c.bureau.code, []).append(f"clue:{c.stream}")
        return clue_flow(c, engine.session, random.Random(f"{seed}:flow"))
    return make


def _summary(engine: Engine, profile: str, started: float, **extra: Any) -> dict[str, Any]:
    result = engine.finish()
    seconds = time.perf_counter() - started
    return {"profile": profile, **result, "seconds": round(seconds, 2),
            "events_per_s": round(result["events"] / max(seconds, 1e-9), 1), **extra}


# -- stress ---------------------------------------------------------------------------------------------------
def load_stress(ledger: Ledger, progress: Callable[[int, int], Any] | None = None, *, years: int = 3,
                clues_per_year: int = 1200, batches_per_year: int = 12, recon_per_year: int = 400,
                seed: int = SEED, flush_every: int = 2000) -> dict[str, Any]:
    """Record the ``stress`` profile (stress_city) for the first ``years`` of 2023–2025; returns a summary."""
    started, profile = time.perf_counter(), "stress"
    span = YEARS[:max(1, min(years, len(YEARS)))]
    horizon = datetime(span[-1], 12, 31, 23, 59, tzinfo=CST)
    bureau = make_bureaus(1, ledger.settings.bureau)[0]
    ops = [op for op in registry_ops(profile, [bureau], ledger.settings.bureau) if op["day"].year <= span[-1]]
    clues: list[Any] = []
    for year in span:
        rng = random.Random(f"{seed}:{profile}:{year}:clues")
        channels = [ch for ch, n in quota(clues_per_year, CHANNELS).items() for _ in range(n)]
        screens = [s for s, n in quota(clues_per_year, SCREEN_MIX).items() for _ in range(n)]
        rng.shuffle(channels)
        rng.shuffle(screens)
        valid = [i for i, s in enumerate(screens) if s == "valid"]
        transferred = set(rng.sample(valid, min(len(valid), round(clues_per_year * 0.05))))
        days = working_days(date(year, 1, 5), date(year, 12, 31))
        previous = None
        for i, day in enumerate(spread(clues_per_year, days)):
            key = f"{year}-{i + 1:05d}"
            kind = ("discipline" if rng.random() < 0.75 else "police") if i in transferred else None
            c = draw_clue(rng, profile, key, bureau, channels[i], screens[i], kind, seal=True, previous=previous)
            c.start = moment(rng, day)
            previous = str(c.stream)
            clues.append(c)
    batches, cases = _batches_and_cases(profile, seed, [bureau], span, batches_per_year, recon_per_year)
    total = len(ops) + sum(planned_events(c) for c in clues) + sum(batch_events(b) for b in batches) + sum(
        recon_events(r) for r in cases)
    engine = Engine(ledger, profile, first_stream=config_stream_id(ledger.settings.bureau), horizon=horizon,
                    total=total, flush_every=flush_every, progress=progress)
    engine.spawn(datetime.combine(date(span[0], 1, 3), datetime.min.time(), CST), _registry_flow(ops, date(2023, 1, 3)),
                 len(ops), "registry")
    _spawn_all(engine, clues, batches, cases, seed)
    engine.run()
    screened = Counter(c.screen for c in clues)
    return _summary(engine, profile, started, clues=len(clues), batches=len(batches), reconsideration=len(cases),
                    channels=dict(Counter(c.channel for c in clues)), screened=dict(screened),
                    transferred=sum(1 for c in clues if c.transfer), notices=sum(len(c.notices) for c in clues),
                    overdue_notices=sum(n.overdue for c in clues for n in c.notices), planned_events=total,
                    events_per_clue=round(engine.by_type["Clue"] / max(len(clues), 1), 1))


def _batches_and_cases(profile: str, seed: int, bureaus: list[Bureau], span: tuple[int, ...], batches_per_year: int,
                       recon_per_year: int) -> tuple[list[Any], list[Any]]:
    batches, cases = [], []
    kinds = ["case_file_review"] * 8 + ["rule_of_law_inspection"] * 2 + ["self_inspection"] * 2
    for b in bureaus:
        for year in span:
            rng = random.Random(f"{seed}:{profile}:{b.code}:{year}:batches")
            months = spread(batches_per_year, [date(year, m, 10) for m in range(1, 12)])
            for i, first in enumerate(months):
                x = draw_batch(rng, profile, f"{b.code}-{year}-{i + 1:02d}", b, kinds[i % len(kinds)])
                x.start = moment(rng, first + timedelta(days=i % 3))
                batches.append(x)
            rng = random.Random(f"{seed}:{profile}:{b.code}:{year}:recon")
            for i, day in enumerate(spread(recon_per_year, working_days(date(year, 1, 5), date(year, 12, 31)))):
                r = draw_recon(rng, profile, f"{b.code}-{year}-{i + 1:04d}", b)
                r.start = moment(rng, day)
                cases.append(r)
    return batches, cases


def _spawn_all(engine: Engine, clues: list[Any], batches: list[Any], cases: list[Any], seed: int) -> None:
    for c in clues:
        engine.spawn(c.start, _clue_process(engine, c, f"{seed}:{c.key}"), planned_events(c), "clue")
    for b in batches:
        engine.spawn(b.start, (lambda b=b: batch_flow(b, engine.session, random.Random(f"{seed}:{b.key}:flow"))),
                     batch_events(b), "batch")
    for r in cases:
        engine.spawn(r.start, (lambda r=r: recon_flow(r, engine.session, random.Random(f"{seed}:{r.key}:flow"))),
                     recon_events(r), "recon")


# -- scale ----------------------------------------------------------------------------------------------------
def load_scale(ledger: Ledger, progress: Callable[[int, int], Any] | None = None, *, events: int = 1_000_000,
               bureaus: int = 20, seed: int = SEED, flush_every: int = 2000) -> dict[str, Any]:
    """Record exactly ``events`` events of the ``scale`` profile (scale_1m); returns a summary with the mix."""
    if events < 1000:
        raise ValueError("the scale profile needs at least 1,000 events")
    started, profile = time.perf_counter(), "scale"
    world = make_bureaus(bureaus, ledger.settings.bureau)
    budget = quota(events, SCALE_MIX)
    rng = random.Random(f"{seed}:{profile}:plan")
    ops = registry_ops(profile, world, ledger.settings.bureau)[:budget["other"]]
    if len(ops) < budget["other"]:
        ops += rotation_ops(rng, world, budget["other"] - len(ops), working_days(date(2023, 2, 1), date(2025, 11, 28)))
    clues, planned, previous = [], 0, {}
    while True:
        b = world[len(clues) % len(world)]
        screen = rng.choices(list(SCREEN_MIX), list(SCREEN_MIX.values()))[0]
        transfer = ("discipline" if rng.random() < 0.75 else "police") if rng.random() < 0.05 / 0.6 else None
        c = draw_clue(rng, profile, f"{b.code}-{len(clues) + 1:06d}", b, rng.choices(list(CHANNELS),
                      list(CHANNELS.values()))[0], screen, transfer, seal=False, previous=previous.get(b.code))
        if not _fits(planned, planned_events(c), budget["Clue"]):
            break
        previous[b.code] = str(c.stream)
        clues.append(c)
        planned += planned_events(c)
    for c, day in zip(clues, spread(len(clues), working_days(date(2023, 1, 5), date(2025, 6, 30))), strict=True):
        c.start = moment(rng, day)
    batches, cases = _scale_cases(profile, seed, world, budget)
    others = len(ops) + planned + sum(batch_events(b) for b in batches) + sum(recon_events(r) for r in cases)
    days = working_days(date(2023, 1, 5), date(2025, 12, 31))
    views = quota(max(0, events - others), {str(d): 1 for d in days})
    engine = Engine(ledger, profile, first_stream=config_stream_id(ledger.settings.bureau),
                    horizon=datetime(2025, 12, 31, 23, 59, tzinfo=CST), total=events, flush_every=flush_every,
                    progress=progress)
    engine.spawn(datetime.combine(date(2023, 1, 3), datetime.min.time(), CST), _registry_flow(ops, date(2023, 1, 3)),
                 len(ops), "registry")
    _spawn_all(engine, clues, batches, cases, seed)
    log = ledger.settings.bureau
    for day in days:
        if views[str(day)]:
            engine.spawn(datetime.combine(day, datetime.min.time(), CST), _views(engine, profile, log, day,
                         views[str(day)], world, seed), views[str(day)], "views")
    engine.run()
    topped = events - engine.events
    if topped > 0:  # processes cut at the end of 2025: the missing events as views on the last afternoon
        engine.spawn(datetime.combine(days[-1], datetime.min.time(), CST).replace(hour=17, minute=30),
                     _views(engine, profile, log, days[-1], topped, world, seed, late=True), topped, "views")
        engine.run()
    mix = {k: round(v / max(engine.events, 1), 4) for k, v in engine.by_type.items()}
    return _summary(engine, profile, started, requested=events, bureaus=len(world), clues=len(clues),
                    batches=len(batches), reconsideration=len(cases), topped_up=max(topped, 0), mix=mix)


def _scale_cases(profile: str, seed: int, world: list[Bureau], budget: dict[str, int]) -> tuple[list[Any], list[Any]]:
    rng = random.Random(f"{seed}:{profile}:cases")
    kinds = ["case_file_review"] * 8 + ["rule_of_law_inspection"] * 2 + ["self_inspection"] * 2
    batches: list[Any] = []
    planned = 0
    while True:
        b = world[len(batches) % len(world)]
        x = draw_batch(rng, profile, f"{b.code}-{len(batches) + 1:05d}", b, kinds[len(batches) % len(kinds)])
        if not _fits(planned, batch_events(x), budget["ReviewBatch"]):
            break
        batches.append(x)
        planned += batch_events(x)
    for x, day in zip(batches, spread(len(batches), working_days(date(2023, 1, 10), date(2025, 9, 30))), strict=True):
        x.start = moment(rng, day)
    cases: list[Any] = []
    planned = 0
    while True:
        b = world[len(cases) % len(world)]
        r = draw_recon(rng, profile, f"{b.code}-{len(cases) + 1:06d}", b)
        if not _fits(planned, recon_events(r), budget["ReconsiderationCase"]):
            break
        cases.append(r)
        planned += recon_events(r)
    for r, day in zip(cases, spread(len(cases), working_days(date(2023, 1, 5), date(2025, 10, 15))), strict=True):
        r.start = moment(rng, day)
    return batches, cases


def _fits(planned: int, more: int, budget: int) -> bool:
    """Take one more process while the budget is not reached and taking it ends nearer the budget than not."""
    return planned < budget and planned + more - budget <= budget - planned


def _views(engine: Engine, profile: str, log: str, day: date, count: int, world: list[Bureau], seed: int,
           late: bool = False) -> Callable[[], Iterator[Step]]:
    def make() -> Iterator[Step]:
        rng = random.Random(f"{seed}:views:{day}")
        return views_flow(profile, log, day, count, world, engine.resources, rng, late)
    return make
