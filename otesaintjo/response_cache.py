"""Whole-response cache for anonymous catalogue reads, with exact invalidation.

A response is reused only when all of these hold, so it is always what a fresh execution
would return:

- the request is anonymous (no ``Authorization``): nothing in it depends on a viewer;
- the document is one query whose root fields are all in ``CACHEABLE_ROOT_FIELDS`` (public
  catalogue reads whose answer depends only on the database and the promotion calendar);
- the catalogue version is unchanged: database triggers bump it in the same transaction as
  any write to shops, products, photos or promotions (migration 0004), whichever process
  or path wrote; the version is read before executing, so a write racing with the execution
  leaves an entry that can never match again;
- no promotion has started or ended since: each entry expires at the next such instant;
- the execution returned data without errors.

Entries live in each process (bounded LRU); only the version is shared, through the database.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from graphql import FieldNode, GraphQLSyntaxError, OperationDefinitionNode, OperationType, parse
from sqlalchemy import func, select, union_all
from sqlalchemy.ext.asyncio import AsyncEngine

from otesaintjo.clock import utcnow
from otesaintjo.models import CatalogueState, Promotion

CACHEABLE_ROOT_FIELDS = frozenset({"products", "shops", "shop", "__typename"})
MAX_QUERY_LENGTH = 20_000


@lru_cache(maxsize=1024)
def is_cacheable_document(query: str, operation_name: str | None) -> bool:
    """One query operation selecting only cacheable root fields (no fragments at the root)."""
    if len(query) > MAX_QUERY_LENGTH:
        return False
    try:
        document = parse(query, max_tokens=2000)
    except GraphQLSyntaxError:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation != OperationType.QUERY:
        return False
    selections = operations[0].selection_set.selections
    return all(
        isinstance(s, FieldNode) and s.name.value in CACHEABLE_ROOT_FIELDS for s in selections
    )


def request_key(payload: Any) -> str | None:
    """The cache key of a JSON request body, or None when it must not be cached."""
    if not isinstance(payload, dict):
        return None
    query, variables = payload.get("query"), payload.get("variables") or {}
    operation_name = payload.get("operationName")
    if not isinstance(query, str) or not isinstance(variables, dict):
        return None
    if operation_name is not None and not isinstance(operation_name, str):
        return None
    if not is_cacheable_document(query, operation_name):
        return None
    canonical = json.dumps([query, variables, operation_name], sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Entry:
    version: int
    valid_until: datetime | None
    body: bytes


class ResponseCache:
    def __init__(self, engine: AsyncEngine, max_entries: int = 1024) -> None:
        self.engine = engine
        self.max_entries = max_entries
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self.hits = 0
        self.misses = 0

    async def current_version(self) -> int:
        async with self.engine.connect() as connection:
            version = await connection.scalar(
                select(CatalogueState.version).where(CatalogueState.id == 1)
            )
        return int(version or 0)

    def lookup(self, key: str, version: int) -> bytes | None:
        entry = self._entries.get(key)
        fresh = (
            entry is not None
            and entry.version == version
            and (entry.valid_until is None or utcnow() < entry.valid_until)
        )
        if not fresh:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry.body  # type: ignore[union-attr]

    async def store(self, key: str, version: int, body: bytes) -> None:
        try:
            result = json.loads(body)
        except ValueError:
            return
        if not isinstance(result, dict) or result.get("errors") or result.get("data") is None:
            return
        self._entries[key] = Entry(version, await self._next_promotion_change(), body)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def _next_promotion_change(self) -> datetime | None:
        """The next instant a promotion starts or ends: prices change then, without a write."""
        now = utcnow()
        pending = Promotion.ended_at.is_(None)  # type: ignore[union-attr]
        instants = union_all(
            select(Promotion.starts_at.label("at")).where(pending, Promotion.starts_at > now),
            select(Promotion.ends_at.label("at")).where(pending, Promotion.ends_at > now),
        ).subquery()
        async with self.engine.connect() as connection:
            return await connection.scalar(select(func.min(instants.c.at)))
