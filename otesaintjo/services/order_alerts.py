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
from otesaintjo.services import links
from otesaintjo.services.outbox import enqueue, queue_email
from otesaintjo.settings import Settings


def sms_text(settings: Settings, order: Order, shop: Shop) -> str:
    mode = "à retirer" if order.mode == "PICKUP" else "à livrer"
    link = links.merchant_order_url(settings, order)
    text = (
        f"Otesaintjo : nouvelle commande {order.number} pour {shop.name} "
        f"({format_cents(order.total_cents)}, {mode}). {link}"
    )
    if len(text) > MAX_SMS_CHARS:  # a long shop name is cut, never the link
        text = text[: MAX_SMS_CHARS - len(link) - 2] + "… " + link
    return text


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
        link=links.merchant_order_url(settings, order),
    )
