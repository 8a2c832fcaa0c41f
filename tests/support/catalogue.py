"""Fast catalogue fixtures written straight to the database (API tests build the real path)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otesaintjo.clock import utcnow
from otesaintjo.models import Product, ProductPrice, Shop, ShopCategory


def a_shop(index: int = 0, **fields: Any) -> Shop:
    data: dict[str, Any] = {
        "slug": f"boutique-{index}",
        "name": f"Boutique {index:03d}",
        "order_code": f"B{index:03d}",
        "manager_first_name": "Marie",
        "manager_last_name": "Hoarau",
        "street": "1 rue Leconte de Lisle",
        "postcode": "97480",
        "town": "Saint-Joseph",
        "email": f"shop{index}@example.re",
        "phone": "+262692000000",
        "siret": "73282932000074",
        "latitude": -21.377,
        "longitude": 55.619,
    }
    data.update(fields)
    return Shop(**data)


async def make_catalogue(
    factory: async_sessionmaker[AsyncSession],
    products: list[dict[str, Any]],
    shops: list[dict[str, Any]] | None = None,
) -> tuple[list[Shop], list[Product]]:
    """Shops (one by default) and products; a product's ``shop`` is an index into the shops."""
    now = utcnow()
    async with factory() as session, session.begin():
        shop_rows = [a_shop(i, **fields) for i, fields in enumerate(shops or [{}])]
        session.add_all(shop_rows)
        await session.flush()
        for shop in shop_rows:
            session.add(ShopCategory(shop_id=shop.id, category="epicerie"))  # type: ignore[arg-type]
        rows = []
        for i, fields in enumerate(products):
            fields = dict(fields)
            shop = shop_rows[fields.pop("shop", 0)]
            rows.append(
                Product(
                    shop_id=shop.id,  # type: ignore[arg-type]
                    name=fields.pop("name", f"Produit {i:03d}"),
                    price_cents=fields.pop("price_cents", 100 + i),
                    created_at=fields.pop("created_at", now - timedelta(seconds=i)),
                    **fields,
                )
            )
        session.add_all(rows)
        await session.flush()
        session.add_all(  # each price's history starts when the product does, as in the app
            ProductPrice(product_id=row.id, since=row.created_at, price_cents=row.price_cents)  # type: ignore[arg-type]
            for row in rows
        )
    return shop_rows, rows
