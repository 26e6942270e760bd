"""``svledger relay``, ``svledger relay-status`` and ``svledger partner-consume`` (domain.md §11).

Registered on the main ``app`` when ``infra.cli`` imports this module; ``python -m infra.cli_relay …``
runs the whole CLI with these commands too.
"""

from __future__ import annotations

import logging
import signal
import time
from typing import Any

import typer
from rich.table import Table

from infra.bootstrap import build_ledger
from infra.cli import DB_OPTION, app, coded_errors, console

BOOTSTRAP_OPTION = typer.Option(None, "--bootstrap-servers", envvar="SVLEDGER_KAFKA_BOOTSTRAP",
                                help="Kafka bootstrap servers, host:port[,host:port] (default localhost:9092)")


def _logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # kafka-python logs every refused connection at ERROR; the relay reports outages itself
    logging.getLogger("kafka").setLevel(logging.INFO if verbose else logging.CRITICAL)


def _stop_flag() -> Any:
    stopping = {"now": False}

    def handler(signum: int, frame: Any) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return lambda: stopping["now"]


@app.command()
@coded_errors
def relay(once: bool = typer.Option(False, "--once", help="catch up with the log, then exit"),
          database_url: str = DB_OPTION, bootstrap_servers: str = BOOTSTRAP_OPTION,
          topic_template: str = typer.Option(None, "--topic-template", envvar="SVLEDGER_TOPIC_TEMPLATE",
                                             help="partner topic, default sl.{env}.partner.{partner}.events.v1"),
          batch_size: int = typer.Option(None, "--batch-size", min=1, max=10_000),
          timeout: float = typer.Option(120.0, "--timeout", help="with --once: give up after this many seconds"),
          replay_partner: str = typer.Option(None, "--replay-partner",
                                             help="re-send a partner's whole feed (identical bytes) first"),
          verbose: bool = typer.Option(False, "--verbose", "-v")) -> None:
    """Publish the partner feed and checkpoints to Kafka (at least once, in per-clue order, redacted)."""
    from infra.relay import Relay, RelayConfig

    _logging(verbose)
    ledger = build_ledger(database_url)
    try:
        config = RelayConfig.from_env(ledger.settings, bootstrap_servers=bootstrap_servers,
                                      topic_template=topic_template, batch_size=batch_size)
    except ValueError as exc:
        console.print(f"[bold red]CONFIG[/]: {exc}")
        raise typer.Exit(2) from None
    stop = _stop_flag()
    worker = Relay(ledger, config)
    try:
        if replay_partner:
            worker.reset(replay_partner)
        deadline = time.monotonic() + timeout if once else None
        done = worker.run(once=once, stop=stop, deadline=deadline)
        console.print(f"relay {'caught up' if done else 'stopped'}: {worker.published} message(s) published "
                      f"(idempotent producer: {worker.idempotent})")
        if once and not done:
            raise typer.Exit(1)
    finally:
        worker.close()


@app.command("relay-status")
@coded_errors
def relay_status(database_url: str = DB_OPTION) -> None:
    """Per feed: confirmed position, log head, events and seconds behind."""
    from infra.relay_store import relay_lag

    table = Table(title="partner feed lag")
    for col in ("feed", "position", "head", "events behind", "seconds behind"):
        table.add_column(col)
    for lag in relay_lag(build_ledger(database_url)):
        table.add_row(lag.name, str(lag.position), str(lag.head), str(lag.events_behind), f"{lag.seconds_behind:.1f}")
    console.print(table)


@app.command("partner-consume")
@coded_errors
def partner_consume(group: str = typer.Option(..., "--group", help="consumer group id"),
                    partner: str = typer.Option(..., "--partner", help="partner code, e.g. hq-jwjw"),
                    database_url: str = DB_OPTION, bootstrap_servers: str = BOOTSTRAP_OPTION,
                    topic: str = typer.Option(None, "--topic", help="default: the partner's topic"),
                    once: bool = typer.Option(False, "--once", help="stop when no message came for --idle seconds"),
                    idle: float = typer.Option(3.0, "--idle"),
                    assign: bool = typer.Option(False, "--assign/--subscribe",
                                                help="assign all partitions, offsets kept in the database "
                                                     "(default: join the consumer group)"),
                    verbose: bool = typer.Option(False, "--verbose", "-v")) -> None:
    """Reference partner consumer: stores each event once (deduplicated by CloudEvent id), checks partnerseq."""
    from infra.relay import RelayConfig
    from infra.relay_consumer import PartnerInbox, consume
    from infra.settings import Settings

    _logging(verbose)
    settings = Settings.from_env(database_url=database_url)
    # the consumer needs only the broker and the topic name, never the relay's pseudonym key
    config = RelayConfig.from_env(settings, bootstrap_servers=bootstrap_servers, dev_pseudonym_key=False)
    name = topic or config.partner_topic(partner)
    report = consume(settings, bootstrap_servers=config.bootstrap_servers, topic=name, partner=partner,
                     group=group, assign=assign, once=once, idle_seconds=idle, stop=_stop_flag())
    inbox = PartnerInbox(settings)
    gaps = inbox.gaps(partner)
    inbox.close()
    console.print(f"{name}: {report.stored} stored, {report.duplicates} duplicate(s) skipped, "
                  f"{report.conflicts} conflict(s), {report.rejected} rejected; "
                  f"clues with partnerseq gaps: {len(gaps)}", highlight=False)
    for clue, missing in sorted(gaps.items()):
        console.print(f"  gap: clue {clue} missing partnerseq {missing}", highlight=False)
    if report.conflicts:
        raise typer.Exit(1)


if __name__ == "__main__":
    from infra.cli import main

    main()
