"""API settings read from a mapping (default ``os.environ``); nothing is read or connected at import.

Partner pseudonyms use the partner feed's key (``SVLEDGER_PSEUDONYM_KEY``), so a partner sees the same
pseudonyms over GraphQL as in its Kafka feed. The JWT key comes from ``SVLEDGER_JWT_SECRET``. Without it, a development deployment (``SVLEDGER_ENV``
not ``prod``) keeps a random key in ``SVLEDGER_JWT_SECRET_FILE`` (default ``./.svledger-jwt-secret``,
created on first use) so that ``svledger token`` and ``svledger serve`` agree; production refuses to start.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from infra import partner_feed as pf
from infra.settings import Settings

DEFAULT_SECRET_FILE = ".svledger-jwt-secret"


class ConfigError(RuntimeError):
    """The API cannot start with this configuration."""


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class ApiSettings:
    ledger: Settings
    jwt_secret: str = field(repr=False)
    pseudonym_key: bytes = field(default=pf.DEV_PSEUDONYM_KEY.encode(), repr=False)  # the partner feed's key
    jwt_issuer: str = "svledger"
    jwt_audience: str = "svledger-api"
    introspection: bool = True
    graphiql: bool = True
    cors_origins: tuple[str, ...] = ()  # CORS is off unless origins are listed
    max_body_bytes: int = 512 * 1024
    max_depth: int = 10
    max_complexity: int = 5000
    max_aliases: int = 30
    max_tokens: int = 5000
    project_interval: float = 0.5  # seconds between projector catch-ups (SQLite; PostgreSQL when not listening)
    project_max_wait: float = 5.0  # PostgreSQL: seconds between catch-ups when no append is notified
    access_flush_interval: float = 1.0  # seconds between access-log flushes
    subscription_poll: float = 0.2
    ready_max_lag: int = 10_000  # events behind the log head before /readyz says not ready
    read_pool_size: int = 8

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> ApiSettings:
        env = os.environ if environ is None else environ
        ledger = overrides.pop("ledger", None) or Settings.from_env(env)
        prod = ledger.env == "prod"
        values: dict[str, object] = {
            "ledger": ledger,
            "jwt_secret": env.get("SVLEDGER_JWT_SECRET") or "",
            "pseudonym_key": (env.get("SVLEDGER_PSEUDONYM_KEY") or pf.DEV_PSEUDONYM_KEY).encode(),
            "introspection": _flag(env.get("SVLEDGER_INTROSPECTION"), not prod),
            "graphiql": _flag(env.get("SVLEDGER_GRAPHIQL"), not prod),
            "cors_origins": tuple(o.strip() for o in (env.get("SVLEDGER_CORS_ORIGINS") or "").split(",") if o.strip()),
            "max_body_bytes": int(env.get("SVLEDGER_MAX_BODY_BYTES") or 512 * 1024),
            "project_interval": float(env.get("SVLEDGER_PROJECT_INTERVAL") or 0.5),
        }
        values.update(overrides)
        if prod and not env.get("SVLEDGER_PSEUDONYM_KEY") and "pseudonym_key" not in overrides:
            raise ConfigError("SVLEDGER_PSEUDONYM_KEY is required when SVLEDGER_ENV=prod")
        if prod and len(str(values["jwt_secret"])) < 32:
            raise ConfigError("SVLEDGER_JWT_SECRET (at least 32 characters) is required when SVLEDGER_ENV=prod")
        if not values["jwt_secret"]:
            values["jwt_secret"] = dev_secret(Path(env.get("SVLEDGER_JWT_SECRET_FILE") or DEFAULT_SECRET_FILE))
        return cls(**values)  # type: ignore[arg-type]


def dev_secret(path: Path) -> str:
    """The development signing key kept in ``path`` (created with mode 0600 when missing)."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key + "\n")
    return key
