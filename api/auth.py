"""Bearer tokens (JWT, HS256): who is calling. The actor of every command comes from here, never from input."""

from __future__ import annotations

import time
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


def verify_token(keys: TokenKeys, token: str) -> Principal:
    try:
        claims = jwt.decode(token, keys.secret, algorithms=[ALGORITHM], audience=keys.audience, issuer=keys.issuer,
                            options={"require": ["sub", "role", "org", "exp", "iss", "aud"]})
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the token has expired") from None
    except jwt.PyJWTError:
        raise Unauthenticated("the token is not valid") from None
    role, user, org = claims.get("role"), claims.get("sub"), claims.get("org")
    if role not in TOKEN_ROLES or not isinstance(user, str) or not isinstance(org, str) or not user or not org:
        raise Unauthenticated("the token names no known role, user and org")
    return Principal(user_id=user, role=role, org_id=org)


def bearer(headers: Mapping[str, Any]) -> str | None:
    """The token of an ``Authorization: Bearer …`` value (header mapping or connection params)."""
    value = headers.get("authorization") or headers.get("Authorization")
    if not isinstance(value, str):
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def authenticate(keys: TokenKeys, headers: Mapping[str, Any]) -> Principal:
    token = bearer(headers)
    if token is None:
        raise Unauthenticated("send Authorization: Bearer <token> (see `svledger token`)")
    return verify_token(keys, token)
