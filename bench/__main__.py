"""``python -m bench``: every hot path of the ledger against its raw baseline, in one process run.

    python -m bench                 # full run, readable table
    python -m bench --quick --json  # < 60 s, one JSON object per line per measure
    python -m bench --only append_1,scale --rounds 5 -v
    python -m bench --set catch_up_events=100000 --set scale_large=1000000

Each pair runs alternately (ABBA) for several rounds; the median of the rounds is reported.
The exit status is 1 when a measure fails to run (an error row is printed), 0 otherwise: a target
not met is a figure, not a failure."""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

from bench import (append_many, append_one, bulk_import, catch_up, graphql_history, pending, relay_rate, scale,
                   verify_rate)
from bench.common import Config, failed
from bench.machine import machine_facts

ORDER = ("append_1", "append_16", "bulk_import", "catch_up", "graphql_history", "relay", "verify", "scale")
MEASURES: dict[str, Callable[[Config], dict[str, Any]]] = {
    **{name: (lambda cfg, name=name: pending.run(name)) for name in pending.PENDING},
    "append_1": append_one.run,
    "append_16": append_many.run,
    "catch_up": catch_up.run,
    "scale": scale.run,
    "verify": verify_rate.run,
    "graphql_history": graphql_history.run,
    "bulk_import": bulk_import.run,
    "relay": relay_rate.run,
}


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes, finishes in under 60 s")
    p.add_argument("--json", action="store_true", help="one JSON object per line per measure")
    p.add_argument("--markdown", metavar="JSONL", help="print the Markdown table of a saved --json run and exit")
    p.add_argument("--only", default="", help="comma-separated measure names (default: all)")
    p.add_argument("--rounds", type=int, default=0, help="alternating rounds per pair (default 3)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=N",
                   help="override a size: append_seconds, append_clues, append16_clues, catch_up_events, "
                        "catch_up_real, scale_small, scale_large, scale_clues, scale_reads, graphql_clues, "
                        "graphql_reads, bulk_events, relay_clues, relay_latency_samples, relay_latency_rate")
    p.add_argument("-v", "--verbose", action="store_true", help="progress on stderr")
    return p.parse_args(argv)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def table(rows: list[dict[str, Any]], markdown: bool = False) -> str:
    head = ("measure", "ours", "baseline", "ratio", "unit", "target", "met", "rounds", "notes")
    lines = []
    for r in rows:
        if r["status"] == "measured":
            notes = {"append_16": lambda: f"missed={r['missed']} dup={r['duplicates']} "
                                          f"baseline_missed={r['baseline_missed']}",
                     "catch_up": lambda: f"{r['events']:,} events ({r['events_command_layer']:,} via commands)",
                     "scale": lambda: f"{r['large_events']:,} vs {r['small_events']:,} events",
                     "graphql_history": lambda: f"p50 {r['ours_p50_ms']} ms, p99 {r['ours_p99_ms']} ms; server CPU "
                                                 f"{r.get('ours_server_cpu_ms')} vs {r.get('baseline_server_cpu_ms')} ms/request",
                     "verify": lambda: f"{r['events']:,} events written by the command layer",
                     "append_1": lambda: f"p50 {r['ours_p50_ms']} ms vs {r['baseline_p50_ms']} ms",
                     "bulk_import": lambda: f"{r['events']:,} events (scale profile) vs COPY of the same rows",
                     "relay": lambda: f"{r['messages']:,} messages; commit -> topic "
                                      f"p50 {r['commit_to_topic_p50_ms']} ms, p99 {r['commit_to_topic_p99_ms']} ms "
                                      f"({r['latency_samples']} samples, {r['latency_missing']} missing)"}
            note = notes.get(r["name"], lambda: "")()
        else:
            note = r.get("note") or r.get("error", "")
        met = {True: "yes", False: "NO", None: "-"}[r.get("met")]
        lines.append((r["name"], _fmt(r["ours"]), _fmt(r["baseline"]), _fmt(r["ratio"]), r.get("unit", ""),
                      r.get("target", ""), met if r["status"] == "measured" else r["status"], str(r.get("rounds", 0)),
                      note))
    if markdown:
        return "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
                         + ["| " + " | ".join(c.replace("|", "/") for c in line) + " |" for line in lines])
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(head)]
    out = ["  ".join(h.ljust(w) for h, w in zip(head, widths)), "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths)) for line in lines]
    return "\n".join(out)


def _terminate(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds through the measures: their scratch databases are dropped


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.markdown:
        with open(args.markdown, encoding="utf-8") as f:
            print(table([json.loads(line) for line in f if line.startswith("{")], markdown=True))
        return 0
    signal.signal(signal.SIGTERM, _terminate)
    overrides = {}
    for item in args.set:
        key, _, value = item.partition("=")
        overrides[key.strip()] = float(value)
    cfg = Config(quick=args.quick, rounds=args.rounds or 3, verbose=args.verbose, overrides=overrides)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(ORDER)
    unknown = [n for n in names if n not in MEASURES]
    if unknown:
        print(f"unknown measure(s): {', '.join(unknown)}; known: {', '.join(ORDER)}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    facts = machine_facts()
    if not args.json:
        print("machine: " + ", ".join(f"{k}={v}" for k, v in facts.items()))
        print(f"mode: {'quick' if cfg.quick else 'full'}, {cfg.rounds} alternating rounds per pair\n", flush=True)
    rows, status = [], 0
    for name in names:
        t0 = time.perf_counter()
        cfg.log(f"{name}: start")
        try:
            result = MEASURES[name](cfg)
        except Exception as exc:  # noqa: BLE001 - one failing measure must not hide the others
            result, status = failed(name, exc), 1
            if cfg.verbose:
                import traceback

                traceback.print_exc()
        result["seconds"] = round(time.perf_counter() - t0, 2)
        result["quick"] = cfg.quick
        rows.append(result)
        cfg.log(f"{name}: done in {result['seconds']} s")
        if args.json:
            print(json.dumps(result, ensure_ascii=False), flush=True)
    total = time.perf_counter() - started
    if not args.json:
        print(table(rows))
        print(f"\ntotal {total:.1f} s")
    else:
        print(f"bench: {len(rows)} measures in {total:.1f} s", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
