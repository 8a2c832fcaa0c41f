"""``UserError`` (business refusals in payloads) and top-level errors for auth and bad args."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from otesaintjo.errors import DomainError, DomainErrors
from otesaintjo.errors import ErrorCode as DomainErrorCode

ErrorCode = strawberry.enum(
    DomainErrorCode, description="Codes stables des refus métier, à traduire par les clients."
)


@strawberry.type(description="Un refus métier : le message est en français, le code est stable.")
class UserError:
    field: list[str] | None = strawberry.field(
        description="Chemin du champ d'entrée en cause, s'il y en a un."
    )
    message: str
    code: ErrorCode


def user_errors(error: DomainError) -> list[UserError]:
    errors = error.errors if isinstance(error, DomainErrors) else [error]
    return [UserError(field=e.field, message=e.message, code=e.code) for e in errors]


class ClientError(GraphQLError):
    """An error meant for the client as is (never masked): bad arguments, auth."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, extensions={"code": code})


def bad_input(message: str) -> ClientError:
    return ClientError(message, "BAD_USER_INPUT")
