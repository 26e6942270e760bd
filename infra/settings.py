"""Settings read from a mapping (default ``os.environ``): nothing is read or connected at import."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

DEFAULT_DATABASE_URL = "sqlite:///./svledger.db"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    bureau: str = "HQ"
    env: str = "dev"
    max_payload_bytes: int = 256 * 1024
    signing_key: str = "svledger-signing.key"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: str | None) -> Settings:
        env = os.environ if environ is None else environ
        values = {
            "database_url": env.get("SVLEDGER_DATABASE_URL") or DEFAULT_DATABASE_URL,
            "bureau": env.get("SVLEDGER_BUREAU") or "HQ",
            "env": env.get("SVLEDGER_ENV") or "dev",
            "max_payload_bytes": int(env.get("SVLEDGER_MAX_PAYLOAD_BYTES") or 256 * 1024),
            "signing_key": env.get("SVLEDGER_SIGNING_KEY") or "svledger-signing.key",
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://"))

    def eventsourcing_env(self) -> dict[str, str]:
        """The ``eventsourcing`` persistence settings for this database (never POSTGRES_ENABLE_DB_FUNCTIONS)."""
        if self.is_postgres:
            url = urlparse(self.database_url)
            return {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": unquote(url.path.lstrip("/")) or "postgres",
                "POSTGRES_HOST": url.hostname or "127.0.0.1",
                "POSTGRES_PORT": str(url.port or 5432),
                "POSTGRES_USER": unquote(url.username or "postgres"),
                "POSTGRES_PASSWORD": unquote(url.password or ""),
                "POSTGRES_CONN_MAX_AGE": "",
                "POSTGRES_POOL_SIZE": "5",
                "POSTGRES_MAX_OVERFLOW": "10",
                "POSTGRES_LOCK_TIMEOUT": "5",
                "POSTGRES_CONNECT_TIMEOUT": "5",
                "APPLICATION_RECORDER_TOPIC": "infra.recorders:LedgerPostgresRecorder",
            }
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": self.sqlite_path,
            "SQLITE_LOCK_TIMEOUT": "10",
            "APPLICATION_RECORDER_TOPIC": "infra.recorders:LedgerSQLiteRecorder",
        }

    @property
    def sqlite_path(self) -> str:
        url = self.database_url
        if url.startswith("sqlite:///"):
            path = url[len("sqlite:///"):]
        elif url.startswith("sqlite://"):
            path = url[len("sqlite://"):]
        else:
            path = url
        if path in (":memory:", "") or path.startswith("file:"):
            return path or ":memory:"
        return str(Path(path).expanduser())
