"""Apollo's automatic persisted queries, and trusted documents.

Automatic persisted queries (APQ): a client sends only ``extensions.persistedQuery.sha256Hash``;
an unknown hash answers the error ``PersistedQueryNotFound``, and the client sends the hash
with the query once, which registers it (the hash must be the query's SHA-256). Small
requests, and GETs an HTTP cache can keep. The store is bounded: an LRU per process, or Redis
shared by every worker (entries expire after a week unused; a miss only costs one retry).

Trusted documents: a JSON file the front end's build produces (Apollo's persisted query
manifest ``{"operations": [{"id", "body"}]}``, or a plain ``{"<sha256>": "<query>"}`` map).
Its documents are always known; with ``trusted_only`` the API runs nothing else, neither a
raw query nor an APQ registration (the check runs at execution, ``TrustedDocumentsOnly``, so
it covers every transport: GET, POST, uploads and WebSocket).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import redis.asyncio as redis

NOT_FOUND = "PersistedQueryNotFound"
MAX_DOCUMENT_BYTES = 50_000
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def sha256(query: str) -> str:
    return hashlib.sha256(query.encode("utf-8")).hexdigest()


class DocumentStore(Protocol):
    async def get(self, digest: str) -> str | None: ...
    async def put(self, digest: str, query: str) -> None: ...


class MemoryDocumentStore:
    """An LRU of ``size`` documents, per process."""

    def __init__(self, size: int = 5000) -> None:
        self.size = size
        self._documents: OrderedDict[str, str] = OrderedDict()

    async def get(self, digest: str) -> str | None:
        query = self._documents.get(digest)
        if query is not None:
            self._documents.move_to_end(digest)
        return query

    async def put(self, digest: str, query: str) -> None:
        self._documents[digest] = query
        self._documents.move_to_end(digest)
        while len(self._documents) > self.size:
            self._documents.popitem(last=False)


class RedisDocumentStore:
    """Shared by every API process; each read renews the week an entry lives."""

    TTL_SECONDS = 7 * 24 * 3600

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url)

    async def get(self, digest: str) -> str | None:
        value = await self.client.getex(f"apq:{digest}", ex=self.TTL_SECONDS)
        return value.decode("utf-8") if value is not None else None

    async def put(self, digest: str, query: str) -> None:
        await self.client.set(f"apq:{digest}", query.encode("utf-8"), ex=self.TTL_SECONDS)

    async def close(self) -> None:
        await self.client.aclose()


def load_trusted_documents(path: str | Path) -> dict[str, str]:
    """``{sha256: query}`` from an Apollo manifest or a plain map; every hash is checked."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if isinstance(data, dict) and isinstance(data.get("operations"), list):
        pairs = [(op["id"], op["body"]) for op in data["operations"]]
    elif isinstance(data, dict):
        pairs = list(data.items())
    else:
        raise ValueError(f"{path}: neither an Apollo manifest nor a {{hash: query}} map")
    documents = {}
    for digest, query in pairs:
        if sha256(query) != digest:
            raise ValueError(f"{path}: the document of {digest[:12]}… does not have this hash")
        documents[digest] = query
    return documents


def error_body(message: str, code: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


@dataclass
class Resolved:
    """The request with its query filled in, or the error body to answer instead."""

    payload: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


class PersistedQueries:
    def __init__(
        self,
        store: DocumentStore,
        trusted: dict[str, str] | None = None,
        trusted_only: bool = False,
    ) -> None:
        self.store = store
        self.trusted = trusted or {}
        self.trusted_only = trusted_only

    def wanted(self, payload: dict[str, Any]) -> bool:
        """Whether this request names a persisted query."""
        return _persisted(payload) is not None

    async def resolve(self, payload: dict[str, Any]) -> Resolved:
        """Fill in the query of a hash, or register a hash sent with its query (APQ).

        With ``trusted_only`` nothing is registered: a hash must be a trusted document's.
        (Raw queries are refused later, at execution: ``TrustedDocumentsOnly``.)"""
        persisted = _persisted(payload) or {}
        digest = persisted.get("sha256Hash")
        if persisted.get("version") != 1 or not isinstance(digest, str) or not SHA256.match(digest):
            return Resolved(
                error=error_body(
                    "extensions.persistedQuery : version 1 et sha256Hash (64 chiffres"
                    " hexadécimaux) attendus.",
                    "BAD_USER_INPUT",
                )
            )
        known = self.trusted.get(digest)
        if known is None and not self.trusted_only:
            known = await self.store.get(digest)
        query = payload.get("query")
        if isinstance(query, str) and query:
            if sha256(query) != digest:
                return Resolved(
                    error=error_body("provided sha does not match query", "BAD_USER_INPUT")
                )
            small = len(query.encode("utf-8")) <= MAX_DOCUMENT_BYTES
            if known is None and not self.trusted_only and small:
                await self.store.put(digest, query)
            return Resolved(payload=payload)
        if known is None:
            return Resolved(error=error_body(NOT_FOUND, NOT_FOUND))
        return Resolved(payload={**payload, "query": known})


def _persisted(payload: dict[str, Any]) -> dict[str, Any] | None:
    extensions = payload.get("extensions")
    if not isinstance(extensions, dict):
        return None
    persisted = extensions.get("persistedQuery")
    return persisted if isinstance(persisted, dict) else None
