"""The catalogue versions (migration 0012): per shop, per listing shard, no shared hot row."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text

from otesaintjo.models import CatalogueListingVersion, Product, ShopCatalogueVersion
from otesaintjo.services import stock
from tests.support.catalogue import make_catalogue

SHOPS = [{"slug": f"boutique-{i}", "name": f"Boutique {i}"} for i in range(3)]


async def versions(factory) -> tuple[int, dict[int, int]]:
    async with factory() as session:
        listing = await session.scalar(select(func.sum(CatalogueListingVersion.version)))
        shops = dict(
            (
                await session.execute(
                    select(ShopCatalogueVersion.shop_id, ShopCatalogueVersion.version)
                )
            ).all()
        )
    return int(listing), shops


async def test_a_sale_moves_its_shop_only_and_an_edit_moves_a_listing_shard(
    session_factory,
) -> None:
    shops, (bread, rice) = await make_catalogue(
        session_factory, [{"name": "Pain", "shop": 0}, {"name": "Riz", "shop": 1}], SHOPS
    )
    listing, by_shop = await versions(session_factory)
    async with session_factory() as session, session.begin():
        await stock.reserve(session, {rice.id: 2})
    after_sale = await versions(session_factory)
    assert after_sale[0] == listing  # no listing changed
    assert after_sale[1][shops[1].id] > by_shop[shops[1].id]
    assert after_sale[1][shops[0].id] == by_shop[shops[0].id]
    async with session_factory() as session, session.begin():
        await session.execute(
            text("UPDATE product SET price_cents = 250 WHERE id = :id"), {"id": bread.id}
        )
    after_edit = await versions(session_factory)
    assert after_edit[0] > listing
    assert after_edit[1][shops[0].id] > by_shop[shops[0].id]


async def test_sqlite_listing_trigger_watches_every_product_column_but_stock(
    session_factory, database_url
) -> None:
    """Added a column to ``product``? Re-create the triggers in that migration
    (``sqlite_triggers.create_version_triggers``), or its edits never reach the listings."""
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL compares the whole row (to_jsonb), whatever its columns")
    async with session_factory() as session:
        trigger = await session.scalar(
            text("SELECT sql FROM sqlite_master WHERE name = 'product_version_au_listing'")
        )
    watched = trigger.split(" OF ", 1)[1].split(" ON ", 1)[0]
    columns = {c.strip() for c in watched.split(",")}
    assert columns == {c.name for c in Product.__table__.columns} - {"stock"}


def _postgres_only(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite runs one writer at a time: lock waits only exist on PostgreSQL")


async def test_writers_at_different_shops_never_wait_for_each_other(
    session_factory, database_url
) -> None:
    _postgres_only(database_url)
    _shops, (bread, rice, more_bread) = await make_catalogue(
        session_factory,
        [{"name": "Pain", "shop": 0}, {"name": "Riz", "shop": 1}, {"name": "Baguette", "shop": 0}],
        SHOPS,
    )
    async with session_factory() as holder, session_factory() as other, session_factory() as same:
        await stock.reserve(holder, {bread.id: 1})
        # Run the commit-time triggers now: `holder` keeps its shop's version row locked.
        await holder.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))
        for session in (other, same):
            await session.execute(text("SET LOCAL lock_timeout = '1s'"))
        # A sale, then a price edit, at another shop: neither waits.
        await stock.reserve(other, {rice.id: 1})
        await other.execute(
            text("UPDATE product SET price_cents = 99 WHERE id = :id"), {"id": rice.id}
        )
        await asyncio.wait_for(other.commit(), 5)
        # The same shop does wait: the test can see a wait when there is one.
        await stock.reserve(same, {more_bread.id: 1})
        with pytest.raises(Exception, match="lock timeout"):
            await same.commit()
        await holder.commit()


async def test_multi_shop_writers_in_opposite_orders_do_not_deadlock(
    session_factory, database_url
) -> None:
    """Each transaction bumps its shops' rows at commit in shop order, whatever order it
    wrote in: two crossed checkouts wait for each other instead of deadlocking.

    The interleaving is forced: a third transaction holds shop 0's row while the two commit,
    so both are inside their commit-time bumps at once when it lets go."""
    _postgres_only(database_url)
    shops, (a1, b1, a2, b2) = await make_catalogue(
        session_factory, [{"shop": i % 2, "name": f"P{i}"} for i in range(4)], SHOPS[:2]
    )
    async with (
        session_factory() as holder,
        session_factory() as first,
        session_factory() as second,
    ):
        await holder.execute(
            text("SELECT 1 FROM shop_catalogue_version WHERE shop_id = :id FOR UPDATE"),
            {"id": shops[0].id},
        )
        await stock.reserve(first, {a1.id: 1})  # shop 0, then shop 1
        await stock.reserve(first, {b1.id: 1})
        await stock.reserve(second, {b2.id: 1})  # shop 1, then shop 0
        await stock.reserve(second, {a2.id: 1})
        commits = [asyncio.ensure_future(first.commit())]
        await asyncio.sleep(0.3)  # `first` now waits for shop 0
        commits.append(asyncio.ensure_future(second.commit()))
        await asyncio.sleep(0.3)  # `second` too (in written order it would hold shop 1)
        await holder.commit()
        await asyncio.wait_for(asyncio.gather(*commits), 10)
