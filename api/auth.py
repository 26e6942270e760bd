"""Bearer tokens (JWT, HS256): who is calling. The actor of every command comes from here, never from input."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from domain.errors import LedgerError
from domain.values import HUMAN_ROLES

# roles a token may carry: people, and the 12345 integration and scheduler (``system_api`` is the API itself)
TOKEN_ROLES = (*HUMAN_ROLES, "integration_12345", "system_scheduler")
ALGORITHM = "HS256"


class Unauthenticated(LedgerError):
    """No bearer token, or one that is expired, forged or malformed."""

    code = "UNAUTHENTICATED"


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: str
    org_id: str

    def actor(self) -> dict[str, str]:
        return {"user_id": self.user_id, "role": self.role, "org_id": self.org_id}


@dataclass(frozen=True)
class TokenKeys:
    secret: str
    issuer: str
    audience: str


def issue_token(keys: TokenKeys, role: str, user_id: str, org_id: str, ttl_seconds: int = 3600) -> str:
    if role not in TOKEN_ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(TOKEN_ROLES)}")
    now = int(time.time())
    claims = {"sub": user_id, "role": role, "org": org_id, "iat": now, "nbf": now, "exp": now + ttl_seconds,
              "iss": keys.issuer, "aud": keys.audience}
    return jwt.encode(claims, keys.secret, algorithm=ALGORITHM)


def _claims(keys: TokenKeys, token: str) -> dict[str, Any]:
    try:
        return jwt.decode(token, keys.secret, algorithms=[ALGORITHM], audience=keys.audience, issuer=keys.issuer,
                          options={"require": ["sub", "role", "org", "exp", "iss", "aud"]})
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the token has expired") from None
    except jwt.PyJWTError:
        raise Unauthenticated("the token is not valid") from None


def _principal(claims: dict[str, Any]) -> Principal:
    role, user, org = claims.get("role"), claims.get("sub"), claims.get("org")
    if role not in TOKEN_ROLES or not isinstance(user, str) or not isinstance(org, str) or not user or not org:
        raise Unauthenticated("the token names no known role, user and org")
    return Principal(user_id=user, role=role, org_id=org)


def verify_token(keys: TokenKeys, token: str) -> Principal:
    return _principal(_claims(keys, token))


class VerifiedTokens:
    """Tokens already verified (by their SHA-256), each with its principal and validity window: a client
    sending the same token again is not decoded and its signature not checked again, only its ``nbf``
    and ``exp`` against the clock, as ``jwt.decode`` does. Refusals are never kept."""

    def __init__(self, maxsize: int = 4096) -> None:
        self.maxsize = maxsize
        self._known: OrderedDict[bytes, tuple[Principal, float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def principal(self, keys: TokenKeys, token: str) -> Principal:
        key = hashlib.sha256(token.encode()).digest()  # one cache per key set (``Services``)
        now = time.time()
        with self._lock:
            found = self._known.get(key)
        if found is not None:
            principal, not_before, expires = found
            if now >= expires:
                raise Unauthenticated("the token has expired")
            if not_before <= now:
                return principal
        claims = _claims(keys, token)
        principal = _principal(claims)
        with self._lock:
            self._known[key] = (principal, float(claims.get("nbf", 0)), float(claims["exp"]))
            while len(self._known) > self.maxsize:
                self._known.popitem(last=False)
        return principal


def bearer(headers: Mapping[str, Any]) -> str | None:
    """The token of an ``Authorization: Bearer …`` value (header mapping or connection params)."""
    value = headers.get("authorization") or headers.get("Authorization")
    if not isinstance(value, str):
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def authenticate(keys: TokenKeys, headers: Mapping[str, Any], verified: VerifiedTokens | None = None) -> Principal:
    token = bearer(headers)
    if token is None:
        raise Unauthenticated("send Authorization: Bearer <token> (see `svledger token`)")
    return verified.principal(keys, token) if verified is not None else verify_token(keys, token)
