"""Realistic event streams written through the command layer: the README's sample clue lifecycle
(13 events from receipt to closure, the same commands, actors and approvals as ``infra.sample``),
driven step by step over many clues at once so that the log interleaves clues as it would in use.

The command layer writes ~150 events/s on the bench machine, so the large logs are topped up with
copies of genuine events: ``clone_rewritten`` (catch_up: every UUID renewed per copy, so the
projections see new clues, notices and obligations) and ``clone_filler`` (scale: rows copied inside
PostgreSQL under new stream ids; the clues that are measured are always written by the command layer).
BENCHMARKS.md says how many events of each kind every figure rests on."""

from __future__ import annotations

import multiprocessing
import re
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import psycopg

from bench.common import CST
from domain import errors
from domain.envelope import find_pii
from infra.sample import LIAISON, STAFF, SUPERVISOR, SUPERVISOR2, doc

EVENTS_PER_CLUE = 13
RETRYABLE = (errors.DuplicateDocNumber, errors.StaleVersion)


def _steps(clue: uuid.UUID, serial: str, year: int) -> list[tuple[str, dict[str, Any], dict[str, Any], list[dict[str, Any]]]]:
    """(command, input, actor, approvers) of the sample lifecycle, with ids unique to this clue."""

    def uid(name: str) -> str:
        # rule 20 once mistook some UUIDs for mobile numbers: draw another one (harmless since the fix)
        for salt in range(100):
            value = str(uuid.uuid5(clue, f"{name}{salt or ''}"))
            if not find_pii(value):
                return value
        raise AssertionError("unreachable")

    notice, number = uid("notice"), f"汉司监整〔{year}〕B{serial}号"
    return [
        ("receiveClue", {"channel": "hotline_12345", "summary": "市民反映城管执法人员在夜市摆摊整治中态度粗暴、暴力收缴商品",
                         "subject_agency_ids": ["A02"], "reporter": {"kind": "named", "contactable": True,
                                                                     "reporter_token": "pt_" + "a" * 26}}, STAFF, []),
        ("registerClue", {}, STAFF, []),
        ("acknowledgeReceipt", {"method": "platform", "recipient": "hotline_platform"}, STAFF, []),
        ("screenClue", {"outcome": "valid", "reason_code": "other", "reason": "反映具体执法行为,属监督范围"}, STAFF, []),
        ("openSupervisionCase", {"case_kind": "individual", "lead_user_id": STAFF["user_id"]}, STAFF, [SUPERVISOR]),
        ("startVerification", {"methods": ["document_review", "site_visit"], "team_user_ids": ["u-staff-1"]}, STAFF, []),
        ("recordFinding", {"finding_id": uid("finding"), "conclusion": "substantiated", "problem_categories": ["rough"],
                           "responsible_agency_ids": ["A02"], "summary": "执法过程简单粗暴,未依法出示证件"},
         STAFF, [SUPERVISOR]),
        ("issueNotice", {"notice_id": notice, "notice_type": "rectification_notice", "doc_number": number,
                         "recipient_org_id": "A02", "requirements": "立即纠正粗暴执法行为,30日内书面报告整改情况",
                         "document": doc("行政执法监督整改通知书", number)}, STAFF, [SUPERVISOR]),
        ("serveNotice", {"notice_id": notice, "method": "direct", "service_receipt": doc("送达回证")}, STAFF, []),
        ("reportRectification", {"notice_id": notice, "report": doc("整改报告"), "completion": "complete",
                                 "measures": "开展执法规范化培训,涉事人员调离执法岗位"}, LIAISON, []),
        ("verifyRectification", {"notice_id": notice, "result": "accepted", "method": "site_check",
                                 "reasons": "现场核验整改到位"}, STAFF, [SUPERVISOR]),
        ("closeClue", {"closure_type": "rectified", "closure_reason": "整改到位,予以办结",
                       "closure_report": doc("办结报告")}, STAFF, [SUPERVISOR2]),
        ("sendReporterFeedback", {"feedback_kind": "result", "recipient": "hotline_platform", "method": "platform",
                                  "delivery": "delivered", "satisfaction": "satisfied"}, STAFF, []),
    ]


class Lifecycles:
    """Many clues advanced one step at a time (round robin), each through ``Ledger.execute``."""

    def __init__(self, ledger: Any, n_clues: int, tag: str) -> None:
        self.ledger = ledger
        self.start = datetime.now(CST).replace(microsecond=0) - timedelta(hours=3)
        self.clues = [uuid.uuid5(uuid.NAMESPACE_URL, f"bench:{tag}:{i}") for i in range(n_clues)]
        self.steps = [_steps(c, f"{tag}-{i}", self.start.year) for i, c in enumerate(self.clues)]
        self.versions = {str(c): 0 for c in self.clues}
        self.done = 0  # events written
        self.retries = 0

    def run_step(self, k: int) -> None:
        """Step ``k`` (0..12) for every clue."""
        at = self.start + timedelta(minutes=5 * (k + 1))
        for clue, steps in zip(self.clues, self.steps):
            self.execute(clue, *steps[k], at)

    def execute(self, clue: uuid.UUID, command: str, data: dict[str, Any], actor: dict[str, Any],
                approvers: list[dict[str, Any]], at: datetime) -> None:
        sid = str(clue)
        meta = {"stream_id": sid, "expected_version": self.versions[sid], "occurred_at": at.isoformat(),
                "approvals": [{"approver_user_id": a["user_id"], "approver_role": a["role"],
                               "decided_at": at.isoformat()} for a in approvers]}
        for attempt in range(20):
            try:
                result = self.ledger.execute(command, data, {**meta, "idempotency_key": uuid.uuid4().hex}, actor)
                break
            except RETRYABLE:  # a gapless number taken by a concurrent generator: number again
                self.retries += 1
                if attempt == 19:
                    raise
                time.sleep(0.001 * attempt)
        for ev in result["events"]:
            self.versions[ev["stream_id"]] = max(self.versions.get(ev["stream_id"], 0), ev["version"])
        self.done += len(result["events"])

    def run_all(self, between: Callable[[int], None] = lambda k: None) -> None:
        for k in range(EVENTS_PER_CLUE):
            self.run_step(k)
            between(k)


def _generate(url: str, n_clues: int, tag: str) -> tuple[int, int]:
    from infra.ledger import Ledger
    from infra.settings import Settings

    ledger = Ledger(Settings(database_url=url))
    try:
        lc = Lifecycles(ledger, n_clues, tag)
        lc.run_all()
        return lc.done, lc.retries
    finally:
        ledger.close()


def generate(url: str, n_events: int, processes: int = 2) -> dict[str, Any]:
    """About ``n_events`` events (whole lifecycles) through the command layer, in ``processes``
    writer processes; returns how long it took."""
    n_clues = max(1, n_events // EVENTS_PER_CLUE)
    per = [n_clues // processes + (1 if i < n_clues % processes else 0) for i in range(processes)]
    tag = uuid.uuid4().hex[:8]
    from infra.ledger import Ledger
    from infra.settings import Settings

    Ledger(Settings(database_url=url)).close()  # create the tables once, before the writers race
    t0 = time.perf_counter()
    if processes == 1:
        results = [_generate(url, n_clues, tag)]
    else:
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(processes) as pool:
            results = pool.starmap(_generate, [(url, n, f"{tag}p{i}") for i, n in enumerate(per) if n])
    seconds = time.perf_counter() - t0
    events = sum(r[0] for r in results)
    return {"events": events, "clues": n_clues, "seconds": round(seconds, 2),
            "events_per_s": round(events / seconds, 1), "processes": processes,
            "number_retries": sum(r[1] for r in results)}


def clone_filler(url: str, table: str, seed_ids: list[str], n_events: int, chunk: int = 100_000) -> float:
    """Append about ``n_events`` rows copying the stored events of the ``seed_ids`` streams under new
    stream ids (one new stream per copy, its events consecutive). Returns seconds."""
    t0 = time.perf_counter()
    if n_events <= 0:
        return 0.0
    with psycopg.connect(url, autocommit=True) as conn:
        per_copy = conn.execute(f"SELECT count(*) FROM {table} WHERE originator_id = ANY(%s)",
                                ([uuid.UUID(s) for s in seed_ids],)).fetchone()[0]
        copies = max(1, n_events // max(per_copy, 1))
        step = max(1, chunk // max(per_copy, 1))
        for first in range(0, copies, step):
            n = min(step, copies - first)
            conn.execute(
                f"WITH c AS MATERIALIZED (SELECT md5(random()::text || clock_timestamp()::text || g::text) AS salt, g "
                f"FROM generate_series(1, %s) g), "
                f"s AS MATERIALIZED (SELECT * FROM {table} WHERE originator_id = ANY(%s)) "
                f"INSERT INTO {table} (originator_id, originator_version, topic, state) "
                f"SELECT md5(c.salt || s.originator_id::text)::uuid, s.originator_version, s.topic, s.state "
                f"FROM c CROSS JOIN s ORDER BY c.g, s.originator_id, s.originator_version",
                (n, [uuid.UUID(x) for x in seed_ids]))
    return time.perf_counter() - t0


UUID_RE = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def clone_rewritten(url: str, table: str, n_events: int) -> float:
    """Append ``n_events`` copies of the log's events in log order, every UUID (stream, event,
    notice, finding, obligation ids…) replaced consistently per copy, so that each copy is a new set
    of streams a projection cannot tell from the original. Returns seconds."""
    t0 = time.perf_counter()
    if n_events <= 0:
        return 0.0
    with psycopg.connect(url, autocommit=True) as conn:
        seed = conn.execute(f"SELECT originator_id, originator_version, topic, state FROM {table} "
                            f"ORDER BY notification_id").fetchall()
        if not seed:
            raise RuntimeError("nothing to copy: the log is empty")
        with conn.cursor() as cur, cur.copy(
                f"COPY {table} (originator_id, originator_version, topic, state) FROM STDIN") as copy:
            written, k = 0, 0
            while written < n_events:
                k += 1
                space = uuid.uuid5(uuid.NAMESPACE_URL, f"bench-copy:{uuid.uuid4()}")
                mapped: dict[bytes, bytes] = {}

                def new(m: re.Match[bytes]) -> bytes:
                    old = m.group(0)
                    if old not in mapped:
                        mapped[old] = str(uuid.uuid5(space, old.decode())).encode()
                    return mapped[old]

                for oid, version, topic, state in seed[:n_events - written]:
                    sid = mapped.get(str(oid).encode()) or new(UUID_RE.match(str(oid).encode()))  # type: ignore[arg-type]
                    copy.write_row((sid.decode(), version, topic, UUID_RE.sub(new, bytes(state))))
                written += min(len(seed), n_events - written)
    return time.perf_counter() - t0
