"""Every DataLoader, built per request (aiodataloader binds the running event loop).

Batch functions open their own short session: sibling resolvers run concurrently and one
AsyncSession must never be shared between them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from aiodataloader import DataLoader
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otesaintjo.models import User

RowT = TypeVar("RowT")


def rows_by_id(
    session_factory: async_sessionmaker[AsyncSession], model: type[RowT]
) -> Callable[[Sequence[int]], Awaitable[list[RowT | None]]]:
    """A batch function: one ``WHERE id IN (…)`` for all the ids asked in a tick."""

    async def load(ids: Sequence[int]) -> list[RowT | None]:
        async with session_factory() as session:
            rows = await session.execute(select(model).where(model.id.in_(ids)))  # type: ignore[attr-defined]
            by_id: dict[int, Any] = {row.id: row for row in rows.scalars()}
        return [by_id.get(i) for i in ids]

    return load


class Loaders:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.user_by_id: DataLoader[int, User | None] = DataLoader(
            rows_by_id(session_factory, User)
        )
