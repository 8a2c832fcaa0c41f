"""The public catalogue: which shops and products a listing shows, and in which order.

Each function returns a SELECT whose first column is the row, plus the keyset sort keys;
``schema.pagination.paginate`` pages through it. Only active shops and online products are
public; a shop's merchants also see its offline products.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, and_, bindparam, exists, literal, select

from otesaintjo.models import Product, Shop, ShopCategory
from otesaintjo.services import pages
from otesaintjo.services.pricing import effective_price_sql
from otesaintjo.services.search import (
    CANDIDATES,
    SEARCH_PARAMETER,
    apply_search,
    bounds_results,
    search_terms,
)
from otesaintjo.sorting import SortKey

KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LNG_AT_EQUATOR = 111.320


class ProductSort(StrEnum):
    RELEVANCE = "RELEVANCE"
    PRICE_ASC = "PRICE_ASC"
    PRICE_DESC = "PRICE_DESC"
    NEWEST = "NEWEST"
    STOCK_ASC = "STOCK_ASC"


@dataclass(frozen=True)
class ProductFilters:
    search: str | None = None
    shop_id: int | None = None
    category: str | None = None
    on_sale: bool | None = None
    deliverable: bool | None = None
    min_price: int | None = None
    max_price: int | None = None
    sort: ProductSort | None = None
    include_offline: bool = False  # only for the shop's own merchants


@dataclass(frozen=True)
class Near:
    latitude: float
    longitude: float
    radius_km: float


@dataclass(frozen=True)
class ShopFilters:
    search: str | None = None
    category: str | None = None
    near: Near | None = None
    postcode: str | None = None


PRODUCT_COLUMNS = tuple(Product.__table__.c)  # type: ignore[attr-defined]
"""A listed product is a row of these: its attributes are a ``Product``'s."""
_SHOP = Shop.__table__.c  # type: ignore[attr-defined]
SHOP_CARD = tuple(
    getattr(_SHOP, name).label(f"shop_{name}")
    for name in ("slug", "name", "street", "postcode", "town", "latitude", "longitude")
)
"""Then what a product card shows of its shop (``shop_name``…), read in the same statement:
the listing joins the shop already, and a card's shop then needs no statement of its own."""


@dataclass(frozen=True)
class ProductsShape:
    """What a products listing's statement depends on, beside its parameters' values: the
    listings of one shape share one statement (``pages.built_once``)."""

    sort: ProductSort
    searched: bool | None  # None: no search; False: no word long enough
    shop: bool
    category: bool
    deliverable: bool | None
    on_sale: bool | None
    min_price: bool
    max_price: bool
    include_offline: bool
    dialect: str


def products_shape(
    filters: ProductFilters, dialect: str, now: datetime
) -> tuple[ProductsShape, dict[str, Any]]:
    """The listing's shape and the values of its parameters."""
    sort = filters.sort or (ProductSort.RELEVANCE if filters.search else ProductSort.NEWEST)
    if sort == ProductSort.RELEVANCE and not filters.search:
        sort = ProductSort.NEWEST
    terms = search_terms(dialect, filters.search) if filters.search else None
    shape = ProductsShape(
        sort=sort,
        searched=None if not filters.search else terms is not None,
        shop=filters.shop_id is not None,
        category=bool(filters.category),
        deliverable=filters.deliverable,
        on_sale=filters.on_sale,
        min_price=filters.min_price is not None,
        max_price=filters.max_price is not None,
        include_offline=filters.include_offline,
        dialect=dialect,
    )
    parameters: dict[str, Any] = {
        "now": now,
        "shop_id": filters.shop_id,
        "category": filters.category,
        "min_price": filters.min_price,
        "max_price": filters.max_price,
        SEARCH_PARAMETER: terms,
    }
    return shape, parameters


def products_listing(shape: ProductsShape) -> tuple[Select, list[SortKey]]:
    """The listing of ``shape``, its values as parameters (``products_shape``)."""
    sort = shape.sort
    price_sorted = sort in (ProductSort.PRICE_ASC, ProductSort.PRICE_DESC)
    price_filtered = shape.on_sale is not None or shape.min_price or shape.max_price
    # Plain rows (the product's columns, then the sort's computed ones), not ORM objects: the
    # page reads 21 of them and only shows their values (~0.5 ms less than entities).
    query = select(*PRODUCT_COLUMNS, *SHOP_CARD).join(Shop, Shop.id == Product.shop_id)
    # The current price is a correlated subquery: built and run only when it is used.
    current = effective_price_sql(bindparam("now")) if price_sorted or price_filtered else None
    if price_sorted:
        query = query.add_columns(current.label("current_price"))
    if not shape.include_offline:
        query = query.where(Product.is_online.is_(True), Shop.is_active.is_(True))  # type: ignore[attr-defined]
    if shape.shop:
        query = query.where(Product.shop_id == bindparam("shop_id"))
    if shape.category:
        query = query.where(Product.category == bindparam("category"))
    if shape.deliverable is not None:
        query = query.where(Product.deliverable.is_(shape.deliverable))  # type: ignore[attr-defined]
    if shape.on_sale is True:
        query = query.where(current < Product.price_cents)
    elif shape.on_sale is False:
        query = query.where(current >= Product.price_cents)
    if shape.min_price:
        query = query.where(current >= bindparam("min_price"))
    if shape.max_price:
        query = query.where(current <= bindparam("max_price"))
    score = None
    if shape.searched is not None:
        query, score = apply_search(query, "product", shape.dialect, shape.searched)
        if sort == ProductSort.RELEVANCE:
            query = query.add_columns(score.label("score"))
    keys = {
        ProductSort.RELEVANCE: [SortKey(score, True, "score")],
        ProductSort.PRICE_ASC: [SortKey(current, False, "current_price")],
        ProductSort.PRICE_DESC: [SortKey(current, True, "current_price")],
        ProductSort.NEWEST: [SortKey(Product.created_at, True, "created_at")],
        ProductSort.STOCK_ASC: [SortKey(Product.stock, False, "stock")],
    }[sort]
    descending_id = sort in (ProductSort.RELEVANCE, ProductSort.NEWEST, ProductSort.PRICE_DESC)
    return query, [*keys, SortKey(Product.id, descending_id, "id")]


def orders_by_stock_across_shops(filters: ProductFilters) -> bool:
    """The one listing a stock move can reorder beyond the shops it shows."""
    return filters.sort == ProductSort.STOCK_ASC and filters.shop_id is None


def shops_listing(
    filters: ShopFilters, dialect: str
) -> tuple[Select, list[SortKey], dict[str, Any]]:
    query = select(Shop).where(Shop.is_active.is_(True))  # type: ignore[attr-defined]
    if filters.category:
        query = query.where(
            exists().where(
                ShopCategory.shop_id == Shop.id, ShopCategory.category == filters.category
            )
        )
    if filters.postcode:
        query = query.where(Shop.postcode == filters.postcode)
    keys = [SortKey(Shop.name, False), SortKey(Shop.id, False)]
    if filters.near is not None:
        distance = distance_sq_km2(filters.near)
        query = query.where(_bounding_box(filters.near), distance <= filters.near.radius_km**2)
        query = query.add_columns(distance.label("distance"))
        keys = [SortKey(distance, False, "distance"), SortKey(Shop.id, False)]
    parameters: dict[str, Any] = {}
    if filters.search:
        terms = search_terms(dialect, filters.search)
        parameters[SEARCH_PARAMETER] = terms
        query, score = apply_search(query, "shop", dialect, terms is not None)
        query = query.add_columns(score.label("score"))
        keys = [SortKey(score, True, "score"), SortKey(Shop.id, True)]
    return query, keys, parameters


def distance_sq_km2(near: Near):
    """Squared distance in km² (equirectangular: exact enough across a town, plain SQL)."""
    lng_scale = KM_PER_DEGREE_LNG_AT_EQUATOR * math.cos(math.radians(near.latitude))
    dx = (Shop.longitude - literal(near.longitude)) * lng_scale  # type: ignore[operator]
    dy = (Shop.latitude - literal(near.latitude)) * KM_PER_DEGREE_LAT  # type: ignore[operator]
    return dx * dx + dy * dy


def _bounding_box(near: Near):
    """Lets the (latitude, longitude) index discard far shops before the distance is computed."""
    dlat = near.radius_km / KM_PER_DEGREE_LAT
    dlng = near.radius_km / max(
        KM_PER_DEGREE_LNG_AT_EQUATOR * math.cos(math.radians(near.latitude)), 1e-6
    )
    return and_(
        Shop.latitude.between(near.latitude - dlat, near.latitude + dlat),  # type: ignore[union-attr]
        Shop.longitude.between(near.longitude - dlng, near.longitude + dlng),  # type: ignore[union-attr]
    )


async def products_page(
    factory: pages.Factory,
    filters: ProductFilters,
    dialect: str,
    now: datetime,
    *,
    limit: int,
    after: str | None,
    on_rows: Callable[[list[Any]], None] | None = None,
) -> pages.Page:
    """A page of products: rows of ``PRODUCT_COLUMNS`` and ``SHOP_CARD`` (``on_rows`` sees
    them all)."""
    shape, parameters = products_shape(filters, dialect, now)
    statements, keys = pages.built_once(shape, lambda: products_listing(shape), after=bool(after))
    bound = CANDIDATES if filters.search and bounds_results(dialect) else None
    return await pages.keyset_page(
        factory,
        statements,
        keys,
        limit=limit,
        after=after,
        count_bound=bound,
        parameters=parameters,
        on_rows=on_rows,
    )


async def shops_page(
    factory: pages.Factory, filters: ShopFilters, dialect: str, *, limit: int, after: str | None
) -> pages.Page:
    query, keys, parameters = shops_listing(filters, dialect)
    bound = CANDIDATES if filters.search and bounds_results(dialect) else None
    return await pages.keyset_page(
        factory, query, keys, limit=limit, after=after, count_bound=bound, parameters=parameters
    )
