"""The staff audit log: who did what, to what, when — written in the action's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.models import AuditEntry, User
from otesaintjo.services import pages


def record(
    session: AsyncSession,
    staff: User,
    action: str,
    target_type: str,
    target_id: int,
    **details: Any,
) -> None:
    session.add(
        AuditEntry(
            staff_user_id=staff.id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            details=details,
        )
    )


async def entries_page(factory: pages.Factory, *, limit: int, after: str | None) -> pages.Page:
    return await pages.newest_first(factory, AuditEntry, [], limit=limit, after=after)
