"""``svledger verify``: recompute every event hash and per-stream chain from the stored events and compare
them with the hashes recorded beside them; versions must be contiguous from 1; recompute the Merkle root of
every signed checkpoint from the log, check its hash, its Ed25519 signature and that it extends the one
before. Reports the first bad position and why. Works offline on any copy of the database.

Everything is read in one snapshot (SQLite: one read transaction; PostgreSQL: one REPEATABLE READ
transaction), so events appended meanwhile are neither half-seen nor reported as missing. The scan itself
is ``infra.verify_fast``. A large log (``PARALLEL_MIN_EVENTS``) is split in parts checked at once by this
process and worker processes, one per core (``SVLEDGER_VERIFY_WORKERS=n`` sets the number of processes, 1
turns that off), the first event of each stream in a later part then checked against the state the parts
before it leave, and each process builds the Merkle pyramid of its part; should any part find anything, the
whole range is checked again in one pass, so the report (first bad position, reasons, order) never depends on
the split.

``--from``/``--to``: only the events at positions ``from < p <= to`` are checked; the first event of each
stream in the range must continue the recorded chain of the events before it (its highest version there and
that version's recorded hash); checkpoints recorded in the range are checked (their Merkle roots over the
recorded hashes of the events before the range followed by those of the range). Rows deleted at the end of
the log ("a recorded hash has no stored event") are looked for only when the whole log is verified."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from infra import signing
from infra.checkpoints import checkpoint_hash, signed_body
from infra.merkle import Pyramid, roots
from infra.verify_fast import scan_range, snapshot
from infra.verify_read import BATCH
from infra.verify_scan import Scan

PARALLEL_MIN_EVENTS = 50_000  # below this a worker process costs more than it saves (measured: 30k even, 60k +20 %)
WORKERS_ENV = "SVLEDGER_VERIFY_WORKERS"
MAIN_SHARE = 1.13  # this process's part, a worker's being 1: workers start later and send their part back
MAX_PROCESSES = 8
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

__all__ = ["BATCH", "Report", "verify"]


@dataclass
class Report:
    checked: int = 0
    streams: int = 0
    checkpoints: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    processes: int = 1
    seconds: dict[str, float] = field(default_factory=dict)  # where the time went (wall clock), for tuning

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, position: int | None, stream_id: str, version: int | None, why: str) -> None:
        self.problems.append({"position": position, "stream_id": stream_id, "version": version, "why": why})


def verify(ledger: Any, *, start: int = 0, stop: int | None = None,
           progress: Callable[[int, int], None] | None = None, max_problems: int = 20,
           public_key: str | None = None, workers: int | None = None) -> Report:
    with snapshot(ledger) as (source, spec):
        return _verify(source, spec, start=start, stop=stop, progress=progress, max_problems=max_problems,
                       public_key=public_key, workers=_workers() if workers is None else workers)


def _workers() -> int:
    """Processes for a large log: ``SVLEDGER_VERIFY_WORKERS``, else one per core up to ``MAX_PROCESSES``."""
    try:
        return max(1, int(os.environ.get(WORKERS_ENV, "")))
    except ValueError:
        return max(1, min(MAX_PROCESSES, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                          else os.cpu_count() or 1))


def _verify(source: Any, spec: dict[str, Any], *, start: int, stop: int | None,
            progress: Callable[[int, int], None] | None, max_problems: int, public_key: str | None,
            workers: int) -> Report:
    report, started = Report(), time.perf_counter()
    head = source.head(stop, count=start == 0 and stop is None)
    prior = source.prior(start) if start > 0 else {}
    scan = None
    if workers > 1 and head - start >= PARALLEL_MIN_EVENTS and (spec.get("path") or spec.get("url")):
        scan = _parallel(source, spec, start, head, prior, workers)
        report.processes = workers if scan is not None else 1
    if scan is None:  # one pass: the exact report
        scan = scan_range(source, start, head, prior=prior, max_problems=max_problems,
                          progress=(lambda position: progress(position, head)) if progress else None)
    elif progress:
        progress(head, head)
    report.seconds.update(scan.seconds, scanned=time.perf_counter() - started)
    report.checked = scan.count
    for position, sid, version, why in scan.problems:
        report.fail(position, sid, version, why)
    complete = len(scan.problems) < max_problems  # the scan went to the end of the range
    heads = scan.heads()
    report.streams = len(heads) if start == 0 else len(scan.streams())
    if complete and start == 0 and stop is None:
        # every hash row belongs to a stored event when they match one to one (each event found its own)
        if scan.problems or source.recorded_count() != scan.count - scan.unrecorded:
            _check_truncation(source, heads, report)
    checkpoints = [_checkpoint(position, state) for position, state in scan.checkpoints]
    if checkpoints:
        roots = _roots(source, scan, start, checkpoints)
        if roots is None:  # a checkpoint reaching into the other process's half (forged): one pass after all
            return _verify(source, spec, start=start, stop=stop, progress=progress, max_problems=max_problems,
                           public_key=public_key, workers=1)
        earlier = [_checkpoint(p, s) for p, s in source.checkpoints(start)][-1:] if start > 0 else []
        _check_checkpoints(earlier, checkpoints, roots, report, public_key)
    # in log order (a checkpoint may fail before the next event of a stream shows a deleted row), the first
    # ones: after a broken event every later checkpoint fails too
    report.problems.sort(key=lambda p: (p["position"] is None, p["position"] if type(p["position"]) is int else 0))
    del report.problems[max(max_problems, len(scan.problems) + 1):]
    report.checkpoints = len(checkpoints)
    report.seconds["total"] = time.perf_counter() - started
    return report


def _parallel(source: Any, spec: dict[str, Any], start: int, head: int, prior: dict[str, tuple[Any, str]],
              processes: int) -> Scan | None:
    """The range in ``processes`` parts checked at once, this process taking the first and a worker process
    each of the others (``infra.verify_fast.main`` in a plain subprocess, so nothing of the caller's
    ``__main__`` is imported again); each builds the Merkle pyramid of its part when it holds checkpoints.
    None when any part found a problem or a worker failed (then: one pass)."""
    import pickle
    import select
    import subprocess
    import sys

    started = time.perf_counter()
    weights = [MAIN_SHARE] + [1.0] * (processes - 1)
    bounds, done = [start], 0.0
    for weight in weights[:-1]:
        done += weight
        bounds.append(start + int((head - start) * done / sum(weights)))
    bounds.append(head)
    offset = source.count(0, start) if start > 0 else 0  # leaves before the range
    counts = [source.count(a, b) for a, b in zip(bounds, bounds[1:])]
    snapshot_id = None
    if spec["backend"] == "postgres":
        row = source.conn.execute("SELECT pg_export_snapshot() AS id").fetchone()
        snapshot_id = row["id"] if isinstance(row, dict) else row[0]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([_ROOT, *filter(None, [os.environ.get("PYTHONPATH")])])}
    workers = []
    for k in range(1, processes):
        job = {**spec, "after": bounds[k], "upto": bounds[k + 1], "leaf_start": offset + sum(counts[:k]),
               "snapshot": snapshot_id, "last": k == processes - 1}
        worker = subprocess.Popen([sys.executable, "-c", "from infra.verify_fast import main; main()"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        worker.stdin.write(json.dumps(job).encode())  # type: ignore[union-attr]
        worker.stdin.close()  # type: ignore[union-attr]
        workers.append(worker)
    mine: Scan | None = None
    theirs: list[Any] = []
    pyramid = None
    try:
        mine = scan_range(source, start, bounds[1], prior=prior, max_problems=1)
        if not mine.problems and mine.count == counts[0]:
            busy = not select.select([workers[0].stdout], [], [], 0)[0]
            if mine.checkpoints or busy:  # needed, or built while the workers are still busy
                pyramid = Pyramid(offset, mine.leaves(), mine.odd_leaves)
            mine.seconds["pyramid"] = time.perf_counter() - started - mine.seconds["scan"]
            for worker in workers:
                data = worker.stdout.read()  # type: ignore[union-attr]
                result = pickle.loads(data) if data else None
                theirs.append(result)
                if not isinstance(result, Scan) or result.problems:
                    break
            mine.seconds["waited"] = time.perf_counter() - started - mine.seconds["scan"] - mine.seconds["pyramid"]
    except (OSError, pickle.UnpicklingError, EOFError):
        theirs = []
    finally:
        for worker in workers:
            if worker.poll() is None and len(theirs) < len(workers):
                worker.kill()
            worker.stdout.close()  # type: ignore[union-attr]
            worker.wait()
    if mine is None or mine.problems or mine.count != counts[0] or len(theirs) != len(workers):
        return None
    merged = Scan().prime(mine.heads())
    for k, part in enumerate(theirs, start=1):
        if not isinstance(part, Scan) or part.problems or part.count != counts[k] or not part.continues(
                merged.heads()):
            return None
        merged.prime(part.heads())
    merged.count = sum(counts)
    merged.position = next((p.position for p in reversed([mine, *theirs]) if p.position is not None), None)
    merged.checkpoints = [cp for part in (mine, *theirs) for cp in part.checkpoints]
    merged.touched = set().union(*(part.streams() for part in (mine, *theirs)))
    if merged.checkpoints and pyramid is None:
        pyramid = Pyramid(offset, mine.leaves(), mine.odd_leaves)
    merged.pyramids = [p for p in (pyramid, *(q for part in theirs for q in part.pyramids)) if p is not None]
    merged.leaves_before = offset  # the pyramids start after the leaves before the range
    merged.seconds = {**mine.seconds, "merged": time.perf_counter() - started}
    for k, part in enumerate(theirs, start=1):
        merged.seconds.update({f"worker{k}_{name}": value for name, value in part.seconds.items()})
    return merged


def _check_truncation(source: Any, heads: dict[str, tuple[Any, str]], report: Report) -> None:
    for sid, version in source.recorded_heads():
        seen = heads.get(sid)
        try:
            missing = seen is None or version > seen[0]
        except TypeError:
            missing = True
        if missing:
            report.fail(None, sid, version, "a recorded hash has no stored event (row deleted or log truncated)")
            return


def _checkpoint(position: int, state: Any) -> tuple[int, dict[str, Any]]:
    try:
        data = json.loads(state)["data"]
        if isinstance(data, dict):
            return position, data
    except (TypeError, ValueError, KeyError):
        pass
    return position, {"unreadable": True}


def _roots(source: Any, scan: Scan, start: int,
           checkpoints: list[tuple[int, dict[str, Any]]]) -> dict[int, bytes] | None:
    """The Merkle root over the first n leaves for every checkpoint's tree size n the log reaches (None when
    the pyramids of two processes leave a part of a needed tree out)."""
    sizes = {cp.get("tree_size") for _, cp in checkpoints}
    sizes = {s for s in sizes if type(s) is int and s > 0}
    if not sizes:
        return {}
    pyramids, offset = list(scan.pyramids), scan.leaves_before if scan.pyramids else 0
    if start > 0:  # the leaves before the range: their recorded hashes
        before = source.leaf_range(0, start)
        offset = before.count
        pyramids.append(Pyramid(0, before.leaves(), before.odd_leaves))
    if not scan.pyramids:
        pyramids.append(Pyramid(offset, scan.leaves(), scan.odd_leaves))
    try:
        return roots(pyramids, {s for s in sizes if s <= offset + scan.count})
    except KeyError:
        return None


def _check_checkpoints(earlier: list[tuple[int, dict[str, Any]]], checkpoints: list[tuple[int, dict[str, Any]]],
                       roots: dict[int, bytes], report: Report, public_key: str | None) -> None:
    """Checks 3 and 4 of §10: every root recomputes from the log prefix, signatures and chain hold."""
    previous: dict[str, Any] | None = earlier[-1][1] if earlier else None
    for position, cp in checkpoints:
        seq = cp.get("seq")
        where = f"checkpoint {seq}"
        try:
            if cp.get("unreadable"):
                report.fail(position, "checkpoint", None, "checkpoint event unreadable (not the JSON it was signed as)")
                previous = None
                continue
            root = roots.get(cp["tree_size"])
            if root is None or root.hex() != cp["merkle_root"]:
                report.fail(position, "checkpoint", seq, f"{where}: Merkle root over the first {cp['tree_size']} "
                            "events does not match the log (an event before it was altered, removed or reordered)")
            if checkpoint_hash(cp) != cp["checkpoint_hash"]:
                report.fail(position, "checkpoint", seq, f"{where}: checkpoint_hash does not match its fields")
            key = public_key or cp["public_key"]
            if (public_key and signing.key_id(public_key) != cp["signer_key_id"]) or not signing.valid(
                    key, signed_body(cp), cp["signature"]):
                report.fail(position, "checkpoint", seq, f"{where}: signature invalid for key {signing.key_id(key)}")
            if previous and (cp.get("prev_checkpoint_hash") != previous.get("checkpoint_hash")
                             or cp["tree_size"] <= previous["tree_size"]):
                report.fail(position, "checkpoint", seq, f"{where}: does not extend checkpoint {previous.get('seq')}")
        except (KeyError, TypeError, ValueError) as exc:
            report.fail(position, "checkpoint", seq, f"{where}: malformed ({type(exc).__name__}: {exc})")
        previous = cp
