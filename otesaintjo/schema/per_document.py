"""What depends only on a parsed document, computed on its first request.

The parser cache (``ParserCache``) hands out the same ``DocumentNode`` for the same query
text, so a document's identity names it. The checks run before execution — forbidden
characters in its literals, its size, its cost for given list sizes — walked the whole
document on every request (~0.15 ms of a page); they now walk it once.

Graph nodes hash and compare by value, recursively (costly): entries are keyed by
``id`` and keep their objects alive, so an ``id`` is never reused while its entry exists.
Entries anchored on a schema are kept by that schema (``schema_caches``): they never keep a
schema alive.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from typing import Any, Generic, TypeVar

from graphql import GraphQLError, GraphQLSchema
from strawberry.extensions import SchemaExtension

from otesaintjo.schema.schema_caches import cache_of

Value = TypeVar("Value")
KEPT = 512  # as many documents as the parser cache keeps


class PerDocument(Generic[Value]):
    """``compute(*anchors, *extra)`` once per set of objects ``anchors`` (by identity: a
    document, a schema) and hashable ``extra`` values."""

    def __init__(self, compute: Callable[..., Value], size: int = KEPT) -> None:
        self._compute = compute
        self._size = size
        self._kept: dict[Hashable, tuple[tuple[Any, ...], Value]] = {}

    def get(self, anchors: tuple[Any, ...], *extra: Hashable) -> Value:
        store = self._store(anchors[0])
        key = (*map(id, anchors), *extra)
        kept = store.get(key)
        if kept is not None and all(a is b for a, b in zip(kept[0], anchors, strict=True)):
            return kept[1]
        value = self._compute(*anchors, *extra)
        if len(store) >= self._size:
            del store[next(iter(store))]  # the oldest: documents are few
        store[key] = (anchors, value)
        return value

    def _store(self, first: Any) -> dict[Hashable, tuple[tuple[Any, ...], Value]]:
        if isinstance(first, GraphQLSchema):
            return cache_of(first, self, dict)
        return self._kept


def _validate(schema: GraphQLSchema, document: Any, rules: tuple[Any, ...]) -> list[GraphQLError]:
    from strawberry.schema.schema import validate_document  # imported late, as strawberry does

    return validate_document(schema, document, rules)  # type: ignore[no-any-return]


_VALIDATED: PerDocument[list[GraphQLError]] = PerDocument(_validate)


class ValidatedOnce(SchemaExtension):
    """strawberry's ``ValidationCache``, keyed by the document's identity: its LRU cache
    hashed the whole document tree on every request (~1 % of a page)."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        context.pre_execution_errors = _VALIDATED.get(
            (context.schema._schema, context.graphql_document), tuple(context.validation_rules)
        )
        yield
