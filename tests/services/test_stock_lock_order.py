"""The batched reservation (one statement for every line) locks its products in id order,
whatever the order of the rows in the table: PostgreSQL only (SQLite has one writer)."""

from __future__ import annotations

import asyncio
import random

import pytest
from sqlalchemy import select, text

from otesaintjo.db import unit_of_work
from otesaintjo.errors import DomainError
from otesaintjo.models import Product
from otesaintjo.services import stock
from tests.support.catalogue import make_catalogue


def _postgres_only(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite runs one writer at a time: lock order only matters on PostgreSQL")


async def stocks(factory, ids: list[int]) -> list[int]:
    async with factory() as session:
        rows = dict((await session.execute(select(Product.id, Product.stock))).all())
    return [rows[i] for i in ids]


async def test_a_waiting_reservation_holds_no_later_product(session_factory, database_url) -> None:
    """A cart of A and B waits for A (held elsewhere) without having taken B, although B now
    comes first in the table: a statement left to its plan's order (a sequential scan) would
    lock B, then wait for A, and a third buyer of B alone would wait behind it — the first
    step of a deadlock."""
    _postgres_only(database_url)
    _, (a, b) = await make_catalogue(session_factory, [{"stock": 10}, {"stock": 10}])
    assert a.id < b.id
    async with session_factory() as session, session.begin():
        # A's live row version moves after B's in the heap.
        await session.execute(text("UPDATE product SET stock = stock WHERE id = :id"), {"id": a.id})
    async with session_factory() as session:
        heap_order = (
            await session.scalars(
                text("SELECT id FROM product WHERE id IN (:a, :b) ORDER BY ctid"),
                {"a": a.id, "b": b.id},
            )
        ).all()
    assert heap_order == [b.id, a.id]

    async with (
        session_factory() as holder,
        session_factory() as both,
        session_factory() as other,
    ):
        await stock.reserve(holder, {a.id: 1})  # holds A until it commits
        waiting = asyncio.ensure_future(stock.reserve(both, {b.id: 1, a.id: 1}))
        await asyncio.sleep(0.5)
        assert not waiting.done()  # it waits for A…
        await other.execute(text("SET LOCAL lock_timeout = '2s'"))
        await stock.reserve(other, {b.id: 1})  # …holding nothing: B is free
        await other.commit()
        await holder.commit()
        await asyncio.wait_for(waiting, 10)
        await both.commit()
    assert await stocks(session_factory, [a.id, b.id]) == [8, 8]


async def _attempt(factory, quantities: dict[int, int]) -> dict[int, int] | None:
    try:
        async with unit_of_work(factory) as session:
            await stock.reserve(session, quantities)
    except DomainError as error:
        assert error.code == "OUT_OF_STOCK"
        return None
    return quantities


async def test_random_carts_at_once_neither_deadlock_nor_oversell(
    session_factory, database_url
) -> None:
    """120 carts of 2 to 5 of 6 products, in every order, at once, for less stock than they
    want: no deadlock (PostgreSQL would abort one after deadlock_timeout), every cart served
    whole or not at all, and the stock is exactly what the served carts left."""
    _postgres_only(database_url)
    initial = 40
    _, products = await make_catalogue(session_factory, [{"stock": initial} for _ in range(6)])
    ids = [p.id for p in products]
    chance = random.Random(13)
    carts = []
    for _ in range(120):
        chosen = chance.sample(ids, chance.randint(2, 5))  # in a random order
        carts.append({product_id: chance.randint(1, 3) for product_id in chosen})
    served = [c for c in await asyncio.gather(*(_attempt(session_factory, c) for c in carts)) if c]
    assert 0 < len(served) < len(carts)
    taken = {i: sum(cart.get(i, 0) for cart in served) for i in ids}
    assert await stocks(session_factory, ids) == [initial - taken[i] for i in ids]
    assert all(initial - taken[i] >= 0 for i in ids)
