"""The "floor" of the benchmark: the storefront pages answered by hand, without GraphQL.

A plain Starlette app on the same database and driver as the API (SQLAlchemy Core ``text()``
queries on an async engine), returning byte for byte the JSON the API returns for

    { products(first: 20[, search: "cafe"]) { edges { node {
        id name price { formatted } stock shop { id name } images { url } } } } }

``POST /storefront`` and ``POST /search`` read the request body and ignore it (the page and the
search word are fixed). Every request runs two real queries on one pooled connection: the page
(products joined to their shop, the current price computed in SQL) and the page's photos.
Nothing is cached. Settings come from the API's own environment variables:
``OTESAINTJO_DATABASE_URL``, ``OTESAINTJO_PUBLIC_URL``, plus ``BENCH_SEARCH`` (default ``cafe``).

Only for the runner's self-check, the query string may change the page: ``?first=100`` (1–100)
and, on ``/search``, ``?q=words``. The load test never sends them.

Run: ``uvicorn --app-dir bench floor:app --host 127.0.0.1 --port 8001``.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from babel.numbers import format_currency
from sqlalchemy import bindparam, text
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from otesaintjo.db import create_engine  # the API's engine: same pool, same SQLite pragmas

DATABASE_URL = os.environ.get("OTESAINTJO_DATABASE_URL", "sqlite+aiosqlite:///./otesaintjo.db")
MEDIA_URL = os.environ.get("OTESAINTJO_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/") + "/media"
SEARCH = os.environ.get("BENCH_SEARCH", "cafe")
PAGE_SIZE = 20
MAX_PAGE = 100

# The current price: the lowest of the price and of every running promotion of the shop that
# covers the product (services/pricing.py), percentages in basis points rounded half up.
_PRICE = """
    COALESCE((
        SELECT MIN(CASE
            WHEN pr.kind = 'PERCENT' THEN p.price_cents - (p.price_cents * pr.value + 5000) / 10000
            WHEN p.price_cents - pr.value < 0 THEN 0
            ELSE p.price_cents - pr.value
        END)
        FROM promotion pr
        WHERE pr.shop_id = p.shop_id
          AND pr.starts_at <= :now AND pr.ends_at > :now AND pr.ended_at IS NULL
          AND (pr.all_products = TRUE OR EXISTS (
                SELECT 1 FROM promotion_product pp
                WHERE pp.promotion_id = pr.id AND pp.product_id = p.id))
    ), p.price_cents)
"""
_COLUMNS = f"p.id, p.name, p.stock, s.id AS shop_id, s.name AS shop_name, {_PRICE} AS price"
_PUBLIC = "p.is_online = TRUE AND s.is_active = TRUE"

# Newest first, as the API's default order.
STOREFRONT_SQL = f"""
    SELECT {_COLUMNS}
    FROM product p JOIN shop s ON s.id = p.shop_id
    WHERE {_PUBLIC}
    ORDER BY p.created_at DESC, p.id DESC
    LIMIT :limit
"""  # noqa: S608 (constant fragments only, values are bound parameters)

# By relevance: FTS5 bm25 on SQLite, ts_rank on PostgreSQL (services/search.py).
SEARCH_SQL = {
    "sqlite": f"""
        SELECT {_COLUMNS}
        FROM product p JOIN shop s ON s.id = p.shop_id
        JOIN (SELECT rowid AS id, -bm25(product_fts) AS score
              FROM product_fts WHERE product_fts MATCH :match) m ON m.id = p.id
        WHERE {_PUBLIC}
        ORDER BY m.score DESC, p.id DESC
        LIMIT :limit
    """,  # noqa: S608
    "postgresql": f"""
        SELECT {_COLUMNS}
        FROM product p JOIN shop s ON s.id = p.shop_id
        WHERE {_PUBLIC}
          AND p.search_vector @@ to_tsquery('fr_unaccent'::regconfig, :match)
        ORDER BY ts_rank(p.search_vector, to_tsquery('fr_unaccent'::regconfig, :match)) DESC,
                 p.id DESC
        LIMIT :limit
    """,  # noqa: S608
}

IMAGES_SQL = text(
    "SELECT product_id, key FROM product_image WHERE product_id IN :ids ORDER BY position, id"
).bindparams(bindparam("ids", expanding=True))


def search_match(dialect: str, search: str) -> str:
    """Every word as a prefix, all required: the API's rule (services/search.py)."""
    words = [w[:40] for w in re.findall(r"\w+", search.replace("_", " "))][:8]
    if dialect == "postgresql":
        return " & ".join(f"{word}:*" for word in words)
    return " ".join(f'"{word}"*' for word in words)


def global_id(type_name: str, row_id: int) -> str:
    """A Relay global id, as ``strawberry.relay.to_base64``."""
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def money(cents: int) -> str:
    return format_currency(Decimal(cents) / 100, "EUR", locale="fr_FR")


def db_now(dialect: str) -> datetime | str:
    """Now, as timestamps are stored: naive UTC text on SQLite, ``timestamptz`` elsewhere."""
    now = datetime.now(UTC)
    if dialect == "sqlite":
        return now.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return now


def page_size(request: Request) -> int:
    """``?first=`` (self-check only), else the benchmark's 20."""
    first = request.query_params.get("first", "")
    return min(max(int(first), 1), MAX_PAGE) if first.isdigit() else PAGE_SIZE


async def page_json(
    connection: AsyncConnection, sql: str, params: dict[str, Any], dialect: str, limit: int
) -> bytes:
    """The GraphQL-shaped body of one page: products, then their photos."""
    rows: Sequence[Row[Any]] = (
        await connection.execute(text(sql), {**params, "now": db_now(dialect), "limit": limit})
    ).all()
    urls: dict[int, list[dict[str, str]]] = defaultdict(list)
    if rows:
        images = await connection.execute(IMAGES_SQL, {"ids": [row.id for row in rows]})
        for product_id, key in images:
            urls[product_id].append({"url": f"{MEDIA_URL}/{key}"})
    edges = [
        {
            "node": {
                "id": global_id("Product", row.id),
                "name": row.name,
                "price": {"formatted": money(row.price)},
                "stock": row.stock,
                "shop": {"id": global_id("Shop", row.shop_id), "name": row.shop_name},
                "images": urls.get(row.id, []),
            }
        }
        for row in rows
    ]
    body = {"data": {"products": {"edges": edges}}}
    return json.dumps(body, separators=(",", ":")).encode()


def create_app() -> Starlette:
    engine = create_engine(DATABASE_URL)
    dialect = engine.dialect.name
    search_sql = SEARCH_SQL[dialect]
    match = search_match(dialect, SEARCH)

    async def storefront(request: Request) -> Response:
        await request.body()
        async with engine.connect() as connection:
            body = await page_json(connection, STOREFRONT_SQL, {}, dialect, page_size(request))
        return Response(body, media_type="application/json")

    async def search(request: Request) -> Response:
        await request.body()
        words = request.query_params.get("q")
        params = {"match": search_match(dialect, words) if words else match}
        async with engine.connect() as connection:
            body = await page_json(connection, search_sql, params, dialect, page_size(request))
        return Response(body, media_type="application/json")

    async def healthz(_request: Request) -> JSONResponse:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return JSONResponse({"status": "ok"})

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await engine.dispose()

    return Starlette(
        routes=[
            Route("/storefront", storefront, methods=["POST"]),
            Route("/search", search, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


app = create_app()
