"""``graphql_history``: a clue's audit trail over HTTP, the real API vs a bare Starlette endpoint.

log:      sample clue lifecycles (13 events each) written through the command layer, projected once
          (``audit_timeline``) before the servers start.
ours:     ``auditTrail(clueId)`` (the fields the e2e tests read) posted to ``api.app`` under uvicorn, with an
          auditor's bearer token; each answer is checked to hold the clue's 13 events.
baseline: ``GET /history/{id}`` on a bare Starlette app under uvicorn returning the same rows of the
          same database as JSON (``bench.http_apps``).
Each server runs in its own process (one uvicorn worker); one client sends requests one after the
other over a keep-alive connection. requests/s, and p50/p99 latency for the absolute targets."""

from __future__ import annotations

import itertools
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import Config, alternate, median, percentile, row, scratch_database
from bench.workload import EVENTS_PER_CLUE, Lifecycles

NAME = "graphql_history"
UNIT = "requests/s"
TARGET = "ratio >= 0.5; p50 <= 5 ms, p99 <= 20 ms"
TRAIL = ("query($id: ID!) { auditTrail(clueId: $id) { version eventType occurredAt recordedAt "
         "actor { userId role } approvals { approverUserId } documents { name docNumber contentHash } "
         "data correctedData voided reason target { version } } }")
ROOT = Path(__file__).resolve().parent.parent


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(kind: str, url: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = _port()
    proc = subprocess.Popen([sys.executable, "-m", "bench.http_apps", kind, url, str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return proc, f"http://127.0.0.1:{port}"


def _wait(client: Any, proc: subprocess.Popen[bytes], url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
        try:
            if client.get(url).status_code < 500:
                return
        except Exception:  # noqa: BLE001 - not listening yet
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def _cpu_seconds(proc: subprocess.Popen[bytes]) -> float | None:
    """CPU time (user + system) the server process has used so far; None where /proc is not there."""
    try:
        with open(f"/proc/{proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run(cfg: Config) -> dict[str, Any]:
    import httpx

    from api.auth import TokenKeys, issue_token
    from infra.ledger import Ledger
    from infra.settings import Settings
    from projections.runner import Projector

    n_clues = cfg.pick("graphql_clues", 6, 40)
    reads = cfg.pick("graphql_reads", 80, 500)
    secret = secrets.token_urlsafe(40)
    env = {**os.environ, "SVLEDGER_JWT_SECRET": secret, "SVLEDGER_ENV": "dev", "PYTHONPATH": str(ROOT)}
    with scratch_database("gq") as url:
        ledger = Ledger(Settings(database_url=url))
        procs: list[subprocess.Popen[bytes]] = []
        try:
            lc = Lifecycles(ledger, n_clues, f"gq-{secrets.token_hex(4)}")
            lc.run_all()
            projector = Projector(ledger)
            projector.run_once()
            projector.db.close()
            clues = [str(c) for c in lc.clues]
            (ours_proc, ours_url), (bare_proc, bare_url) = _serve("ours", url, env), _serve("bare", url, env)
            procs = [ours_proc, bare_proc]
            token = issue_token(TokenKeys(secret, "svledger", "svledger-api"), "auditor", "u-auditor-1", "HQ", 3600)
            with httpx.Client(timeout=30.0) as ours_client, httpx.Client(timeout=30.0) as bare_client:
                _wait(ours_client, ours_proc, f"{ours_url}/healthz")
                _wait(bare_client, bare_proc, f"{bare_url}/history/{clues[0]}")
                headers = {"Authorization": f"Bearer {token}"}
                lat: dict[str, list[float]] = {"ours": [], "baseline": []}

                def ours_one(clue: str) -> None:
                    r = ours_client.post(f"{ours_url}/graphql", json={"query": TRAIL, "variables": {"id": clue}},
                                         headers=headers)
                    body = r.json()
                    if r.status_code != 200 or body.get("errors") or len(body["data"]["auditTrail"]) != EVENTS_PER_CLUE:
                        raise AssertionError(f"auditTrail answered {r.status_code}: {r.text[:500]}")

                def bare_one(clue: str) -> None:
                    r = bare_client.get(f"{bare_url}/history/{clue}")
                    if r.status_code != 200 or len(r.json()) != EVENTS_PER_CLUE:
                        raise AssertionError(f"bare endpoint answered {r.status_code}: {r.text[:500]}")

                cpu: dict[str, list[float]] = {"ours": [], "baseline": []}

                def loop(one: Any, sink: list[float], proc: subprocess.Popen[bytes], name: str) -> float:
                    cycle = itertools.cycle(clues)
                    c0, t0 = _cpu_seconds(proc), time.perf_counter()
                    for _ in range(reads):
                        t = time.perf_counter()
                        one(next(cycle))
                        sink.append(time.perf_counter() - t)
                    elapsed, c1 = time.perf_counter() - t0, _cpu_seconds(proc)
                    if c0 is not None and c1 is not None:
                        cpu[name].append(1000 * (c1 - c0) / reads)
                    return reads / elapsed

                for clue in clues:  # warm up both servers (connections, caches, prepared statements)
                    ours_one(clue)
                    bare_one(clue)
                ours, base = alternate(cfg.rounds, lambda r: loop(ours_one, lat["ours"], ours_proc, "ours"),
                                       lambda r: loop(bare_one, lat["baseline"], bare_proc, "baseline"), cfg.log)
            p50, p99 = 1000 * median(lat["ours"]), 1000 * percentile(lat["ours"], 0.99)
            result = row(NAME, ours, base, UNIT, target=TARGET, met=lambda x: False, clues=n_clues,
                         events_per_trail=EVENTS_PER_CLUE, reads_per_round=reads,
                         ours_p50_ms=round(p50, 3), ours_p99_ms=round(p99, 3),
                         baseline_p50_ms=round(1000 * median(lat["baseline"]), 3),
                         baseline_p99_ms=round(1000 * percentile(lat["baseline"], 0.99), 3),
                         # server CPU per request (median round; clock ticks of 10 ms over a round): what the
                         # ratio is made of when the machine is shared and wall times stretch
                         ours_server_cpu_ms=round(median(cpu["ours"]), 3) if cpu["ours"] else None,
                         baseline_server_cpu_ms=round(median(cpu["baseline"]), 3) if cpu["baseline"] else None,
                         server="uvicorn, 1 worker, same machine as the client")
            result["met"] = bool(result["ratio"] >= 0.5 and p50 <= 5 and p99 <= 20)
            return result
        finally:
            for proc in procs:
                _stop(proc)
            ledger.close()
