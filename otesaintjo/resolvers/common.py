"""The one way a mutation runs a service: inside a unit of work, refusals become userErrors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from otesaintjo.errors import AuthError, DomainError
from otesaintjo.schema.errors import ClientError, UserError, bad_input, user_errors

T = TypeVar("T")
P = TypeVar("P")


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


async def run_action(
    info: Info, action: Callable[[], Awaitable[T]]
) -> tuple[T | None, list[UserError]]:
    """Like ``run_service`` for a service that runs its own transactions (several, or none
    around a call to Stripe)."""
    try:
        return await action(), []
    except DomainError as error:
        return None, user_errors(error)
    except AuthError as error:
        raise ClientError(error.message, error.code) from error


async def read_upload(upload: object, limit: int) -> bytes:
    """At most one byte past ``limit``: enough to refuse a bigger file without reading it
    all. A ``file`` that is not an uploaded file (a string in the JSON) is the client's error."""
    read = getattr(upload, "read", None)
    if read is None or isinstance(upload, str | bytes):
        raise bad_input("« file » doit être un fichier envoyé en multipart.")
    return await read(limit + 1)


def payload_of(
    payload: type[P], field: str, row: Any, errors: list[UserError], to_type: Callable[[Any], Any]
) -> P:
    """``payload(field=to_type(row), user_errors=errors)``, with ``field`` null on a refusal."""
    return payload(**{field: to_type(row) if row is not None else None}, user_errors=errors)
