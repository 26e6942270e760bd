"""``svledger serve`` and ``svledger token`` (the GraphQL API lives in ``api/``)."""

from __future__ import annotations

import typer

from infra.cli import DB_OPTION, app, coded_errors, console


@app.command()
@coded_errors
def serve(host: str = typer.Option("127.0.0.1", "--host"), port: int = typer.Option(8000, "--port"),
          database_url: str = DB_OPTION,
          log_level: str = typer.Option("info", "--log-level", help="uvicorn log level")) -> None:
    """Serve the GraphQL API (GraphiQL at /graphql, health at /healthz, /readyz, /metrics)."""
    import uvicorn

    from api.app import create_app
    from api.config import ApiSettings, ConfigError
    from infra.settings import Settings

    try:
        settings = ApiSettings.from_env(ledger=Settings.from_env(database_url=database_url))
    except ConfigError as exc:
        raise typer.BadParameter(str(exc)) from None
    console.print(f"serving {settings.ledger.database_url} on http://{host}:{port}/graphql")
    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level,
                ws_max_size=settings.max_body_bytes, proxy_headers=False, server_header=False)


@app.command()
def token(role: str = typer.Argument(..., help="supervision_staff, supervisor, discipline_partner, auditor, "
                                               "agency_liaison, admin (or integration_12345)"),
          user: str = typer.Option(None, "--user", help="user id (default u-<role>)"),
          org: str = typer.Option("HQ", "--org", help="org id: the bureau, a partner organ or an agency (A02)"),
          ttl: int = typer.Option(8 * 3600, "--ttl", min=60, help="seconds until the token expires")) -> None:
    """Print a development bearer token signed with the API key (SVLEDGER_JWT_SECRET)."""
    from api.auth import TOKEN_ROLES, TokenKeys, issue_token
    from api.config import ApiSettings, ConfigError

    if role not in TOKEN_ROLES:
        raise typer.BadParameter(f"role must be one of {', '.join(TOKEN_ROLES)}")
    try:
        settings = ApiSettings.from_env()
    except ConfigError as exc:
        raise typer.BadParameter(str(exc)) from None
    keys = TokenKeys(settings.jwt_secret, settings.jwt_issuer, settings.jwt_audience)
    print(issue_token(keys, role, user or f"u-{role}", org, ttl))
