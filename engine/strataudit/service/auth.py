"""Bearer tokens and roles: who may do what.

A token is `sat_<id>_<secret>`: the id finds the row, the secret is checked against its scrypt
hash (hashlib's, memory-hard) in constant time (`hmac.compare_digest`). Only the hash is stored;
the token is printed once, at creation. A verified secret is remembered in memory (keyed by its
SHA-256, never the token itself) so that scrypt's cost is paid once per token and process, not
per request; the revocation is read from the record on every request, so a revoked token stops
working at once, on every replica.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from strataudit.service.problems import Problem
from strataudit.service.store import Store

PREFIX = "sat_"
SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # ~16 MiB and ~50 ms per hash: for a fresh token only
CACHE_LIMIT = 4096

#: what each role may do; a route names the permission it needs
PERMISSIONS: dict[str, frozenset[str]] = {
    # `read`: decisions, reviews and waivers the role may see; `read_all`: everyone's, not
    # only the caller's own submissions
    "submitter": frozenset({"submit", "read", "metrics"}),
    "reviewer": frozenset({"read", "read_all", "review", "waive", "metrics"}),
    "admin": frozenset({"read", "read_all", "manage_tokens", "metrics"}),
}
ROLES = tuple(PERMISSIONS)


@dataclass(frozen=True)
class Principal:
    """The caller, from its token."""

    token_id: str  #: the token's public id
    name: str  #: the token's name: the submitter, reviewer or granter in the record
    role: str  #: submitter | reviewer | admin

    def may(self, permission: str) -> bool:
        return permission in PERMISSIONS[self.role]


def hash_secret(secret: str, salt: bytes | None = None) -> str:
    """`scrypt$n$r$p$salt$digest` of `secret` (a fresh random salt unless given)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, **SCRYPT, dklen=32)
    n, r, p = SCRYPT["n"], SCRYPT["r"], SCRYPT["p"]
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def check_secret(secret: str, stored: str) -> bool:
    """Whether `secret` matches the stored hash (compared in constant time)."""
    try:
        _, n, r, p, salt, digest = stored.split("$")
        found = hashlib.scrypt(
            secret.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except ValueError:
        return False
    return hmac.compare_digest(found.hex(), digest)


def create_token(store: Store, name: str, role: str, by: str) -> tuple[str, str]:
    """Record a new token: (its id, the token to hand over once)."""
    if role not in PERMISSIONS:
        raise ValueError(f"role is one of {', '.join(ROLES)}")
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    store.add_token(token_id, name, role, hash_secret(secret), by)
    return token_id, f"{PREFIX}{token_id}_{secret}"


class Authenticator:
    """Turns an `Authorization: Bearer` header into a `Principal`, or a 401 problem."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._verified: dict[str, str] = {}  # sha256(token) -> the hash it was checked against

    def principal(self, header: str | None) -> Principal:
        scheme, _, token = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthenticated("send `Authorization: Bearer <token>`")
        token = token.strip()
        token_id, sep, secret = token.removeprefix(PREFIX).partition("_")
        row = self.store.token(token_id) if token.startswith(PREFIX) and sep else None
        if row is None:
            raise _unauthenticated("the token is not valid")
        key = hashlib.sha256(token.encode()).hexdigest()
        if self._verified.get(key) != row["hash"]:
            if not check_secret(secret, row["hash"]):
                raise _unauthenticated("the token is not valid")
            if len(self._verified) >= CACHE_LIMIT:
                self._verified.clear()
            self._verified[key] = row["hash"]
        if row["revoked_at"] is not None:
            raise _unauthenticated("the token was revoked")
        return Principal(row["id"], row["name"], row["role"])


def _unauthenticated(detail: str) -> Problem:
    return Problem("unauthenticated", detail, {"WWW-Authenticate": 'Bearer realm="strataudit"'})


def require(permission: str) -> Callable[[Request], Principal]:
    """A FastAPI dependency: the caller, who must hold `permission` (else 401 or 403).

    A plain function, so FastAPI runs it in its thread pool: the token lookup and a first
    scrypt never block the event loop."""

    def dependency(request: Request) -> Principal:
        auth: Authenticator = request.app.state.runtime.auth
        caller = auth.principal(request.headers.get("authorization"))
        if not caller.may(permission):
            raise Problem("forbidden", f"the {caller.role} role may not {permission}")
        request.state.principal = caller  # for the access log
        return caller

    return dependency
