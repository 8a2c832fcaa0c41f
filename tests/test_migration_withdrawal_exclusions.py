"""Migration 0014 on a database of its own: existing products get their L221-28 default, the
SQLite listing trigger watches the new column, and the downgrade puts everything back."""

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
VALUES (:id, :slug, :slug, '', 'Marie', 'Hoarau', '1 rue', '97480', 'Saint-Joseph',
  'shop@example.re', '+262692000000', '73282932000074', '{}', '[]', '[]', false, true,
  CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, false, '[]', :code, :slug)"""
PRODUCT = """INSERT INTO product (shop_id, name, description, price_cents, vat_bp, category,
  deliverable, stock, is_online, created_at, updated_at)
VALUES (:shop, :name, '', 100, 850, :category, true, 10, true, CURRENT_TIMESTAMP,
  CURRENT_TIMESTAMP)"""


@pytest.fixture
async def fresh_engine(database_url: str, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    async with empty_database(database_url, tmp_path) as engine:
        yield engine


async def _listing_trigger(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.scalar(
            text("SELECT sql FROM sqlite_master WHERE name = 'product_version_au_listing'")
        )


async def test_existing_products_get_their_default_and_the_downgrade_undoes_it(
    fresh_engine: AsyncEngine,
) -> None:
    engine = fresh_engine
    await upgrade(engine, "0013")
    shops = {"boulangerie-x": ["boulangerie"], "epicerie-x": ["epicerie"], "kiosque": ["presse"]}
    products = [
        ("boulangerie-x", "Pain", "pains"),
        ("epicerie-x", "Riz", "epicerie-salee"),
        ("epicerie-x", "Letchis", "fruits-legumes"),
        ("epicerie-x", "Journal", "presse"),
        ("kiosque", "Magazine", "divers"),
    ]
    async with engine.begin() as connection:
        ids = {}
        for number, (slug, categories) in enumerate(shops.items(), start=1):
            ids[slug] = number
            await connection.execute(text(SHOP), {"id": number, "slug": slug, "code": f"S{number}"})
            for category in categories:
                await connection.execute(
                    text("INSERT INTO shop_category (shop_id, category) VALUES (:s, :c)"),
                    {"s": number, "c": category},
                )
        for slug, name, category in products:
            await connection.execute(
                text(PRODUCT), {"shop": ids[slug], "name": name, "category": category}
            )
    await upgrade(engine, "0014")
    async with engine.connect() as connection:
        found = dict(
            (await connection.execute(text("SELECT name, withdrawal_exclusion FROM product"))).all()
        )
    assert found == {
        "Pain": "PERISHABLE",
        "Riz": None,
        "Letchis": "PERISHABLE",
        "Journal": "PRESS",
        "Magazine": "PRESS",
    }
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        assert "withdrawal_exclusion" in (await _listing_trigger(engine) or "")

    await downgrade(engine, "0013")
    async with engine.connect() as connection:
        for table in ("product", "order_line"):
            row = (await connection.execute(text(f"SELECT * FROM {table} LIMIT 1"))).keys()
            assert "withdrawal_exclusion" not in row
    if sqlite:
        trigger = await _listing_trigger(engine) or ""
        assert "updated_at ON product" in trigger and "withdrawal_exclusion" not in trigger
    await upgrade(engine, "0014")  # and up again
