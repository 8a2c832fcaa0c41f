"""Stock moves at checkout: never sell what is not in stock, never deadlock.

Each line is one conditional ``UPDATE … SET stock = stock - :n WHERE stock >= :n`` (never
read-then-write), taken in product id order so two carts holding the same products lock
them in the same order. A refused line raises, and the caller's unit of work rolls back
every line already taken: all or nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.errors import DomainError, ErrorCode
from otesaintjo.models import Product


async def reserve(session: AsyncSession, quantities: Mapping[int, int]) -> None:
    """Take ``{product_id: quantity}`` out of stock, for online products only."""
    for product_id in sorted(quantities):
        quantity = quantities[product_id]
        result = await session.execute(
            update(Product)
            .where(
                Product.id == product_id,
                Product.stock >= quantity,
                Product.is_online.is_(True),  # type: ignore[attr-defined]
            )
            .values(stock=Product.stock - quantity)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise DomainError(
                ErrorCode.OUT_OF_STOCK,
                "Un produit du panier n'est plus disponible en quantité suffisante.",
                ["productId"],
            )


async def release(session: AsyncSession, quantities: Mapping[int, int]) -> None:
    """Give reserved quantities back (an unpaid checkout that expired, a cancelled order)."""
    for product_id in sorted(quantities):
        await session.execute(
            update(Product)
            .where(Product.id == product_id)
            .values(stock=Product.stock + quantities[product_id])
        )
