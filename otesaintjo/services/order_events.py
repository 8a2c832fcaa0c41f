"""Order events: written in the order's transaction, published only once it commits.

``record`` inserts the event with the shop's next sequence number and leaves it in
``session.info`` for the event bus, which the unit of work hands it to (a NOTIFY inside the
transaction on PostgreSQL, a publish after commit otherwise). A rollback takes the event row
and the notification with it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.db import next_in_counter
from otesaintjo.events.base import Published, queue_for_publication
from otesaintjo.models import Order, OrderEvent, ShopEventCounter


async def next_sequence(session: AsyncSession, shop_id: int) -> int:
    """Take the shop's next number; the counter row stays locked until commit."""
    return await next_in_counter(
        session,
        ShopEventCounter,
        ShopEventCounter.shop_id,
        ShopEventCounter.last_sequence,
        shop_id,
    )


async def record(session: AsyncSession, order: Order, kind: str) -> OrderEvent:
    event = OrderEvent(
        shop_id=order.shop_id,
        sequence=await next_sequence(session, order.shop_id),
        order_id=order.id,  # type: ignore[arg-type]
        kind=kind,
        status=order.status,
    )
    session.add(event)
    await session.flush()
    queue_for_publication(
        session,
        Published(
            event_id=event.id,  # type: ignore[arg-type]
            shop_id=order.shop_id,
            order_id=order.id,  # type: ignore[arg-type]
            user_id=order.user_id,
            sequence=event.sequence,
            kind=kind,
        ),
    )
    return event


async def events_after(
    session: AsyncSession, shop_id: int, after_sequence: int, limit: int
) -> list[OrderEvent]:
    """A shop's events after a sequence number, oldest first (index on shop + sequence)."""
    rows = await session.execute(
        select(OrderEvent)
        .where(OrderEvent.shop_id == shop_id, OrderEvent.sequence > after_sequence)
        .order_by(OrderEvent.sequence)  # type: ignore[arg-type]
        .limit(limit)
    )
    return list(rows.scalars())


async def sequence_of(session: AsyncSession, shop_id: int, event_id: int) -> int | None:
    return await session.scalar(
        select(OrderEvent.sequence).where(OrderEvent.id == event_id, OrderEvent.shop_id == shop_id)
    )
