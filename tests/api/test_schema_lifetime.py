"""A schema dies with its app: what the request path computes from a schema and a document
(validation, cost, compiled plan) is kept by that schema, never by a module (a module-level
cache kept every app's schema of the suite alive, and the collector's pauses grew to 1.7 s)."""

from __future__ import annotations

import gc
import weakref

import strawberry

from otesaintjo.graphql_schema import build_schema

DOCUMENT = "query Lifetime { __typename }"


async def test_a_schema_that_ran_documents_is_freed_once_dropped() -> None:
    schema = build_schema()
    result = await schema.execute(DOCUMENT, operation_name="Lifetime")
    caches = schema._schema.__dict__.get("_otesaintjo_caches", {})
    assert len(caches) >= 2, caches  # validated and planned: both kept by the schema
    gone = weakref.ref(schema._schema)
    del schema, caches, result
    # strawberry's own per-method lru_caches are cleared as tests/conftest.py does after each test
    strawberry.Schema.get_type_by_name.cache_clear()
    strawberry.Schema.get_directive_by_name.cache_clear()
    gc.collect()
    assert gone() is None, [type(r).__name__ for r in gc.get_referrers(gone())]
