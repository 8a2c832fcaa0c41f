"""Access tokens (short-lived, signed) and how a request's viewer is found."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import jwt
from sqlalchemy import ColumnElement, Select, bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from otesaintjo.clock import utcnow
from otesaintjo.direct_reads import Source, read
from otesaintjo.models import AuthSession, ShopMember, User

ALGORITHM = "HS256"
AUDIENCE = "otesaintjo-api"


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in user and the sign-in session the token belongs to."""

    user: User
    session_id: int


def issue_access_token(
    secret_key: str, user_id: int, session_id: int, minutes: int, now: datetime
) -> str:
    claims = {
        "sub": str(user_id),
        "sid": session_id,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=minutes)).timestamp()),
        "aud": AUDIENCE,
    }
    return jwt.encode(claims, secret_key, algorithm=ALGORITHM)


VERIFIED_TOKENS_KEPT = 4096
_verified: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()


def decode_access_token(secret_key: str, token: str) -> dict[str, Any] | None:
    """Claims of a valid, unexpired token; None for anything else.

    A token's signature is checked once: the claims of the last ``VERIFIED_TOKENS_KEPT``
    valid tokens are kept (a signed-in customer sends the same token for 10 minutes; checking
    it cost ~0.2 ms a request), and only the expiry is checked again at each use. A token that
    failed is never kept: it is checked again in full."""
    key = (secret_key, token)
    claims = _verified.get(key)
    if claims is None:
        try:
            claims = jwt.decode(
                token,
                secret_key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                options={"require": ["exp", "sub", "sid"]},
            )
        except jwt.PyJWTError:
            return None
        _verified[key] = claims
        if len(_verified) > VERIFIED_TOKENS_KEPT:
            _verified.popitem(last=False)
    else:
        _verified.move_to_end(key)
    # PyJWT reads time.time(); check against our clock too, so a frozen clock in tests agrees.
    if claims["exp"] <= utcnow().timestamp():
        return None
    return claims


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` value."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def load_viewer(source: Source, secret_key: str, token: str | None) -> Viewer | None:
    """The viewer of a token, only while its sign-in session is alive (logout takes effect
    now). ``source``: a session, or a request's reads (``direct_reads.read``)."""
    claims = decode_access_token(secret_key, token) if token else None
    if claims is None:
        return None
    sign_in = {"sid": int(claims["sid"]), "uid": int(claims["sub"]), "now": utcnow()}
    rows = await read(source, _viewer_query(), sign_in)
    return Viewer(user=rows[0][0], session_id=sign_in["sid"]) if rows else None


def _alive_sign_in() -> tuple[ColumnElement[bool], ...]:
    """The sign-in ``:sid`` of user ``:uid`` is alive at ``:now`` (not revoked nor expired)."""
    return (
        AuthSession.id == bindparam("sid"),
        User.id == bindparam("uid"),
        AuthSession.revoked_at.is_(None),  # type: ignore[union-attr]
        AuthSession.expires_at > bindparam("now"),
    )


@cache
def _viewer_query() -> Select[tuple[User]]:
    """Built once (every signed-in request runs it: building it and its cache key took
    ~0.1 ms), with the sign-in as parameters."""
    return select(User).join(AuthSession, AuthSession.user_id == User.id).where(*_alive_sign_in())


async def runs_any_shop(
    connection: AsyncConnection, secret_key: str, token: str | None, shop_ids: Collection[int]
) -> bool:
    """Whether the token's viewer (``load_viewer``'s rule) is staff or runs one of these shops,
    in one statement: a signed-in request served a kept answer that asked exactly this (a
    shop's merchants see its offline products) gets it only if not. No viewer: False."""
    claims = decode_access_token(secret_key, token) if token else None
    if claims is None or not shop_ids:
        return False
    found = (
        await connection.execute(
            _runs_any_shop_query(),
            {
                "sid": int(claims["sid"]),
                "uid": int(claims["sub"]),
                "now": utcnow(),
                "shop_ids": sorted(shop_ids),
            },
        )
    ).first()
    return found is not None and bool(found[0] or found[1])


@cache
def _runs_any_shop_query() -> Select[tuple[bool, bool]]:
    """``_viewer_query``'s sign-in rule, with staff and membership of ``:shop_ids``."""
    runs = exists().where(
        ShopMember.user_id == User.id,
        ShopMember.shop_id.in_(bindparam("shop_ids", expanding=True)),  # type: ignore[attr-defined]
    )
    return (
        select(User.is_staff, runs)
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(*_alive_sign_in())
    )


SIGN_INS_AT_ONCE = 500  # session ids per statement (SQLite allows 999 parameters)


async def live_sign_ins(
    session: AsyncSession, secret_key: str, tokens: Iterable[str]
) -> dict[str, int]:
    """``load_viewer``'s rule for many tokens at once: token -> user id, for each token whose
    sign-in session is alive (not revoked, not expired, its user still there). One statement
    per ``SIGN_INS_AT_ONCE`` sign-ins: the live subscriptions of a process check theirs so."""
    claims = {}
    for token in tokens:
        decoded = decode_access_token(secret_key, token)
        if decoded is not None:
            claims[token] = (int(decoded["sid"]), int(decoded["sub"]))
    now = utcnow()
    alive: dict[int, int] = {}
    session_ids = sorted({sid for sid, _ in claims.values()})
    for start in range(0, len(session_ids), SIGN_INS_AT_ONCE):
        rows = await session.execute(
            select(AuthSession.id, AuthSession.user_id)
            .join(User, User.id == AuthSession.user_id)
            .where(
                AuthSession.id.in_(session_ids[start : start + SIGN_INS_AT_ONCE]),  # type: ignore[union-attr]
                AuthSession.revoked_at.is_(None),  # type: ignore[union-attr]
                AuthSession.expires_at > now,
            )
        )
        alive.update({int(sid): int(uid) for sid, uid in rows})
    return {token: uid for token, (sid, uid) in claims.items() if alive.get(sid) == uid}
