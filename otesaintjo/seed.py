"""Demo data for the embedded default: accounts whose credentials ``serve`` prints in dev.

Idempotent: running it twice changes nothing. The catalogue of the town's shops comes with
the shops feature.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otesaintjo.db import unit_of_work
from otesaintjo.models import User
from otesaintjo.security import hash_password


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    password: str
    first_name: str
    last_name: str
    phone: str
    is_staff: bool = False


DEMO_ACCOUNTS = (
    DemoAccount(
        "client",
        "client@demo.otesaintjo.re",
        "demo-client-2026",
        "Marie",
        "Hoarau",
        "+262692123456",
    ),
    DemoAccount(
        "commerçant",
        "commercant@demo.otesaintjo.re",
        "demo-commercant-2026",
        "Jean-Luc",
        "Payet",
        "+262693654321",
    ),
    DemoAccount(
        "personnel",
        "staff@demo.otesaintjo.re",
        "demo-staff-2026",
        "Sophie",
        "Grondin",
        "+262262450000",
        is_staff=True,
    ),
)


async def seed(session_factory: async_sessionmaker[AsyncSession]) -> list[DemoAccount]:
    """Create the demo accounts that do not exist yet; returns all of them."""
    async with unit_of_work(session_factory) as session:
        for account in DEMO_ACCOUNTS:
            await _ensure_user(session, account)
    return list(DEMO_ACCOUNTS)


async def _ensure_user(session: AsyncSession, account: DemoAccount) -> None:
    exists = await session.execute(select(User.id).where(User.email == account.email))
    if exists.scalar_one_or_none() is not None:
        return
    session.add(
        User(
            email=account.email,
            password_hash=await hash_password(account.password),
            first_name=account.first_name,
            last_name=account.last_name,
            phone=account.phone,
            is_staff=account.is_staff,
        )
    )
