"""Text the API refuses, once, for every string a request carries (variables and literals,
whatever the field): control characters, lone surrogates, and the invisible characters that
reorder or hide text (bidirectional overrides and isolates, zero-width space, BOM).

NUL reaches PostgreSQL and fails there; a lone surrogate cannot be encoded; an RTL override
makes « moc.elgoog » read as another name. Tab, newline and carriage return stay (messages),
and so do the zero-width joiners that emoji and some scripts need.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from graphql import DocumentNode, StringValueNode, visit
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension

from otesaintjo.schema.errors import ClientError
from otesaintjo.schema.per_document import PerDocument

FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 controls but \t \n \r, DEL, C1 controls
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidirectional marks, overrides, isolates
    "\u200b\u2060\ufeff"  # zero-width space, word joiner, byte order mark
    "\ud800-\udfff]"  # lone surrogates (a valid pair is one character in Python)
)


def refused_text(value: Any) -> bool:
    """Whether ``value`` (a variable: scalars, lists, objects) holds a forbidden character."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if FORBIDDEN.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.values())
            pending.extend(k for k in item if isinstance(k, str))
        elif isinstance(item, list):
            pending.extend(item)
    return False


class _Literals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.refused = False

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        if FORBIDDEN.search(node.value):
            self.refused = True


def _refused_literals(document: DocumentNode) -> bool:
    literals = _Literals()
    visit(document, literals)
    return literals.refused


_LITERALS: PerDocument[bool] = PerDocument(_refused_literals)


class TextInputs(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        refused = document is not None and _LITERALS.get((document,))
        if refused or refused_text(context.variables or {}):
            raise ClientError(
                "Texte refusé : il contient un caractère de contrôle ou invisible"
                " (NUL, surrogat isolé, contrôle bidirectionnel, espace de largeur nulle).",
                "BAD_USER_INPUT",
            )
        yield
