"""Growing lock after repeated failed sign-ins, per account and per client IP.

A key earns ``free`` failures; each failure beyond locks it for 2, 4, 8 … seconds (capped).
A key with no failure for an hour starts again from zero. Counting is one atomic upsert,
so concurrent attempts (or aliased ``login`` fields in one document) each count.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.db import upsert_insert
from otesaintjo.errors import DomainError, ErrorCode
from otesaintjo.models import LoginThrottle

FORGET_AFTER = timedelta(hours=1)


def lock_seconds(failures: int, free: int, cap: int) -> int:
    """0 before ``free`` failures; from the ``free``-th on, 2, 4, 8… seconds, at most ``cap``
    (with free=5: attempts 1 to 5 are free, the 6th waits 2 s)."""
    over = failures - free + 1
    return 0 if over <= 0 else min(2 ** min(over, 30), cap)


async def ensure_not_locked(session: AsyncSession, keys: list[str], now: datetime) -> None:
    rows = (
        await session.execute(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))  # type: ignore[attr-defined]
    ).scalars()
    wait = max(
        (
            (row.locked_until - now).total_seconds()
            for row in rows
            if row.locked_until and row.locked_until > now
        ),
        default=0,
    )
    if wait > 0:
        raise DomainError(
            ErrorCode.TOO_MANY_ATTEMPTS,
            f"Trop de tentatives. Réessayez dans {math.ceil(wait)} secondes.",
        )


async def record_failure(
    session: AsyncSession, key: str, free: int, cap: int, now: datetime
) -> int:
    """Count one failure for ``key`` atomically; returns the failures now counted."""
    insert = upsert_insert(session)
    table = LoginThrottle.__table__  # type: ignore[attr-defined]
    stale = table.c.last_failure_at < now - FORGET_AFTER
    statement = insert(table).values(key=key, failures=1, last_failure_at=now, locked_until=None)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "failures": case((stale, 1), else_=table.c.failures + 1),
            "last_failure_at": now,
        },
    ).returning(table.c.failures)
    failures = int((await session.execute(statement)).scalar_one())
    seconds = lock_seconds(failures, free, cap)
    if seconds:
        await session.execute(
            update(table)
            .where(table.c.key == key)
            .values(locked_until=now + timedelta(seconds=seconds))
        )
    return failures


async def forget(session: AsyncSession, key: str) -> None:
    table = LoginThrottle.__table__  # type: ignore[attr-defined]
    await session.execute(delete(table).where(table.c.key == key))
