"""Checkouts racing for the same stock, through the API (meant for PostgreSQL; SQLite runs
them too, one writer at a time). No oversell, no deadlock surfaced, no partial purchase."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from sqlalchemy import func, select

from otesaintjo.models import Order, Product, Purchase
from tests.support.buying import ADD, FULFIL, Town, ok
from tests.support.graphql import pk_of
from tests.support.merchants import add_product

CUSTOMERS = 100
STOCK = 10


async def register_many(client, count: int, prefix: str) -> list[str]:
    tokens = []
    for i in range(count):
        tokens.append((await client.register(f"{prefix}{i}@example.re"))["accessToken"])
    return tokens


async def collect_in_cart(client, token: str, town: Town, product_ids: list[str]) -> None:
    for product_id in product_ids:
        await ok(client(ADD, {"id": product_id, "q": 1}, token=token), "cartAddItem")
    await ok(
        client(FULFIL, {"input": {"shopId": town.grocer["id"], "mode": "PICKUP"}}, token=token),
        "cartSetFulfilment",
    )


async def test_hundred_checkouts_for_ten_units(client, session_factory, database_url) -> None:
    town = await Town(client).build()
    scarce = await add_product(
        client, town.grocer_token, town.grocer["id"], name="Vanille Bourbon", stock=STOCK
    )
    tokens = await register_many(client, CUSTOMERS, "vanille")
    for token in tokens:
        await collect_in_cart(client, token, town, [scarce["id"]])

    started = time.perf_counter()
    results = await asyncio.gather(*[town.checkout(token) for token in tokens])
    elapsed = time.perf_counter() - started

    outcomes = Counter(
        "purchase" if r["purchase"] else ",".join(e["code"] for e in r["userErrors"])
        for r in results
    )
    print(
        f"\n{CUSTOMERS} concurrent checkouts on {database_url.split(':')[0]}: {dict(outcomes)}"
        f" in {elapsed:.2f} s"
    )
    assert outcomes == {"purchase": STOCK, "OUT_OF_STOCK": CUSTOMERS - STOCK}
    async with session_factory() as session:
        product = await session.get(Product, pk_of(scarce["id"]))
        assert product is not None and product.stock == 0
        assert await session.scalar(select(func.count()).select_from(Purchase)) == STOCK
        assert await session.scalar(select(func.count()).select_from(Order)) == STOCK
    assert all(r["purchase"]["payment"]["clientSecret"] for r in results if r["purchase"])


async def test_crossed_carts_neither_deadlock_nor_half_buy(client, session_factory) -> None:
    town = await Town(client).build()
    first, second = await register_many(client, 2, "croise")
    rounds = 5
    for round_ in range(rounds):
        a = await add_product(
            client, town.grocer_token, town.grocer["id"], name=f"A{round_}", stock=1
        )
        b = await add_product(
            client, town.grocer_token, town.grocer["id"], name=f"B{round_}", stock=1
        )
        await collect_in_cart(client, first, town, [a["id"], b["id"]])
        await collect_in_cart(client, second, town, [b["id"], a["id"]])
        one, two = await asyncio.gather(town.checkout(first), town.checkout(second))
        winners = [r for r in (one, two) if r["purchase"]]
        losers = [r for r in (one, two) if not r["purchase"]]
        assert len(winners) == 1, (one, two)
        assert [e["code"] for e in losers[0]["userErrors"]] == ["OUT_OF_STOCK"]
        assert len(winners[0]["purchase"]["orders"][0]["lines"]) == 2
        async with session_factory() as session:
            for product in (a, b):
                row = await session.get(Product, pk_of(product["id"]))
                assert row is not None and row.stock == 0
        # Start the next round with empty carts.
        for token in (first, second):
            for product in (a, b):
                await client(
                    "mutation($id: ID!) { cartRemoveItem(input: {productId: $id}) "
                    "{ userErrors { code } } }",
                    {"id": product["id"]},
                    token=token,
                )
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Purchase)) == rounds
