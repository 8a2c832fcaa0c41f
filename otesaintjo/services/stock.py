"""Stock moves at checkout: never sell what is not in stock, never deadlock.

Each line is one conditional ``UPDATE … SET stock = stock - :n WHERE stock >= :n`` (never
read-then-write), taken in product id order so two carts holding the same products lock
them in the same order. A refused line raises, and the caller's unit of work rolls back
every line already taken: all or nothing. Each statement returns the row's new stock and
alert settings: the stock alerts (``stock_alerts.after_sale``) need no query of their own.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.errors import DomainError, ErrorCode
from otesaintjo.models import Product
from otesaintjo.services import stock_alerts
from otesaintjo.services.stock_alerts import StockMove


async def reserve(session: AsyncSession, quantities: Mapping[int, int]) -> None:
    """Take ``{product_id: quantity}`` out of stock, for online products only."""
    moves: list[StockMove] = []
    for product_id in sorted(quantities):
        quantity = quantities[product_id]
        row = (
            await session.execute(
                update(Product)
                .where(
                    Product.id == product_id,
                    Product.stock >= quantity,
                    Product.is_online.is_(True),  # type: ignore[attr-defined]
                )
                .values(stock=Product.stock - quantity)
                .returning(Product.stock, Product.low_stock_threshold, Product.offline_at_zero)
                .execution_options(synchronize_session=False)
            )
        ).first()
        if row is None:
            raise DomainError(
                ErrorCode.OUT_OF_STOCK,
                "Un produit du panier n'est plus disponible en quantité suffisante.",
                ["productId"],
            )
        left, threshold, offline_at_zero = row
        moves.append(StockMove(product_id, left + quantity, left, threshold, offline_at_zero))
    await stock_alerts.after_sale(session, moves)


async def release(session: AsyncSession, quantities: Mapping[int, int]) -> None:
    """Give reserved quantities back (an unpaid checkout that expired, a cancelled order);
    a product the sale had taken offline at 0 comes back online."""
    refilled: list[int] = []
    for product_id in sorted(quantities):
        emptied = (
            await session.execute(
                update(Product)
                .where(Product.id == product_id)
                .values(stock=Product.stock + quantities[product_id])
                .returning(Product.offline_since_empty)
                .execution_options(synchronize_session=False)
            )
        ).scalar()
        if emptied:
            refilled.append(product_id)
    await stock_alerts.back_in_stock(session, refilled)
