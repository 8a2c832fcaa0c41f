"""What a product costs now: its price, lowered by the best running promotion of its shop.

A promotion runs while ``starts_at <= now < ends_at`` and it was not ended early, so the normal
price comes back by itself at the end date: nothing has to run at that moment. When several
promotions cover a product, the one giving the lowest price wins (the customer's best deal).

The rule exists twice, on purpose: ``best_offer`` (Python, for display) and
``effective_price_sql`` (SQL, to filter and sort the catalogue). A test checks they agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select

from otesaintjo.models import Product, Promotion, PromotionKind, PromotionProduct

MIN_PRICE_CENTS = 1  # a promotion never makes a product free


def discounted(price_cents: int, kind: str, value: int) -> int:
    """Price after one promotion: percent in basis points (rounded half up), or cents off;
    never below one cent (an amount promotion may meet a product priced after it began)."""
    floor = min(price_cents, MIN_PRICE_CENTS)  # a free product stays free, nothing else gets so
    if kind == PromotionKind.PERCENT:
        return max(price_cents - (price_cents * value + 5000) // 10000, floor)
    return max(price_cents - value, floor)


@dataclass(frozen=True)
class ActivePromotion:
    id: int
    shop_id: int
    kind: str
    value: int
    ends_at: datetime
    product_ids: frozenset[int] | None  # None: every product of the shop

    def covers(self, product_id: int) -> bool:
        return self.product_ids is None or product_id in self.product_ids


@dataclass(frozen=True)
class Offer:
    price_cents: int
    compare_at_cents: int | None  # the regular price it was cut from (the crossed-out price
    # is the reference of services/reference_prices.py, L112-1-1)
    ends_at: datetime | None
    promotion_id: int | None


def best_offer(product: Product, promotions: list[ActivePromotion]) -> Offer:
    best = Offer(product.price_cents, None, None, None)
    for promotion in promotions:
        if promotion.shop_id != product.shop_id or not promotion.covers(product.id):  # type: ignore[arg-type]
            continue
        price = discounted(product.price_cents, promotion.kind, promotion.value)
        if price < best.price_cents:
            best = Offer(price, product.price_cents, promotion.ends_at, promotion.id)
    return best


def running(
    now: datetime | ColumnElement[datetime], promotion: Any = Promotion
) -> ColumnElement[bool]:
    """Promotions running at ``now`` (a time, or a parameter of a statement built once);
    ``promotion``: the model, or its table's columns (a statement of plain rows)."""
    return and_(
        promotion.starts_at <= now,
        promotion.ends_at > now,
        promotion.ended_at.is_(None),
    )


def effective_price_sql(now: datetime) -> ColumnElement[int]:
    """Correlated SQL for ``best_offer(...).price_cents`` of each ``product`` row."""
    price = Product.price_cents
    lowered = case(
        (
            Promotion.kind == PromotionKind.PERCENT,
            price - (price * Promotion.value + 5000) // 10000,
        ),
        else_=price - Promotion.value,
    )
    floor = case((price < MIN_PRICE_CENTS, price), else_=MIN_PRICE_CENTS)
    cut = case((lowered < floor, floor), else_=lowered)
    covers = or_(
        Promotion.all_products.is_(True),  # type: ignore[attr-defined]
        exists()
        .where(
            PromotionProduct.promotion_id == Promotion.id,
            PromotionProduct.product_id == Product.id,
        )
        .correlate(Promotion, Product),
    )
    best = (
        select(func.min(cut))
        .where(Promotion.shop_id == Product.shop_id, running(now), covers)
        .correlate(Product)
        .scalar_subquery()
    )
    # A promotion never raises a price, so the best one (if any) is the price.
    return func.coalesce(best, price)
