"""Promotions: a percentage or an amount off, on a whole shop or a list, until an end date."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.db import one_of_parameter
from otesaintjo.direct_reads import Source, dialect_of, read
from otesaintjo.errors import DomainError, ErrorCode, FieldChecks
from otesaintjo.models import Product, Promotion, PromotionKind, PromotionProduct, User
from otesaintjo.money import format_cents
from otesaintjo.services.pricing import ActivePromotion, running
from otesaintjo.services.shops import shop_for_merchant
from otesaintjo.services.validation import clean_text

MAX_PERCENT_BP = 9000  # 90 %
MAX_PRODUCTS = 100


@dataclass(frozen=True)
class NewPromotion:
    name: str
    kind: str
    value: int
    ends_at: datetime
    starts_at: datetime | None = None
    product_ids: list[int] | None = None  # None: all the shop's products


def check_value(kind: str, value: int, field: list[str]) -> int:
    if kind == PromotionKind.PERCENT and not 1 <= value <= MAX_PERCENT_BP:
        raise DomainError(ErrorCode.INVALID_AMOUNT, "Réduction entre 0,01 % et 90 %.", field)
    if kind == PromotionKind.AMOUNT and value <= 0:
        raise DomainError(ErrorCode.INVALID_AMOUNT, "La réduction doit être positive.", field)
    return value


async def create_promotion(
    session: AsyncSession, user: User, shop_id: int, data: NewPromotion, now: datetime
) -> Promotion:
    await shop_for_merchant(session, user, shop_id, "create_promotion")
    starts_at = data.starts_at or now
    checks = FieldChecks()
    name = checks.check(clean_text, data.name, ["name"], max_length=120)
    checks.check(check_value, data.kind, data.value, ["value"])
    if data.ends_at <= max(now, starts_at):
        checks.errors.append(
            DomainError(
                ErrorCode.INVALID_DATE_RANGE,
                "La fin doit être après le début et dans le futur.",
                ["endsAt"],
            )
        )
    if data.product_ids is not None:
        checks.check(
            _check_products,
            await _shop_product_ids(session, shop_id, data.product_ids),
            data.product_ids,
        )
    if data.kind == PromotionKind.AMOUNT and data.value > 0:
        cheapest = await _cheapest_covered(session, shop_id, data.product_ids)
        if cheapest is not None and data.value >= cheapest[1]:
            name, price = cheapest
            checks.errors.append(
                DomainError(
                    ErrorCode.INVALID_AMOUNT,
                    f"La remise dépasse le prix de « {name} » ({format_cents(price)}) : un prix"
                    " en promotion ne descend pas sous 1 centime.",
                    ["value"],
                )
            )
    checks.raise_if_any()
    promotion = Promotion(
        shop_id=shop_id,
        name=name or "",
        kind=data.kind,
        value=data.value,
        all_products=data.product_ids is None,
        starts_at=starts_at,
        ends_at=data.ends_at,
    )
    session.add(promotion)
    await session.flush()
    session.add_all(
        PromotionProduct(promotion_id=promotion.id, product_id=p)  # type: ignore[arg-type]
        for p in sorted(set(data.product_ids or []))
    )
    return promotion


async def _cheapest_covered(
    session: AsyncSession, shop_id: int, product_ids: list[int] | None
) -> tuple[str, int] | None:
    """The name and price of the cheapest product a promotion would cover."""
    query = select(Product.name, Product.price_cents).where(Product.shop_id == shop_id)
    if product_ids is not None:
        query = query.where(Product.id.in_(product_ids))  # type: ignore[attr-defined]
    row = (await session.execute(query.order_by(Product.price_cents).limit(1))).first()
    return (row[0], row[1]) if row else None


def _check_products(found: set[int], asked: list[int]) -> None:
    if not asked or len(asked) > MAX_PRODUCTS:
        raise DomainError(
            ErrorCode.TOO_MANY_ITEMS, f"Entre 1 et {MAX_PRODUCTS} produits.", ["productIds"]
        )
    if set(asked) - found:
        raise DomainError(
            ErrorCode.NOT_FOUND,
            "Certains produits n'appartiennent pas à la boutique.",
            ["productIds"],
        )


async def end_promotion(
    session: AsyncSession, user: User, promotion_id: int, now: datetime
) -> Promotion:
    promotion = await session.get(Promotion, promotion_id)
    if promotion is None:
        raise DomainError(ErrorCode.NOT_FOUND, "Promotion introuvable.", ["promotionId"])
    await shop_for_merchant(
        session, user, promotion.shop_id, "end_promotion", promotion_id=promotion_id
    )
    if promotion.ended_at is not None or promotion.ends_at <= now:
        raise DomainError(ErrorCode.PROMOTION_ALREADY_ENDED, "Cette promotion est déjà terminée.")
    promotion.ended_at = now
    return promotion


async def active_promotions(
    source: Source, shop_ids: Sequence[int], now: datetime
) -> dict[int, list[ActivePromotion]]:
    """Running promotions of these shops, with their product lists: two queries in all.
    ``source``: a session, or a request's reads (``direct_reads.read``)."""
    running_query, listed_query = _promotion_queries(dialect_of(source))
    rows = await read(source, running_query, {"shop_ids": list(shop_ids), "now": now})
    listed = [row.id for row in rows if not row.all_products]
    products: dict[int, set[int]] = defaultdict(set)
    if listed:
        links = await read(source, listed_query, {"promotion_ids": listed})
        for promotion_id, product_id in links:
            products[promotion_id].add(product_id)
    by_shop: dict[int, list[ActivePromotion]] = {shop_id: [] for shop_id in shop_ids}
    for row in rows:
        by_shop[row.shop_id].append(
            ActivePromotion(
                id=row.id,  # type: ignore[arg-type]
                shop_id=row.shop_id,
                kind=row.kind,
                value=row.value,
                ends_at=row.ends_at,
                product_ids=None if row.all_products else frozenset(products[row.id]),  # type: ignore[index]
            )
        )
    return by_shop


@cache
def _promotion_queries(dialect: str) -> tuple[Select[Any], Select[tuple[int, int]]]:
    """``active_promotions``' two statements, built once (every product page and checkout
    runs them) with ``:shop_ids``, ``:now`` and ``:promotion_ids`` as parameters."""
    # Plain rows of the columns a price needs, not ORM objects (~0.2 ms less a page). Their
    # shops are those of the products they price, which the response cache records.
    promotion = Promotion.__table__.c  # type: ignore[attr-defined]
    running_promotions = select(
        promotion.id,
        promotion.shop_id,
        promotion.kind,
        promotion.value,
        promotion.ends_at,
        promotion.all_products,
    ).where(
        one_of_parameter(dialect, promotion.shop_id, "shop_ids"),
        running(bindparam("now"), promotion),
    )
    their_products = select(PromotionProduct.promotion_id, PromotionProduct.product_id).where(
        one_of_parameter(dialect, PromotionProduct.promotion_id, "promotion_ids")
    )
    return running_promotions, their_products  # type: ignore[return-value]


async def _shop_product_ids(session: AsyncSession, shop_id: int, ids: list[int]) -> set[int]:
    rows = await session.execute(
        select(Product.id).where(Product.shop_id == shop_id, Product.id.in_(ids[:MAX_PRODUCTS]))  # type: ignore[union-attr]
    )
    return set(rows.scalars())
