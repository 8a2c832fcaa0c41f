"""The pickup promise, watched: a paid click-and-collect order is ready by ``ready_by``.

At payment (``settlement``) two durable jobs are written with the order:

- 30 minutes before ``ready_by``: if the order is still not marked ready, an SMS reminds the
  shop (the link opens the order on the merchants' board);
- at ``ready_by``: if it is still not ready, the customer gets an email saying so and that the
  shop was told, and the support team gets an alert to follow up.

An order marked ready, collected or cancelled meanwhile silences both. Each runs once, as
every outbox job (``worker.py``: a job is repeated only if its worker dies after the effect).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otesaintjo.clock import REUNION
from otesaintjo.db import unit_of_work
from otesaintjo.models import Order, OrderStatus, Purchase, Shop, User
from otesaintjo.notifications.sms import SmsSender
from otesaintjo.services import links
from otesaintjo.services.outbox import enqueue, queue_email
from otesaintjo.settings import Settings

PICKUP_REMINDER_JOB = "pickup.reminder"
PICKUP_LATE_JOB = "pickup.late"
REMIND_BEFORE = timedelta(minutes=30)


def schedule(session: AsyncSession, order: Order, now: datetime) -> None:
    """The two checks of a paid pickup order (nothing for a delivered one)."""
    if order.ready_by is None:
        return
    payload = {"order_id": order.id}
    enqueue(session, PICKUP_REMINDER_JOB, payload, run_at=max(order.ready_by - REMIND_BEFORE, now))
    enqueue(session, PICKUP_LATE_JOB, payload, run_at=order.ready_by)


def _still_to_prepare(order: Order | None) -> bool:
    return order is not None and order.status == OrderStatus.PAID


def _clock(moment: datetime) -> str:
    return moment.astimezone(REUNION).strftime("%H:%M")


async def remind_shop(
    factory: async_sessionmaker[AsyncSession], settings: Settings, sms: SmsSender, payload: Any
) -> None:
    async with factory() as session:
        order = await session.get(Order, payload["order_id"])
        if not _still_to_prepare(order):
            return
        shop = await session.get(Shop, order.shop_id)  # type: ignore[union-attr]
    assert order is not None and order.ready_by is not None and shop is not None
    link = links.merchant_order_url(settings, order)
    text = (
        f"Otesaintjo : la commande {order.number} est promise pour {_clock(order.ready_by)}"
        f" et n'est pas encore prête. {link}"
    )
    await sms.send({"to": shop.phone, "text": text})


async def tell_late(
    factory: async_sessionmaker[AsyncSession], settings: Settings, payload: Any
) -> None:
    async with unit_of_work(factory) as session:
        order = await session.get(Order, payload["order_id"])
        if not _still_to_prepare(order):
            return
        assert order is not None and order.ready_by is not None
        shop, customer = (
            await session.execute(
                select(Shop, User)
                .join(Order, Order.shop_id == Shop.id)
                .join(Purchase, Purchase.id == Order.purchase_id)
                .join(User, User.id == Purchase.user_id)
                .where(Order.id == order.id)
            )
        ).one()
        context = {
            "order": order,
            "shop": shop,
            "customer": customer,
            "promised": _clock(order.ready_by),
            "support_email": settings.support_email,
            "order_link": links.customer_order_url(settings, order),
        }
        queue_email(session, "pickup_late_customer", customer.email, **context)
        queue_email(session, "pickup_late_support", settings.support_email, **context)


def handlers(
    factory: async_sessionmaker[AsyncSession], settings: Settings, sms: SmsSender
) -> dict[str, Any]:
    return {
        PICKUP_REMINDER_JOB: lambda p: remind_shop(factory, settings, sms, p),
        PICKUP_LATE_JOB: lambda p: tell_late(factory, settings, p),
    }
