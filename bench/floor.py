"""The "floor" of the benchmark: the same pages answered by hand, without GraphQL.

A plain Starlette app on the same database and driver as the API (SQLAlchemy Core ``text()``
queries on the API's own async engine: same pool, same SQLite pragmas), returning byte for
byte the JSON the API returns for the documents of ``bench/mix.py``:

- ``POST /storefront``: ``products(first: 20, after: $after)``, newest first (keyset on
  ``created_at DESC, id DESC``; the cursor is the API's own, decoded here);
- ``POST /search``: ``products(first: 20, search: $q)`` by relevance (FTS5 ``bm25`` on SQLite,
  ``ts_rank`` on ``search_vector`` with ``fr_unaccent`` on PostgreSQL, then ``id DESC``);
- ``POST /shop``: ``shop(slug: $slug)``: the shop, its categories, its site (shown once 2
  products are online) and its first 20 products, newest first;
- ``POST /product``: ``node(id: $id)`` of a product: its details and shop, its current price
  (and, when a promotion lowers it, the price it replaces and the end of that promotion: one
  more query), its photos.

Each request reads the JSON body (``variables`` only: the document is known in advance), runs
its queries on one pooled connection and serialises with ``json.dumps`` as strawberry does.
The current price is computed in SQL: the lowest of the price and every running promotion of
the shop that covers the product (``services/pricing.py``). Prices are formatted by babel
(``fr_FR``, cached per amount as the API does), Relay ids are standard base64 of
``Type:id``, photo URLs are ``OTESAINTJO_PUBLIC_URL + "/media/" + key``, times ISO 8601 in
Réunion time. Nothing else is cached.

Signed in (``Authorization: Bearer …``), a request first does what the least server must: it
verifies the token (PyJWT: HS256 with ``OTESAINTJO_SECRET_KEY``, audience, expiry) and checks
in the database, on the same connection, that its sign-in session is alive and belongs to the
user (one query; logout takes effect at once, as in the API). A bad token gets a 401. It
checks nothing else: the answers are the same as anonymous ones for customers.

Run: ``bench/serve_with_gc_stats.py --floor`` (or ``uvicorn --factory floor:create_app``
from ``bench/``). Settings: ``OTESAINTJO_DATABASE_URL``, ``OTESAINTJO_PUBLIC_URL``,
``OTESAINTJO_SECRET_KEY``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import jwt
from babel.numbers import format_currency
from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from otesaintjo.db import create_engine  # the API's engine: same pool, same SQLite pragmas

PAGE_SIZE = 20
WEBSITE_MIN_ONLINE = 2  # services/shops.py: a merchant's site is public from 2 products online
REUNION = ZoneInfo("Indian/Reunion")
VAT_RATES = {850: "NORMAL", 210: "REDUCED", 105: "SPECIAL"}
AUDIENCE = "otesaintjo-api"

# One promotion's price for product p: percent in basis points rounded half up, or cents off,
# never below one cent (a free product stays free).
_LOWERED = """
    CASE WHEN (CASE WHEN pr.kind = 'PERCENT'
                    THEN p.price_cents - (p.price_cents * pr.value + 5000) / 10000
                    ELSE p.price_cents - pr.value END)
              < (CASE WHEN p.price_cents < 1 THEN p.price_cents ELSE 1 END)
         THEN (CASE WHEN p.price_cents < 1 THEN p.price_cents ELSE 1 END)
         ELSE (CASE WHEN pr.kind = 'PERCENT'
                    THEN p.price_cents - (p.price_cents * pr.value + 5000) / 10000
                    ELSE p.price_cents - pr.value END)
    END
"""
# The running promotions of p's shop that cover p.
_COVERING = """
    FROM promotion pr
    WHERE pr.shop_id = p.shop_id
      AND pr.starts_at <= :now AND pr.ends_at > :now AND pr.ended_at IS NULL
      AND (pr.all_products = TRUE OR EXISTS (
            SELECT 1 FROM promotion_product pp
            WHERE pp.promotion_id = pr.id AND pp.product_id = p.id))
"""
_PRICE = f"COALESCE((SELECT MIN({_LOWERED}) {_COVERING}), p.price_cents)"
_CARD = (
    f"p.id, p.name, p.stock, p.created_at, s.id AS shop_id, s.name AS shop_name, {_PRICE} AS price"
)
_PUBLIC = "p.is_online = TRUE AND s.is_active = TRUE"

STOREFRONT_SQL = f"""
    SELECT {_CARD}
    FROM product p JOIN shop s ON s.id = p.shop_id
    WHERE {_PUBLIC}
    ORDER BY p.created_at DESC, p.id DESC
    LIMIT :limit
"""  # noqa: S608 (constant fragments only, values are bound parameters)
STOREFRONT_AFTER_SQL = f"""
    SELECT {_CARD}
    FROM product p JOIN shop s ON s.id = p.shop_id
    WHERE {_PUBLIC}
      AND (p.created_at < :after_at OR (p.created_at = :after_at AND p.id < :after_id))
    ORDER BY p.created_at DESC, p.id DESC
    LIMIT :limit
"""  # noqa: S608
SEARCH_SQL = {
    "sqlite": f"""
        SELECT {_CARD}, m.score AS score
        FROM product p JOIN shop s ON s.id = p.shop_id
        JOIN (SELECT rowid AS id, -bm25(product_fts) AS score
              FROM product_fts WHERE product_fts MATCH :match) m ON m.id = p.id
        WHERE {_PUBLIC}
        ORDER BY m.score DESC, p.id DESC
        LIMIT :limit
    """,  # noqa: S608
    "postgresql": f"""
        SELECT {_CARD},
               ts_rank(p.search_vector, to_tsquery('fr_unaccent'::regconfig, :match)) AS score
        FROM product p JOIN shop s ON s.id = p.shop_id
        WHERE {_PUBLIC}
          AND p.search_vector @@ to_tsquery('fr_unaccent'::regconfig, :match)
        ORDER BY score DESC, p.id DESC
        LIMIT :limit
    """,  # noqa: S608
}
SHOP_SQL = """
    SELECT id, slug, name, street, postcode, town, description, website
    FROM shop WHERE slug = :slug AND is_active = TRUE
"""
SHOP_CATEGORIES_SQL = "SELECT category FROM shop_category WHERE shop_id = :shop ORDER BY category"
SHOP_ONLINE_SQL = "SELECT count(*) FROM product WHERE shop_id = :shop AND is_online = TRUE"
SHOP_PRODUCTS_SQL = f"""
    SELECT p.id, p.name, p.stock, p.created_at, {_PRICE} AS price
    FROM product p JOIN shop s ON s.id = p.shop_id
    WHERE p.shop_id = :shop AND {_PUBLIC}
    ORDER BY p.created_at DESC, p.id DESC
    LIMIT :limit
"""  # noqa: S608
PRODUCT_SQL = f"""
    SELECT p.id, p.name, p.description, p.category, p.deliverable, p.stock, p.price_cents,
           p.vat_bp, s.id AS shop_id, s.slug AS shop_slug, s.name AS shop_name,
           {_PRICE} AS price
    FROM product p JOIN shop s ON s.id = p.shop_id
    WHERE p.id = :id AND {_PUBLIC}
"""  # noqa: S608
# The end of the promotion giving the product its price (the first one, by id, on a tie: the
# API keeps the first it meets, in the table's order). Asked only when a promotion lowers it.
PROMOTION_END_SQL = f"""
    SELECT pr.ends_at
    FROM product p JOIN promotion pr ON pr.shop_id = p.shop_id
    WHERE p.id = :id
      AND pr.starts_at <= :now AND pr.ends_at > :now AND pr.ended_at IS NULL
      AND (pr.all_products = TRUE OR EXISTS (
            SELECT 1 FROM promotion_product pp
            WHERE pp.promotion_id = pr.id AND pp.product_id = p.id))
    ORDER BY {_LOWERED}, pr.id
    LIMIT 1
"""  # noqa: S608
IMAGES_SQL = text(
    "SELECT product_id, key FROM product_image WHERE product_id IN :ids ORDER BY position, id"
).bindparams(bindparam("ids", expanding=True))
SESSION_SQL = text("""
    SELECT u.id FROM user_account u JOIN auth_session a ON a.user_id = u.id
    WHERE a.id = :sid AND u.id = :uid AND a.revoked_at IS NULL AND a.expires_at > :now
""")


class Unauthorized(Exception):
    """A bearer token that is not valid, or whose sign-in session is over."""


def search_match(dialect: str, search: str) -> str:
    """Every word of 2 letters or more as a prefix, all required: the API's rule
    (services/search.py). The API also ranks at most the first 1,000 matches on PostgreSQL;
    no term of the mix finds that many (the self-check would show it)."""
    found = re.findall(r"\w+", search.replace("_", " "))
    words = [w[:40] for w in found if len(w) >= 2][:8]
    if dialect == "postgresql":
        return " & ".join(f"{word}:*" for word in words)
    return " ".join(f'"{word}"*' for word in words)


def global_id(type_name: str, row_id: int) -> str:
    """A Relay global id, as ``strawberry.relay.to_base64``."""
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def product_pk(value: Any) -> int | None:
    try:
        type_name, _, pk = base64.b64decode(str(value), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return int(pk) if type_name == "Product" and pk.isdigit() and len(pk) <= 10 else None


@lru_cache(maxsize=8192)
def money(cents: int) -> str:
    return format_currency(Decimal(cents) / 100, "EUR", locale="fr_FR")


def encode_cursor(values: Sequence[Any]) -> str:
    """The API's keyset cursor (services/pages.py): JSON of the sort keys, urlsafe base64."""
    plain = [{"dt": v.isoformat()} if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """``[created_at, id]`` of a storefront cursor."""
    at, row_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    return datetime.fromisoformat(at["dt"]), int(row_id)


class Dialect:
    """How timestamps travel: naive UTC text on SQLite, ``timestamptz`` on PostgreSQL."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sqlite = name == "sqlite"

    def bind(self, value: datetime) -> datetime | str:
        if self.sqlite:
            return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        return value

    def now(self) -> datetime | str:
        return self.bind(datetime.now(UTC))

    def read(self, value: Any) -> datetime:
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


async def photos(connection: AsyncConnection, ids: list[int]) -> dict[int, list[dict[str, str]]]:
    urls: dict[int, list[dict[str, str]]] = defaultdict(list)
    if ids:
        for product_id, key in await connection.execute(IMAGES_SQL, {"ids": ids}):
            urls[product_id].append({"url": f"{MEDIA_URL}/{key}"})
    return urls


MEDIA_URL = os.environ.get("OTESAINTJO_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/") + "/media"


def create_app() -> Starlette:
    engine = create_engine(
        os.environ.get("OTESAINTJO_DATABASE_URL", "sqlite+aiosqlite:///./otesaintjo.db")
    )
    secret = os.environ.get("OTESAINTJO_SECRET_KEY", "")
    dialect = Dialect(engine.dialect.name)
    search_sql = SEARCH_SQL[dialect.name]

    async def product_page(
        connection: AsyncConnection, sql: str, params: dict[str, Any], cursor_key: str
    ) -> dict[str, Any]:
        """A page of product cards: ``edges`` then ``pageInfo``, as the API's connection."""
        query = {**params, "now": dialect.now(), "limit": PAGE_SIZE + 1}
        rows = (await connection.execute(text(sql), query)).all()
        rows, more = rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
        urls = await photos(connection, [row.id for row in rows])
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
        last = rows[-1] if rows else None
        end = None
        if last is not None:
            key = dialect.read(last.created_at) if cursor_key == "created_at" else last.score
            end = encode_cursor([key, last.id])
        return {"edges": edges, "pageInfo": {"hasNextPage": more, "endCursor": end}}

    async def storefront(connection: AsyncConnection, variables: dict[str, Any]) -> Any:
        after = variables.get("after")
        if not after:
            return {"products": await product_page(connection, STOREFRONT_SQL, {}, "created_at")}
        at, row_id = decode_cursor(after)
        params = {"after_at": dialect.bind(at), "after_id": row_id}
        return {
            "products": await product_page(connection, STOREFRONT_AFTER_SQL, params, "created_at")
        }

    async def search(connection: AsyncConnection, variables: dict[str, Any]) -> Any:
        params = {"match": search_match(dialect.name, str(variables.get("q", "")))}
        return {"products": await product_page(connection, search_sql, params, "score")}

    async def shop(connection: AsyncConnection, variables: dict[str, Any]) -> Any:
        slug = str(variables.get("slug", ""))[:80]
        row = (await connection.execute(text(SHOP_SQL), {"slug": slug})).first()
        if row is None:
            return {"shop": None}
        categories = list(
            (await connection.execute(text(SHOP_CATEGORIES_SQL), {"shop": row.id})).scalars()
        )
        website = row.website
        if website:
            online = (await connection.execute(text(SHOP_ONLINE_SQL), {"shop": row.id})).scalar()
            website = website if int(online or 0) >= WEBSITE_MIN_ONLINE else None
        params = {"shop": row.id, "now": dialect.now(), "limit": PAGE_SIZE + 1}
        products = (await connection.execute(text(SHOP_PRODUCTS_SQL), params)).all()
        products, more = products[:PAGE_SIZE], len(products) > PAGE_SIZE
        urls = await photos(connection, [p.id for p in products])
        last = products[-1] if products else None
        return {
            "shop": {
                "id": global_id("Shop", row.id),
                "slug": row.slug,
                "name": row.name,
                "address": {"street": row.street, "postcode": row.postcode, "town": row.town},
                "categories": categories,
                "about": {"description": row.description, "website": website},
                "products": {
                    "edges": [
                        {
                            "node": {
                                "id": global_id("Product", p.id),
                                "name": p.name,
                                "price": {"formatted": money(p.price)},
                                "stock": p.stock,
                                "images": urls.get(p.id, []),
                            }
                        }
                        for p in products
                    ],
                    "pageInfo": {
                        "hasNextPage": more,
                        "endCursor": encode_cursor([dialect.read(last.created_at), last.id])
                        if last is not None
                        else None,
                    },
                },
            }
        }

    async def product(connection: AsyncConnection, variables: dict[str, Any]) -> Any:
        pk = product_pk(variables.get("id"))
        row = None
        if pk is not None:
            params = {"id": pk, "now": dialect.now()}
            row = (await connection.execute(text(PRODUCT_SQL), params)).first()
        if row is None:
            return {"node": None}
        urls = await photos(connection, [row.id])
        lowered = row.price < row.price_cents
        ends_at = None
        if lowered:
            end = (await connection.execute(text(PROMOTION_END_SQL), params)).scalar()
            ends_at = dialect.read(end).astimezone(REUNION).isoformat()
        return {
            "node": {
                "id": global_id("Product", row.id),
                "name": row.name,
                "description": row.description,
                "category": row.category,
                "deliverable": bool(row.deliverable),
                "stock": row.stock,
                "available": row.stock > 0,  # online: the query keeps online products only
                "price": {"formatted": money(row.price)},
                "compareAtPrice": {"formatted": money(row.price_cents)} if lowered else None,
                "promotionEndsAt": ends_at,
                "regularPrice": {"formatted": money(row.price_cents)},
                "vatRate": VAT_RATES[row.vat_bp],
                "shop": {
                    "id": global_id("Shop", row.shop_id),
                    "slug": row.shop_slug,
                    "name": row.shop_name,
                },
                "images": urls.get(row.id, []),
            }
        }

    async def signed_in(connection: AsyncConnection, authorization: str) -> None:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized
        try:
            claims = jwt.decode(
                token.strip(),
                secret,
                algorithms=["HS256"],
                audience=AUDIENCE,
                options={"require": ["exp", "sub", "sid"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized from exc
        params = {"sid": int(claims["sid"]), "uid": int(claims["sub"]), "now": dialect.now()}
        if (await connection.execute(SESSION_SQL, params)).first() is None:
            raise Unauthorized

    def endpoint(
        build: Callable[[AsyncConnection, dict[str, Any]], Awaitable[Any]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            payload = json.loads(await request.body())
            variables = payload.get("variables") or {}
            authorization = request.headers.get("authorization")
            async with engine.connect() as connection:
                if authorization is not None:
                    try:
                        await signed_in(connection, authorization)
                    except Unauthorized:
                        return JSONResponse({"error": "unauthorized"}, status_code=401)
                data = await build(connection, variables)
            body = json.dumps({"data": data}, separators=(",", ":")).encode()
            return Response(body, media_type="application/json")

        return handle

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
            Route("/storefront", endpoint(storefront), methods=["POST"]),
            Route("/search", endpoint(search), methods=["POST"]),
            Route("/shop", endpoint(shop), methods=["POST"]),
            Route("/product", endpoint(product), methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
