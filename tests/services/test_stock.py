"""Stock reservation under concurrency (PostgreSQL shows the races SQLite serialises away)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from otesaintjo.db import unit_of_work
from otesaintjo.errors import DomainError
from otesaintjo.models import Product
from otesaintjo.services import stock
from tests.support.catalogue import make_catalogue


async def stock_of(factory, product_id: int) -> int:
    async with factory() as session:
        return await session.scalar(select(Product.stock).where(Product.id == product_id))


async def test_all_or_nothing(session_factory) -> None:
    _, (a, b) = await make_catalogue(session_factory, [{"stock": 5}, {"stock": 1}])
    with pytest.raises(DomainError) as refused:
        async with unit_of_work(session_factory) as session:
            await stock.reserve(session, {a.id: 2, b.id: 2})
    assert refused.value.code == "OUT_OF_STOCK"
    assert (await stock_of(session_factory, a.id), await stock_of(session_factory, b.id)) == (5, 1)
    async with unit_of_work(session_factory) as session:
        await stock.reserve(session, {a.id: 5, b.id: 1})
        await stock.release(session, {a.id: 2})
    assert (await stock_of(session_factory, a.id), await stock_of(session_factory, b.id)) == (2, 0)


async def _attempt(factory, quantities) -> str:
    try:
        async with unit_of_work(factory) as session:
            await stock.reserve(session, quantities)
    except DomainError as error:
        return error.code
    return "OK"


async def test_100_concurrent_buyers_of_10_units(session_factory, database_url) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite runs one writer at a time: the race only exists on PostgreSQL")
    _, (product,) = await make_catalogue(session_factory, [{"stock": 10}])
    results = await asyncio.gather(
        *(_attempt(session_factory, {product.id: 1}) for _ in range(100))
    )
    assert results.count("OK") == 10
    assert results.count("OUT_OF_STOCK") == 90
    assert await stock_of(session_factory, product.id) == 0


async def test_crossed_carts_do_not_deadlock(session_factory, database_url) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite runs one writer at a time: the race only exists on PostgreSQL")
    _, (a, b) = await make_catalogue(session_factory, [{"stock": 100}, {"stock": 100}])
    carts = [{a.id: 1, b.id: 1} if i % 2 else {b.id: 1, a.id: 1} for i in range(60)]
    results = await asyncio.gather(*(_attempt(session_factory, c) for c in carts))
    assert results == ["OK"] * 60
    assert (await stock_of(session_factory, a.id), await stock_of(session_factory, b.id)) == (
        40,
        40,
    )


async def test_catalogue_version_lock_is_taken_at_commit(session_factory, database_url) -> None:
    """The interleaving that deadlocked with a per-statement version bump, step by step:
    one checkout holds product A and then needs B while another takes B alone."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite runs one writer at a time: the race only exists on PostgreSQL")
    _, (a, b) = await make_catalogue(session_factory, [{"stock": 5}, {"stock": 5}])
    async with session_factory() as first, session_factory() as second:
        await stock.reserve(first, {a.id: 1})  # holds A (and, per statement, the version row)
        await asyncio.wait_for(stock.reserve(second, {b.id: 1}), 5)  # must not wait for `first`
        await asyncio.wait_for(second.commit(), 5)
        await stock.reserve(first, {b.id: 1})
        await first.commit()
    assert (await stock_of(session_factory, a.id), await stock_of(session_factory, b.id)) == (4, 3)


async def test_a_refusal_names_the_short_products(session_factory) -> None:
    """One statement for every line: those it could not take are named (and none is taken)."""
    _, (a, b, c) = await make_catalogue(
        session_factory, [{"stock": 5}, {"stock": 1}, {"stock": 3, "is_online": False}]
    )
    with pytest.raises(stock.OutOfStock) as refused:
        async with unit_of_work(session_factory) as session:
            await stock.reserve(session, {c.id: 1, a.id: 2, b.id: 2})
    assert refused.value.short == [b.id, c.id]
    assert [await stock_of(session_factory, p.id) for p in (a, b, c)] == [5, 1, 3]
