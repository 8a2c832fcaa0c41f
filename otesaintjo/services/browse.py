"""The public catalogue: which shops and products a listing shows, and in which order.

Each function returns a SELECT whose first column is the row, plus the keyset sort keys;
``schema.pagination.paginate`` pages through it. Only active shops and online products are
public; a shop's merchants also see its offline products.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Select, and_, exists, literal, select

from otesaintjo.models import Product, Shop, ShopCategory
from otesaintjo.services import pages
from otesaintjo.services.pricing import effective_price_sql
from otesaintjo.services.search import CANDIDATES, apply_search, bounds_results
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


def products_listing(
    filters: ProductFilters, dialect: str, now: datetime
) -> tuple[Select, list[SortKey]]:
    sort = filters.sort or (ProductSort.RELEVANCE if filters.search else ProductSort.NEWEST)
    if sort == ProductSort.RELEVANCE and not filters.search:
        sort = ProductSort.NEWEST
    price_sorted = sort in (ProductSort.PRICE_ASC, ProductSort.PRICE_DESC)
    price_filtered = (filters.on_sale, filters.min_price, filters.max_price) != (None, None, None)
    query = select(Product).join(Shop, Shop.id == Product.shop_id)
    # The current price is a correlated subquery: built and run only when it is used.
    current = effective_price_sql(now) if price_sorted or price_filtered else None
    if price_sorted:
        query = query.add_columns(current.label("current_price"))
    if not filters.include_offline:
        query = query.where(Product.is_online.is_(True), Shop.is_active.is_(True))  # type: ignore[attr-defined]
    if filters.shop_id is not None:
        query = query.where(Product.shop_id == filters.shop_id)
    if filters.category:
        query = query.where(Product.category == filters.category)
    if filters.deliverable is not None:
        query = query.where(Product.deliverable.is_(filters.deliverable))  # type: ignore[attr-defined]
    if filters.on_sale is True:
        query = query.where(current < Product.price_cents)
    elif filters.on_sale is False:
        query = query.where(current >= Product.price_cents)
    if filters.min_price is not None:
        query = query.where(current >= filters.min_price)
    if filters.max_price is not None:
        query = query.where(current <= filters.max_price)
    score = None
    if filters.search:
        query, score = apply_search(query, "product", dialect, filters.search)
        if sort == ProductSort.RELEVANCE:
            query = query.add_columns(score.label("score"))
    keys = {
        ProductSort.RELEVANCE: [SortKey(score, True, "score")],
        ProductSort.PRICE_ASC: [SortKey(current, False, "current_price")],
        ProductSort.PRICE_DESC: [SortKey(current, True, "current_price")],
        ProductSort.NEWEST: [SortKey(Product.created_at, True)],
        ProductSort.STOCK_ASC: [SortKey(Product.stock, False)],
    }[sort]
    descending_id = sort in (ProductSort.RELEVANCE, ProductSort.NEWEST, ProductSort.PRICE_DESC)
    return query, [*keys, SortKey(Product.id, descending_id)]


def orders_by_stock_across_shops(filters: ProductFilters) -> bool:
    """The one listing a stock move can reorder beyond the shops it shows."""
    return filters.sort == ProductSort.STOCK_ASC and filters.shop_id is None


def shops_listing(filters: ShopFilters, dialect: str) -> tuple[Select, list[SortKey]]:
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
    if filters.search:
        query, score = apply_search(query, "shop", dialect, filters.search)
        query = query.add_columns(score.label("score"))
        keys = [SortKey(score, True, "score"), SortKey(Shop.id, True)]
    return query, keys


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
) -> pages.Page:
    query, keys = products_listing(filters, dialect, now)
    bound = CANDIDATES if filters.search and bounds_results(dialect) else None
    return await pages.keyset_page(
        factory, query, keys, limit=limit, after=after, count_bound=bound
    )


async def shops_page(
    factory: pages.Factory, filters: ShopFilters, dialect: str, *, limit: int, after: str | None
) -> pages.Page:
    query, keys = shops_listing(filters, dialect)
    bound = CANDIDATES if filters.search and bounds_results(dialect) else None
    return await pages.keyset_page(
        factory, query, keys, limit=limit, after=after, count_bound=bound
    )
