"""The price rule exists in Python (display) and SQL (filter, sort): they must always agree."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from otesaintjo.clock import utcnow
from otesaintjo.models import Product, Promotion, PromotionProduct
from otesaintjo.services.pricing import best_offer, discounted, effective_price_sql
from otesaintjo.services.promotions import active_promotions
from tests.support.catalogue import make_catalogue


def test_discount_rounding() -> None:
    assert discounted(999, "PERCENT", 1500) == 849  # 149.85 off → 150 (half up)
    assert discounted(1000, "PERCENT", 1500) == 850
    assert discounted(3, "PERCENT", 5000) == 1  # 1.5 off rounds up to 2
    assert discounted(300, "AMOUNT", 500) == 1  # never below one cent
    assert discounted(1, "PERCENT", 5000) == 1  # a promotion never makes a product free


async def test_sql_and_python_prices_agree(session_factory) -> None:
    rng = random.Random(20261126)
    now = utcnow()
    shops, products = await make_catalogue(
        session_factory,
        [
            {"shop": i % 3, "price_cents": rng.choice([0, 1, 99, 100, 349, 1000, 12345])}
            for i in range(90)
        ],
        shops=[{}, {}, {}],
    )
    async with session_factory() as session, session.begin():
        for i in range(24):
            shop = shops[i % 3]
            kind = rng.choice(["PERCENT", "AMOUNT"])
            window = rng.choice(["running", "future", "past", "ended"])
            promotion = Promotion(
                shop_id=shop.id,
                name=f"P{i}",
                kind=kind,
                value=rng.randint(1, 9000) if kind == "PERCENT" else rng.randint(1, 2000),
                all_products=rng.random() < 0.4,
                starts_at=now + timedelta(days=1)
                if window == "future"
                else now - timedelta(days=3),
                ends_at=now - timedelta(hours=1) if window == "past" else now + timedelta(days=5),
                ended_at=now - timedelta(minutes=5) if window == "ended" else None,
            )
            session.add(promotion)
            await session.flush()
            if not promotion.all_products:
                chosen = rng.sample([p for p in products if p.shop_id == shop.id], 8)
                session.add_all(
                    PromotionProduct(promotion_id=promotion.id, product_id=p.id) for p in chosen
                )
    async with session_factory() as session:
        sql_prices = dict(
            (await session.execute(select(Product.id, effective_price_sql(now)))).all()
        )
        promotions = await active_promotions(session, [s.id for s in shops], now)
    python_prices = {p.id: best_offer(p, promotions[p.shop_id]).price_cents for p in products}
    assert sql_prices == python_prices
    assert sum(1 for p in products if python_prices[p.id] < p.price_cents) > 20  # the test bites
