"""``svledger`` commands over the read models: project, status, rebuild, stats, report, demo."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from infra.bootstrap import build_ledger
from infra.cli import DB_OPTION, app, coded_errors, console


@contextmanager
def read_models(database_url: str | None, catch_up: bool = False, batch: int | None = None) -> Iterator[Any]:
    """A projector over the ledger (optionally caught up); closes both connections afterwards."""
    from projections.runner import Projector

    ledger = build_ledger(database_url)
    projector = Projector(ledger, batch_size=batch) if batch else Projector(ledger)
    try:
        if catch_up:
            projector.run_once()
        yield projector
    finally:
        projector.db.close()
        ledger.close()


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=console, transient=False)


@app.command()
@coded_errors
def project(once: bool = typer.Option(False, "--once", help="catch up and exit"),
            poll: float = typer.Option(1.0, "--poll", help="seconds between polls when idle"),
            batch: int = typer.Option(0, "--batch", min=0, max=10_000,
                                      help="events per transaction (0: the projector's default, 5,000)"),
            database_url: str = DB_OPTION) -> None:
    """Run the projector: follow the log and keep every read model up to date (Ctrl-C to stop)."""
    with read_models(database_url, batch=batch) as projector:
        _project(projector, once, poll)


def _project(projector: Any, once: bool, poll: float) -> None:
    started, head = time.monotonic(), projector.ledger.recorder.max_notification_id() or 0
    with _progress() as bar:
        task = bar.add_task("projecting", total=max(head - projector.position(), 1))
        base = projector.position()
        done = projector.run_once(lambda pos, top: bar.update(task, completed=pos - base, total=max(top - base, 1)))
    rate = done / max(time.monotonic() - started, 1e-9)
    console.print(f"caught up: {done} events applied ({rate:,.0f} events/s)")
    if not once:
        console.print("following the log (Ctrl-C to stop)…")
        try:
            projector.run_forever(poll_seconds=poll)
        except KeyboardInterrupt:
            console.print("stopped")


@app.command()
@coded_errors
def status(database_url: str = DB_OPTION) -> None:
    """Log head and, per read model and per partner feed, events and seconds behind."""
    from infra.relay_store import relay_lag

    table = Table(title="lag behind the log")
    for col in ("follower", "position", "head", "events behind", "seconds behind", "last batch events/s"):
        table.add_column(col)
    with read_models(database_url) as projector:
        for lag in [*projector.lag(), *relay_lag(projector.ledger)]:
            table.add_row(lag.name, str(lag.position), str(lag.head), str(lag.events_behind),
                          f"{lag.seconds_behind:.1f}", f"{getattr(lag, 'rate', 0.0):,.0f}")
    console.print(table)


@app.command()
@coded_errors
def rebuild(name: str = typer.Argument(None, help="read model name"), all_: bool = typer.Option(False, "--all"),
            database_url: str = DB_OPTION) -> None:
    """Rebuild read models into fresh tables and swap them in atomically (the old ones keep serving)."""
    from projections.rebuild import rebuild as rebuild_one
    from projections.registry import BY_NAME

    names = sorted(BY_NAME) if all_ else [name] if name else []
    if not names:
        raise typer.BadParameter("give a read model name or --all")
    with read_models(database_url) as projector:
        for n in names:
            position = rebuild_one(projector.ledger, n)
            console.print(f"{n}: rebuilt to position {position}")


@app.command()
@coded_errors
def stats(year: int = typer.Option(None, "--year"), quarter: int = typer.Option(None, "--quarter"),
          month: int = typer.Option(None, "--month"), half: int = typer.Option(None, "--half"),
          start: str = typer.Option(None, "--from", help="custom period start date"),
          end: str = typer.Option(None, "--to", help="custom period end date (inclusive)"),
          as_of: str = typer.Option(None, "--as-of", help="date or datetime: only what had happened and was "
                                                           "recorded by then (a date means its end, 24:00)"),
          known_at: str = typer.Option(None, "--known-at", help="recorded-time cut-off (default: --as-of, or now)"),
          bureau: str = typer.Option(None, "--bureau", help="bureau code (default: SVLEDGER_BUREAU or HQ)"),
          as_json: bool = typer.Option(False, "--json"), database_url: str = DB_OPTION) -> None:
    """Statistics for a period (the seed reports' figures), optionally as of a past moment."""
    from projections.periods import period, point_in_time
    from projections.render import stats_table
    from projections.statistics import statistics

    moment = point_in_time(as_of)
    with read_models(database_url, catch_up=True) as projector:
        result = statistics(projector.db, period(year, quarter=quarter, month=month, half=half, start=start, end=end),
                            bureau=bureau or projector.ledger.settings.bureau, as_of=moment,
                            known_at=point_in_time(known_at) or moment)
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        console.print(stats_table(result))


@app.command()
@coded_errors
def report(year: int = typer.Option(..., "--year"), as_of: str = typer.Option(None, "--as-of"),
           bureau: str = typer.Option(None, "--bureau"), database_url: str = DB_OPTION) -> None:
    """The year's figures as a short Chinese paragraph for the annual summary."""
    from projections.periods import period, point_in_time
    from projections.render import report_paragraph
    from projections.statistics import statistics

    moment = point_in_time(as_of)
    with read_models(database_url, catch_up=True) as projector:
        result = statistics(projector.db, period(year), bureau=bureau or projector.ledger.settings.bureau,
                            as_of=moment, known_at=moment)
    print(report_paragraph(result))


@app.command()
@coded_errors
def demo(profile: str = typer.Option("demo_2024", "--profile", help="demo_2024, fixtures, stress or scale"),
         events: int = typer.Option(None, "--events", help="scale profile: number of events"),
         database_url: str = DB_OPTION) -> None:
    """Load demo data (demo_2024 through the command layer; stress and scale through the bulk path, which
    applies the same domain rules), then bring the read models up to date."""
    from infra.demo import load_demo

    options = {"events": events} if events else {}
    with read_models(database_url) as projector, _progress() as bar:
        ledger = projector.ledger
        task = bar.add_task(f"loading {profile}", total=None)
        summary = load_demo(ledger, profile=profile, **options,
                            progress=lambda done, total: bar.update(task, completed=done, total=total))
        head = ledger.recorder.max_notification_id() or 0
        base = projector.position()
        ptask = bar.add_task("projecting", total=max(head - base, 1))
        projector.run_once(lambda pos, top: bar.update(ptask, completed=pos - base, total=max(top - base, 1)))
    console.print_json(json.dumps(summary, ensure_ascii=False, default=str))
