"""The ``svledger`` command line: thin commands that parse, call the command layer, and print."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from domain.errors import LedgerError
from infra.bootstrap import build_ledger
from infra.context import stream_uuid
from infra.render import event_json, history_table, notification_json

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Supervision Ledger: an event-sourced ledger for law-enforcement supervision (行政执法监督).")
console = Console(width=max(Console().width, 150))
err = Console(stderr=True, soft_wrap=True)
DB_OPTION = typer.Option(None, "--database-url", envvar="SVLEDGER_DATABASE_URL",
                         help="sqlite:///path (default ./svledger.db) or postgresql://user@host:port/db")


def coded_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Print a refusal as one line with its code and exit non-zero; nothing was written."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except LedgerError as exc:
            err.print(f"[bold red]{exc.code}[/]: {escape(exc.message)}", markup=True, highlight=False)
            raise typer.Exit(2) from None

    return wrapper


def parse_actor(text: str) -> dict[str, str]:
    parts = text.split(":")
    if len(parts) != 3:
        raise typer.BadParameter("actor is USER_ID:ROLE:ORG_ID, e.g. u-staff-1:supervision_staff:HQ")
    return {"user_id": parts[0], "role": parts[1], "org_id": parts[2]}


@app.command()
@coded_errors
def init(database_url: str = DB_OPTION) -> None:
    """Create the event store (tables, immutability triggers) if missing."""
    ledger = build_ledger(database_url)
    console.print(f"event store ready: {ledger.settings.database_url}")


@app.command()
@coded_errors
def record(command: str = typer.Argument(..., help="a command of the catalogue, e.g. receiveClue"),
           json_file: str = typer.Option(..., "--json", help='file or "-" holding {"input": {...}, "meta": {...}}'),
           actor: str = typer.Option(os.environ.get("SVLEDGER_ACTOR", ""), "--actor",
                                     help="USER_ID:ROLE:ORG_ID (or env SVLEDGER_ACTOR)"),
           database_url: str = DB_OPTION) -> None:
    """Record one command (input + meta as JSON) through the command layer."""
    text = sys.stdin.read() if json_file == "-" else open(json_file, encoding="utf-8").read()
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        err.print(f"[bold red]VALIDATION_FAILED[/]: not JSON: {exc}")
        raise typer.Exit(2) from None
    if not isinstance(body, dict):
        err.print("[bold red]VALIDATION_FAILED[/]: the JSON must be an object with input and meta")
        raise typer.Exit(2)
    who = body.get("actor") or (parse_actor(actor) if actor else None)
    if who is None:
        err.print("[bold red]VALIDATION_FAILED[/]: give --actor USER_ID:ROLE:ORG_ID or an actor in the JSON")
        raise typer.Exit(2)
    result = build_ledger(database_url).execute(command, body.get("input", {}), body.get("meta", {}), who)
    console.print_json(json.dumps(result, ensure_ascii=False))


@app.command()
@coded_errors
def history(stream_id: str = typer.Argument(..., help="clue (or any stream) id"),
            as_json: bool = typer.Option(False, "--json", help="JSON lines instead of a table"),
            database_url: str = DB_OPTION) -> None:
    """A stream's full history: every event with business and recorded times (中文 labels)."""
    events = build_ledger(database_url).stream_events(stream_uuid(stream_id))
    if as_json:
        for ev in events:
            print(json.dumps(event_json(ev), ensure_ascii=False))
    else:
        console.print(history_table(events))


@app.command()
@coded_errors
def events(after: int = typer.Option(0, "--after", help="log position to start after"),
           limit: int = typer.Option(100, "--limit", min=1, max=10_000),
           database_url: str = DB_OPTION) -> None:
    """The raw ordered log as JSON lines (positions may have gaps)."""
    for n in build_ledger(database_url).notifications(after=after, limit=limit):
        print(json.dumps(notification_json(n), ensure_ascii=False))


@app.command()
def commands() -> None:
    """List every command of the catalogue with the event it records and who may run it."""
    from domain.catalogue import load_all

    for spec in sorted(load_all().values(), key=lambda s: (s.aggregate, s.name)):
        console.print(f"{spec.name:36} {spec.aggregate:20} {spec.event:36} {', '.join(spec.who)}", highlight=False)


@app.command()
@coded_errors
def sample(database_url: str = DB_OPTION) -> None:
    """Record a sample 12345 clue from receipt to closure and print its history."""
    from infra.sample import record_sample_clue

    ledger = build_ledger(database_url)
    clue_id = record_sample_clue(ledger)
    console.print(f"sample clue {clue_id} recorded in {ledger.settings.database_url}")
    console.print(history_table(ledger.stream_events(clue_id)))


@app.command()
@coded_errors
def verify(database_url: str = DB_OPTION, start: int = typer.Option(0, "--from", help="start after this position"),
           stop: int = typer.Option(None, "--to", help="stop at this position")) -> None:
    """Recompute every event hash and chain; exit 0 only if nothing was altered, deleted or reordered."""
    import time

    from infra.verify import verify as run_verify

    started = time.monotonic()
    report = run_verify(build_ledger(database_url), start=start, stop=stop)
    rate = report.checked / max(time.monotonic() - started, 1e-9)
    if report.ok:
        console.print(f"OK: {report.checked} events in {report.streams} streams and {report.checkpoints} signed "
                      f"checkpoints verified ({rate:,.0f} events/s)")
        return
    first = report.problems[0]
    err.print(f"VERIFY_FAILED: position {first['position']} (stream {first['stream_id']} v{first['version']}): "
              f"{first['why']}")
    for p in report.problems[1:]:
        err.print(f"  also: position {p['position']} stream {p['stream_id']} v{p['version']}: {p['why']}")
    raise typer.Exit(1)


@app.command()
@coded_errors
def checkpoint(database_url: str = DB_OPTION) -> None:
    """Append a signed Merkle checkpoint over the whole log (Ed25519 key: SVLEDGER_SIGNING_KEY)."""
    from infra.checkpoints import make_checkpoint

    data = make_checkpoint(build_ledger(database_url))
    if data is None:
        console.print("no new events since the last checkpoint")
    else:
        console.print(f"checkpoint {data['seq']}: {data['tree_size']} events, root {data['merkle_root']}, "
                      f"key {data['signer_key_id']}")


@app.command("export-bundle")
@coded_errors
def export_bundle(stream_id: str = typer.Argument(..., help="clue id"),
                  output: str = typer.Option(..., "-o", "--output", help="file to write"),
                  database_url: str = DB_OPTION) -> None:
    """Write one clue's self-verifying evidence bundle (events, chain, inclusion proofs, signed checkpoint)."""
    from infra.bundle import export_bundle as export

    bundle = export(build_ledger(database_url), stream_uuid(stream_id))
    with open(output, "w", encoding="utf-8") as out:
        json.dump(bundle, out, ensure_ascii=False, indent=1)
    console.print(f"{len(bundle['events'])} events proven against checkpoint {bundle['checkpoint']['seq']} → {output}")


@app.command("verify-bundle")
def verify_bundle(file: str = typer.Argument(...), public_key: str = typer.Option(None, "--public-key",
                  help="trusted Ed25519 public key (hex); default: the key in the bundle")) -> None:
    """Check a bundle with nothing else: hashes, chain, inclusion proofs, checkpoint signature."""
    from infra.bundle import verify_bundle as check

    try:
        with open(file, encoding="utf-8") as f:
            bundle = json.load(f)
        problems = check(bundle, public_key)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        err.print(f"BUNDLE_INVALID: {exc}")
        raise typer.Exit(1) from None
    if problems:
        for p in problems:
            err.print(f"BUNDLE_INVALID: {p}")
        raise typer.Exit(1)
    console.print(f"OK: {len(bundle['events'])} events of {bundle['stream_id']} proven in signed checkpoint "
                  f"{bundle['checkpoint']['seq']} (key {bundle['checkpoint']['signer_key_id']})")


def main() -> None:
    app()


from infra import cli_api, cli_identity, cli_read, cli_relay  # noqa: E402,F401  (register their commands)
