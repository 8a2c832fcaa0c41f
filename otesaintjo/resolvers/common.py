"""The one way a mutation runs a service: inside a unit of work, refusals become userErrors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from otesaintjo.errors import AuthError, DomainError
from otesaintjo.schema.errors import ClientError, UserError, user_errors

T = TypeVar("T")


async def run_service(
    info: Info, work: Callable[[AsyncSession], Awaitable[T]]
) -> tuple[T | None, list[UserError]]:
    """``(result, [])`` on success, ``(None, userErrors)`` on a business refusal."""
    try:
        async with info.context.unit_of_work() as session:
            return await work(session), []
    except DomainError as error:
        return None, user_errors(error)
    except AuthError as error:
        raise ClientError(error.message, error.code) from error
