"""Stock moves at checkout: never sell what is not in stock, never deadlock.

A reservation is one conditional statement for all the lines (never read-then-write): each
product loses its quantity only ``WHERE stock >= quantity AND is_online``. Fewer rows back than
lines: ``OUT_OF_STOCK``, naming the short products, and the caller's unit of work rolls back
every line taken: all or nothing. The rows it returns (new stock, alert settings) feed the stock
alerts (``stock_alerts.after_sale``) with no query of their own.

On PostgreSQL the product rows are locked first, in id order, and only then updated:

- ``locked`` (``SELECT … ORDER BY id FOR NO KEY UPDATE``) sorts, then locks row after row
  (PostgreSQL applies the locking clause above the sort);
- the UPDATE waits for it: its filter ``(SELECT count(*) FROM locked) = :lines`` names no
  column of the statement, so the planner makes it a one-time filter (an InitPlan) run to the
  end before the UPDATE reads a single row. The UPDATE then touches only rows this transaction
  already holds (a row a concurrent transaction changed and committed while we waited is
  re-read and re-checked, as in any READ COMMITTED update).

So a reservation waiting for product p holds no product after p: two carts holding the same
products, in whatever order, lock them in the same order and cannot deadlock (the UPDATE's own
plan — a hash join over a scan that visits rows in the heap's order, which changes as rows are
updated — never decides the order). The statement text is the same whatever the number of
lines (arrays, not a VALUES list): prepared once per connection.

SQLite has one writer at a time (the transaction holds the database's write lock from its
first write to its commit): the same single UPDATE, without the locking step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ARRAY, Integer, bindparam, case, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.errors import DomainError, ErrorCode
from otesaintjo.models import Product
from otesaintjo.services import stock_alerts
from otesaintjo.services.stock_alerts import StockMove

RESERVED_CTES = """
    locked AS MATERIALIZED (
        SELECT product.id FROM product
        WHERE product.id = ANY(:ids)
        ORDER BY product.id
        FOR NO KEY UPDATE
    ),
    reserved AS (
        UPDATE product SET stock = product.stock - wanted.quantity
        FROM unnest(:ids, :quantities) AS wanted(id, quantity)
        WHERE product.id = wanted.id
          AND product.id = ANY(:ids)
          AND (SELECT count(*) FROM locked) = :lines
          AND product.stock >= wanted.quantity
          AND product.is_online
        RETURNING product.id, product.stock, product.low_stock_threshold, product.offline_at_zero
    )"""
"""The reservation as two common table expressions, ``reserved`` returning the rows taken: a
larger PostgreSQL statement can reserve and write in one round trip (``checkout_statement``);
bind ``reserve_parameters``."""

RESERVE_BINDS = (
    bindparam("ids", type_=ARRAY(Integer)),
    bindparam("quantities", type_=ARRAY(Integer)),
    bindparam("lines", type_=Integer),
)

_RESERVE_POSTGRES = text(
    f"WITH {RESERVED_CTES}\nSELECT id, stock, low_stock_threshold, offline_at_zero FROM reserved"
).bindparams(*RESERVE_BINDS)


class OutOfStock(DomainError):
    """Refused lines: ``short`` names the products that lack stock (or went offline)."""

    def __init__(self, short: list[int]) -> None:
        super().__init__(
            ErrorCode.OUT_OF_STOCK,
            "Un produit du panier n'est plus disponible en quantité suffisante.",
            ["productId"],
        )
        self.short = short


def reserve_parameters(quantities: Mapping[int, int]) -> dict[str, Any]:
    """The parameters of ``RESERVED_CTES``: arrays in id order (the statement's text is the
    same whatever the number of lines: prepared once per connection)."""
    ids = sorted(quantities)
    return {"ids": ids, "quantities": [quantities[i] for i in ids], "lines": len(ids)}


async def reserve(session: AsyncSession, quantities: Mapping[int, int]) -> None:
    """Take ``{product_id: quantity}`` out of stock, for online products only: every line or
    none (``OutOfStock``, and the caller rolls back)."""
    if not quantities:
        return
    parameters: dict[str, Any] = {}
    if session.bind.dialect.name == "postgresql":
        statement, parameters = _RESERVE_POSTGRES, reserve_parameters(quantities)
    else:
        wanted = case(quantities, value=Product.__table__.c.id)
        table = Product.__table__
        statement = (
            update(table)
            .where(
                table.c.id.in_(sorted(quantities)),
                table.c.stock >= wanted,
                table.c.is_online.is_(True),
            )
            .values(stock=table.c.stock - wanted)
            .returning(
                table.c.id, table.c.stock, table.c.low_stock_threshold, table.c.offline_at_zero
            )
        )
    await settle(session, quantities, (await session.execute(statement, parameters)).all())


async def settle(
    session: AsyncSession,
    quantities: Mapping[int, int],
    rows: Sequence[Sequence[Any]],
) -> None:
    """After the reservation returned ``rows`` (id, stock left, threshold, offline at 0):
    ``OutOfStock`` if any line is missing, else what the sale sets off (alerts, offline)."""
    if len(rows) != len(quantities):
        raise OutOfStock(sorted(set(quantities) - {row[0] for row in rows}))
    await stock_alerts.after_sale(
        session,
        (
            StockMove(product_id, left + quantities[product_id], left, threshold, at_zero)
            for product_id, left, threshold, at_zero in rows
        ),
    )


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
