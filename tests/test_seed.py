"""The demo town: 12 shops of Saint-Joseph, 15–30 products each, photos, running promotions."""

from __future__ import annotations

from sqlalchemy import func, select

from otesaintjo.clock import utcnow
from otesaintjo.models import Product, ProductImage, ProductPrice, Promotion, Shop
from otesaintjo.seed import seed, seed_scale
from otesaintjo.storage import MemoryStore

ON_SALE = """{ products(onSale: true, first: 100) { totalCount edges { node {
  name withdrawalExclusion price { cents } regularPrice { cents } compareAtPrice { cents } } } } }"""

SLOTS = """query ($slug: String!) { shop(slug: $slug) { deliverySlots { day starts ends } } }"""


async def test_seed_builds_the_demo_town_once(client, session_factory) -> None:
    store = MemoryStore()
    await seed(session_factory, store)
    await seed(session_factory, store)  # idempotent
    async with session_factory() as session:
        per_shop = dict(
            (
                await session.execute(
                    select(Product.shop_id, func.count()).group_by(Product.shop_id)
                )
            ).all()
        )
        images = await session.scalar(select(func.count()).select_from(ProductImage))
        running = await session.scalar(
            select(func.count()).select_from(Promotion).where(Promotion.ends_at > utcnow())
        )
        shops = await session.scalar(select(func.count()).select_from(Shop))
    assert shops == 12
    assert all(15 <= count <= 30 for count in per_shop.values()), per_shop
    assert images == sum(per_shop.values()) == len(store.blobs)
    assert running >= 3

    # The demo products have sold at their prices for a month when the demo promotions begin:
    # the lowest price of the 30 days (for the bakery's perishables, the price just before) is
    # the regular price (L112-1-1).
    page = (await client(ON_SALE))["data"]["products"]
    assert 3 <= page["totalCount"] <= 100
    for edge in page["edges"]:
        node = edge["node"]
        assert node["price"]["cents"] < node["regularPrice"]["cents"], node
        assert node["compareAtPrice"] == node["regularPrice"], node
    assert {e["node"]["withdrawalExclusion"] for e in page["edges"]} >= {"PERISHABLE", None}

    # The grocery delivers itself in weekly slots; the butcher delivers without (next working
    # day): both behaviours show in the demo.
    slots = await client(SLOTS, {"slug": "epicerie-de-manapany"})
    assert [(s["day"], s["starts"], s["ends"]) for s in slots["data"]["shop"]["deliverySlots"]] == [
        ("TUESDAY", "16:00", "18:00"),
        ("THURSDAY", "16:00", "18:00"),
        ("SATURDAY", "09:00", "12:00"),
    ]
    butcher = await client(SLOTS, {"slug": "boucherie-de-vincendo"})
    assert butcher["data"]["shop"]["deliverySlots"] == []


async def test_seed_scale_adds_shops_of_100_products(session_factory) -> None:
    steps: list[int] = []
    added = await seed_scale(session_factory, MemoryStore(), 2, progress=steps.append)
    assert added == 200 and steps == [1, 1]
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Product)) == 200
        # Each price's history starts with the product (the reference of a promotion, L112-1-1).
        assert await session.scalar(select(func.count()).select_from(ProductPrice)) == 200


ON_SALE = """{ products(onSale: true, first: 100) { totalCount edges { node {
  name withdrawalExclusion price { cents } regularPrice { cents } compareAtPrice { cents } } } } }"""
