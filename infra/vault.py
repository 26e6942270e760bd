"""The identity vault (domain.md §10): reporters' names, ID numbers and phones never enter an event.
Each person's record is encrypted (AES-256-GCM) with a data key of their own (DEK); the DEK is kept
wrapped by the vault key (KEK, a file standing in for an HSM/KMS) in ``vault_keys``, apart from the
events. Crypto-shredding deletes the wrapped DEK: the record becomes unreadable everywhere while every
event, hash, checkpoint and bundle stays valid (events carry only the token and the ciphertext hash)."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain import errors
from domain.identity import identity_stream_id

B32 = "abcdefghijklmnopqrstuvwxyz234567"
DDL = (
    "CREATE TABLE IF NOT EXISTS vault_records (person_token TEXT PRIMARY KEY, key_id TEXT NOT NULL, "
    "nonce TEXT NOT NULL, ciphertext TEXT NOT NULL, record_hash TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS vault_keys (person_token TEXT PRIMARY KEY, key_id TEXT NOT NULL, "
    "wrap_nonce TEXT NOT NULL, wrapped_dek TEXT NOT NULL)",
)
SHREDDED = "[shredded]"


def new_token() -> str:
    return "pt_" + "".join(secrets.choice(B32) for _ in range(26))


class Vault:
    def __init__(self, ledger: Any) -> None:
        self.ledger = ledger
        self.kek = _load_kek(os.environ.get("SVLEDGER_VAULT_KEY", "svledger-vault.key"))
        self.key_id = "kek-" + hashlib.sha256(self.kek).hexdigest()[:12]
        for statement in DDL:
            self._write(statement, ())

    def _p(self, sql: str) -> str:
        return sql.replace("?", self.ledger.recorder.placeholder)

    def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        with self.ledger.recorder.datastore.transaction(commit=True) as c:
            c.execute(self._p(sql), params)

    def _read(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        return self.ledger.recorder._rows(self._p(sql), params)

    def seal(self, record: dict[str, str], person_role: str, actor: dict[str, str],
             occurred_at: datetime | None = None) -> str:
        """Encrypt ``record`` under a fresh DEK, store it, and record IdentitySealed; returns the token."""
        token, dek = new_token(), AESGCM.generate_key(bit_length=256)
        nonce, wrap_nonce = os.urandom(12), os.urandom(12)
        ciphertext = AESGCM(dek).encrypt(nonce, json.dumps(record, ensure_ascii=False).encode(), token.encode())
        wrapped = AESGCM(self.kek).encrypt(wrap_nonce, dek, token.encode())
        record_hash = hashlib.sha256(ciphertext).hexdigest()
        self._write("INSERT INTO vault_records VALUES (?, ?, ?, ?, ?)",
                    (token, self.key_id, nonce.hex(), ciphertext.hex(), record_hash))
        self._write("INSERT INTO vault_keys VALUES (?, ?, ?, ?)", (token, self.key_id, wrap_nonce.hex(), wrapped.hex()))
        at = occurred_at or datetime.now(timezone.utc)
        self.ledger.execute("sealIdentity", {"person_token": token, "person_role": person_role, "key_id": self.key_id,
                                             "vault_record_hash": record_hash},
                            {"expected_version": 0, "idempotency_key": f"seal:{token}", "occurred_at": at.isoformat()},
                            actor)
        return token

    def reveal(self, token: str, request_id: str, fields: list[str], disclosed_to: str,
               viewer: dict[str, str] | None = None, purpose: str = "contact_reporter") -> dict[str, str]:
        """Decrypt first (a shredded or missing record records nothing), then record IdentityDisclosed
        (needs an approved, unexpired request) and the RecordViewed of the reveal; return the fields."""
        stream = identity_stream_id(token)
        version = self.ledger.load(stream).version
        now = datetime.now(timezone.utc)
        system = {"user_id": "system_api", "role": "system_api", "org_id": self.ledger.settings.bureau}
        disclose = ("discloseIdentity", {"request_id": request_id, "disclosed_to": disclosed_to, "fields": fields},
                    {"stream_id": str(stream), "expected_version": version, "occurred_at": now.isoformat(),
                     "idempotency_key": f"disclose:{request_id}:{now.isoformat()}"}, system)
        self.ledger.execute(*disclose, dry_run=True)  # the approval decides first (UNSEAL_WITHOUT_APPROVAL …)
        record = self.read(token)  # then the record must be readable (IDENTITY_SHREDDED): nothing recorded yet
        self.ledger.execute(*disclose)
        who = viewer or {"user_id": disclosed_to, "role": "supervision_staff", "org_id": self.ledger.settings.bureau}
        query = hashlib.sha256(f"reveal:{token}:{request_id}:{','.join(fields)}".encode()).hexdigest()
        self.ledger.execute("recordView", {"viewer": who, "resources": [f"identity:{token}"], "field_classes": ["S3"],
                                           "purpose": purpose, "query_hash": query},
                            {"expected_version": self._log_version(now), "occurred_at": now.isoformat(),
                             "idempotency_key": f"view:{request_id}:{now.isoformat()}"}, system)
        return {f: record.get(f, "") for f in fields}

    def _log_version(self, now: datetime) -> int:
        from domain.access_log import access_log_stream_id
        from domain.deadlines import BUSINESS_TZ

        head = self.ledger.recorder.select_events(
            access_log_stream_id(self.ledger.settings.bureau, now.astimezone(BUSINESS_TZ).date()), desc=True, limit=1)
        return head[0].originator_version if head else 0

    def read(self, token: str) -> dict[str, str]:
        rows = self._read("SELECT nonce, ciphertext FROM vault_records WHERE person_token = ?", (token,))
        if not rows:
            raise errors.NotFound(f"no vault record for {token}")
        keys = self._read("SELECT wrap_nonce, wrapped_dek FROM vault_keys WHERE person_token = ?", (token,))
        if not keys:
            raise errors.IdentityShredded(f"the key of {token} was destroyed (crypto-shredded)")
        dek = AESGCM(self.kek).decrypt(bytes.fromhex(keys[0][0]), bytes.fromhex(keys[0][1]), token.encode())
        plain = AESGCM(dek).decrypt(bytes.fromhex(rows[0][0]), bytes.fromhex(rows[0][1]), token.encode())
        return json.loads(plain)

    def display(self, token: str) -> str:
        """What views show instead of an identity: ``[shredded]`` once IdentityShredded is recorded, else ``[sealed]``."""
        try:
            shredded = self.ledger.load(identity_stream_id(token)).shredded
        except errors.NotFound:
            shredded = False
        return SHREDDED if shredded else "[sealed]"

    def shred(self, token: str, reason: str, actor: dict[str, str], approvers: list[dict[str, str]]) -> None:
        """Record IdentityShredded (two supervisors approve) and destroy the wrapped DEK."""
        stream = identity_stream_id(token)
        agg = self.ledger.load(stream)
        if not agg.shredded:
            now = datetime.now(timezone.utc)
            approvals = [{"approver_user_id": a["user_id"], "approver_role": a["role"], "decided_at": now.isoformat()}
                         for a in approvers]
            self.ledger.execute("shredIdentity", {"person_token": token, "reason": reason, "key_id": agg.key_id},
                                {"stream_id": str(stream), "expected_version": agg.version,
                                 "occurred_at": now.isoformat(), "idempotency_key": f"shred:{token}",
                                 "approvals": approvals}, actor)
        self._write("DELETE FROM vault_keys WHERE person_token = ?", (token,))


def _load_kek(path: str) -> bytes:
    file = Path(path)
    if file.exists():
        return bytes.fromhex(file.read_text().strip())
    key = AESGCM.generate_key(bit_length=256)
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(key.hex())
    return key
