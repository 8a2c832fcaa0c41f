"""Migration 0017 on a database of its own: each existing product's price history starts with
its current price since its creation, and the downgrade drops the history."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from otesaintjo.migrations import upgrade
from tests.support.migrations import downgrade, empty_database

SHOP = """INSERT INTO shop (id, slug, name, description, manager_first_name, manager_last_name,
  street, postcode, town, email, phone, siret, pickup_hours, closures, delivery_postcodes,
  free_delivery_always, is_active, created_at, updated_at, payouts_enabled, payout_requirements,
  order_code, name_skeleton)
VALUES (1, 'epicerie', 'Épicerie', '', 'Marie', 'Hoarau', '1 rue', '97480', 'Saint-Joseph',
  'shop@example.re', '+262692000000', '73282932000074', '{}', '[]', '[]', false, true,
  CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, false, '[]', 'EPI', 'epicerie')"""
PRODUCT = """INSERT INTO product (shop_id, name, description, price_cents, vat_bp, category,
  deliverable, stock, is_online, created_at, updated_at)
VALUES (1, :name, '', :price, 850, 'divers', true, 10, true, CURRENT_TIMESTAMP,
  CURRENT_TIMESTAMP)"""


@pytest.fixture
async def fresh_engine(database_url: str, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    async with empty_database(database_url, tmp_path) as engine:
        yield engine


async def test_existing_prices_start_the_history_and_the_downgrade_drops_it(
    fresh_engine: AsyncEngine,
) -> None:
    engine = fresh_engine
    await upgrade(engine, "0016")
    async with engine.begin() as connection:
        await connection.execute(text(SHOP))
        for name, price in (("Riz", 1200), ("Vanille", 2500)):
            await connection.execute(text(PRODUCT), {"name": name, "price": price})
    await upgrade(engine, "0017")
    async with engine.connect() as connection:
        history = (
            await connection.execute(
                text(
                    "SELECT p.name, h.price_cents FROM product_price h"
                    " JOIN product p ON p.id = h.product_id AND h.since = p.created_at"
                    " ORDER BY p.name"
                )
            )
        ).all()
    assert [tuple(row) for row in history] == [("Riz", 1200), ("Vanille", 2500)]

    await downgrade(engine, "0016")
    async with engine.connect() as connection:
        left = await connection.scalar(
            text(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'product_price'"
                if engine.dialect.name == "postgresql"
                else "SELECT count(*) FROM sqlite_master WHERE name = 'product_price'"
            )
        )
    assert left == 0
    await upgrade(engine, "0017")  # and up again
