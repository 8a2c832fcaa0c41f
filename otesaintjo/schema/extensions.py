"""Schema extensions about errors: every error carries a stable ``extensions.code``, the
unexpected ones are masked in production, and trusted-documents-only mode refuses the rest.

Codes (API.md § Clients): ``GRAPHQL_VALIDATION_FAILED`` for a document that does not parse or
validate (or names no runnable operation), ``BAD_USER_INPUT`` for variables that do not fit
their types (never masked: the client sent them), ``UNAUTHENTICATED``/``FORBIDDEN``/
``THROTTLED``/``PersistedQueryNotFound`` set where they happen, ``INTERNAL`` for the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from graphql import GraphQLError, GraphQLSyntaxError, OperationDefinitionNode
from strawberry.extensions import MaskErrors, SchemaExtension

from otesaintjo.persisted_queries import sha256
from otesaintjo.schema.errors import ClientError

VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = "BAD_USER_INPUT"
INTERNAL = "INTERNAL"


def code_of(error: GraphQLError) -> str | None:
    return (error.extensions or {}).get("code")


def _set_code(errors: list[GraphQLError] | None, code: str) -> None:
    for error in errors or []:
        if code_of(error) is None:
            error.extensions = {**(error.extensions or {}), "code": code}


class OperationNameRequired(SchemaExtension):
    """A document of several operations must say which to run (GraphQL spec, "GetOperation");
    strawberry would otherwise run the first one."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if context._provided_operation_name is None and document is not None:
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if len(operations) > 1:
                raise ClientError(
                    "Plusieurs opérations dans le document : indiquez operationName.",
                    VALIDATION_FAILED,
                )
        yield


class ErrorCodes(SchemaExtension):
    """Name each error by the step that refused it. Register it after ``MaskErrors``: its
    parse/validate/execute steps end before masking looks at the codes."""

    def on_parse(self) -> Iterator[None]:
        yield
        _set_code(self.execution_context.pre_execution_errors, VALIDATION_FAILED)

    def on_validate(self) -> Iterator[None]:
        yield
        _set_code(self.execution_context.pre_execution_errors, VALIDATION_FAILED)

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None) or []
        if getattr(result, "data", None) is None:
            # No data and no path: graphql-core refused the request before running any
            # field — bad variables, or no operation it could pick.
            for error in errors:
                if error.path is None and code_of(error) is None:
                    bad_variable = error.message.startswith("Variable '$")
                    _set_code([error], BAD_USER_INPUT if bad_variable else VALIDATION_FAILED)

    def on_operation(self) -> Iterator[None]:
        yield
        _set_code(getattr(self.execution_context.result, "errors", None), INTERNAL)


SUGGESTION = re.compile(r"\s*Did you mean .*\?$", re.DOTALL)


def hide_suggestions(errors: list[GraphQLError] | None) -> None:
    """Production tells nothing of the schema: no « Did you mean 'first'? » (fields,
    arguments, types, enum values, input fields alike)."""
    for error in errors or []:
        error.message = SUGGESTION.sub("", error.message)


def ensure_codes(errors: list[GraphQLError] | None) -> None:
    """The last word, for errors that left the operation early (a document that does not
    parse is refused by the parser cache before any step can name it)."""
    for error in errors or []:
        if code_of(error) is None:
            syntax = isinstance(error, GraphQLSyntaxError)
            _set_code([error], VALIDATION_FAILED if syntax else INTERNAL)


class CodedMaskErrors(MaskErrors):
    """Production: an unexpected error becomes « Erreur interne » with the code INTERNAL
    (the original is logged by the schema's ``process_errors``)."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": INTERNAL}
        return masked

    def _process_result(self, result: object) -> None:
        """strawberry's, without its ``isinstance`` against a runtime protocol (~0.7 % of
        a page): a result with errors gets them masked."""
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]


def should_mask(error: GraphQLError) -> bool:
    """Mask what no step named (a resolver's unexpected exception); keep every coded error
    — validation, bad input, authentication, permission — readable."""
    if isinstance(error.original_error, ClientError):
        return False
    return code_of(error) in (None, INTERNAL)


@lru_cache(maxsize=4096)
def _digest(query: str) -> str:
    return sha256(query)


class TrustedDocumentsOnly(SchemaExtension):
    """Run only the documents of the trusted manifest (and of the API's own pages), whatever
    the transport: GET, POST, uploads, WebSocket."""

    def __init__(self, *, trusted: frozenset[str]) -> None:
        self.trusted = trusted

    def on_operation(self) -> Iterator[None]:
        query = self.execution_context.query
        if query is None or _digest(query) not in self.trusted:
            raise ClientError(
                "Seuls les documents enregistrés par l'application sont acceptés.", "FORBIDDEN"
            )
        yield
