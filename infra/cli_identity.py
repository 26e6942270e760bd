"""``svledger seal`` / ``svledger shred``: the identity vault and crypto-shredding (domain.md §10)."""

from __future__ import annotations

import json
import os

import typer

from infra.bootstrap import build_ledger
from infra.cli import DB_OPTION, app, coded_errors, console, parse_actor


@app.command()
@coded_errors
def seal(role: str = typer.Option("reporter", "--role", help="reporter, accused, witness or applicant"),
         json_file: str = typer.Option(..., "--json", help='file or "-": {"name": ..., "phone": ..., ...}'),
         actor: str = typer.Option(os.environ.get("SVLEDGER_ACTOR", ""), "--actor", help="USER_ID:ROLE:ORG_ID"),
         database_url: str = DB_OPTION) -> None:
    """Put a person's identity in the vault (encrypted with its own key); prints the token to use in events."""
    import sys

    from infra.vault import Vault

    record = json.loads(sys.stdin.read() if json_file == "-" else open(json_file, encoding="utf-8").read())
    token = Vault(build_ledger(database_url)).seal(record, role, parse_actor(actor))
    console.print(token)


@app.command()
@coded_errors
def shred(token: str = typer.Argument(..., help="person token pt_…"),
          reason: str = typer.Option("legal_request", "--reason", help="retention_expired, legal_request or other"),
          actor: str = typer.Option(os.environ.get("SVLEDGER_ACTOR", ""), "--actor", help="USER_ID:ROLE:ORG_ID"),
          approver: list[str] = typer.Option(..., "--approver", help="USER_ID:supervisor:ORG_ID, twice"),
          database_url: str = DB_OPTION) -> None:
    """Crypto-shred an identity (two supervisors): its key is destroyed, every proof stays valid."""
    from infra.vault import Vault

    Vault(build_ledger(database_url)).shred(token, reason, parse_actor(actor), [parse_actor(a) for a in approver])
    console.print(f"{token}: key destroyed; the identity now reads [shredded]")
