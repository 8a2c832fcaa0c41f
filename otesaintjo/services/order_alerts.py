"""The alerts of a newly paid order: an SMS and a recap email to the shop.

Written to the outbox in the payment's transaction: they exist if and only if the order is
paid, and the worker retries them while the SMS gateway or SMTP is down.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.models import Order, OrderLine, Purchase, Shop, User
from otesaintjo.money import format_cents
from otesaintjo.notifications.sms import MAX_SMS_CHARS, SMS_JOB
from otesaintjo.services.outbox import enqueue, queue_email
from otesaintjo.settings import Settings


def merchant_link(settings: Settings, order: Order) -> str:
    return f"{settings.public_url.rstrip('/')}/commercant/commandes/{order.id}"


def sms_text(settings: Settings, order: Order, shop: Shop) -> str:
    mode = "à retirer" if order.mode == "PICKUP" else "à livrer"
    text = (
        f"Otesaintjo : nouvelle commande n° {order.id} pour {shop.name} "
        f"({format_cents(order.total_cents)}, {mode}). {merchant_link(settings, order)}"
    )
    return text[:MAX_SMS_CHARS]


async def alert_shop(
    session: AsyncSession,
    settings: Settings,
    order: Order,
    shop: Shop,
    purchase: Purchase,
    customer: User,
) -> None:
    lines = list(
        await session.scalars(
            select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)  # type: ignore[arg-type]
        )
    )
    enqueue(session, SMS_JOB, {"to": shop.phone, "text": sms_text(settings, order, shop)})
    queue_email(
        session,
        "order_new_merchant",
        shop.email,
        shop=shop,
        order=order,
        lines=lines,
        customer=customer,
        purchase=purchase,
        link=merchant_link(settings, order),
    )
