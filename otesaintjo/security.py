"""Password hashing and opaque tokens. Argon2id at OWASP's minimum cost (19 MiB, t=2, p=1)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from otesaintjo.admission import in_thread

PASSWORD_HASH = PasswordHash((Argon2Hasher(memory_cost=19 * 1024, time_cost=2, parallelism=1),))

# Checked against when the email is unknown, so both paths cost one Argon2 verification.
_DUMMY_HASH = PASSWORD_HASH.hash(secrets.token_urlsafe(16))


async def hash_password(password: str) -> str:
    """Hash off the event loop: Argon2 is CPU-bound (~20 ms)."""
    return await in_thread(PASSWORD_HASH.hash, password)


async def verify_password(password: str, password_hash: str | None) -> bool:
    """Verify; with no hash (unknown account) burn the same time and answer False."""
    if password_hash is None:
        await in_thread(PASSWORD_HASH.verify, password, _DUMMY_HASH)
        return False
    return await in_thread(PASSWORD_HASH.verify, password, password_hash)


def new_token() -> str:
    """An unguessable URL-safe token (256 bits)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What we store of a token: its SHA-256, so a database leak gives no usable token."""
    return hashlib.sha256(token.encode()).hexdigest()


def signed_token(secret_key: str, purpose: str, value: str) -> str:
    """A stateless token ``value.signature`` bound to a purpose (e.g. newsletter unsubscribe)."""
    mac = hmac.new(secret_key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256)
    return f"{value}.{mac.hexdigest()[:32]}"


def read_signed_token(secret_key: str, purpose: str, token: str) -> str | None:
    """The value inside a token made by ``signed_token``, or None when forged."""
    value, _, _sig = token.rpartition(".")
    if not value or not token.isascii():  # compare_digest takes ASCII only: anything else is forged
        return None
    if not hmac.compare_digest(signed_token(secret_key, purpose, value), token):
        return None
    return value
