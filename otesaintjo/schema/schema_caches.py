"""Caches that live and die with one GraphQL schema.

What is computed from a schema and a document (a validation, a cost estimate, a compiled
plan) references the schema's types. Kept in a module-level cache, it would keep every schema
the process ever built alive: one in a server, but hundreds in the test suite, which builds an
app per test — ~15,000 objects each, walked by every full collection of the cyclic garbage
collector (3.1 million objects and full collections of up to 2.8 s late in the suite: a
browser test missed the board's 2 s live-push budget). Held by the schema itself, such a
cache goes with it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from graphql import GraphQLSchema

T = TypeVar("T")
_ATTRIBUTE = "_otesaintjo_caches"


def cache_of(schema: GraphQLSchema, name: Hashable, make: Callable[[], T]) -> T:
    """The cache ``name`` of ``schema``, made by ``make()`` on first use."""
    caches: dict[Hashable, Any] = schema.__dict__.setdefault(_ATTRIBUTE, {})
    found = caches.get(name)
    if found is None:
        found = caches[name] = make()
    return found  # type: ignore[no-any-return]
