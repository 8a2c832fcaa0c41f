"""An order's life after payment: the merchant's steps, problems, and cancellation.

Every step is one conditional ``UPDATE … WHERE status IN (:allowed)``: two merchants clicking
at once, or a step racing a cancellation, move the order once; anything not declared in
``STEPS`` is ``INVALID_STATUS_TRANSITION``. Callers check who may act (resolvers).
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.errors import DomainError, ErrorCode
from otesaintjo.models import (
    FulfilmentMode,
    Order,
    OrderEventKind,
    OrderStatus,
    Purchase,
    Shop,
    ShopTransfer,
    TransferStatus,
    User,
)
from otesaintjo.services import order_events, stock
from otesaintjo.services.outbox import enqueue, queue_email
from otesaintjo.services.payment_flow import (
    CANCEL_PAYMENT_JOB,
    REVERSAL_JOB,
    cancel_unpaid,
    quantities_of,
    queue_refund,
)
from otesaintjo.services.validation import clean_text
from otesaintjo.settings import Settings

S = OrderStatus
# step → (the statuses it starts from, the status it leads to, the fulfilment it needs)
STEPS: dict[str, tuple[set[str], str, str | None]] = {
    "ready": ({S.PAID}, S.READY_FOR_PICKUP, FulfilmentMode.PICKUP),
    "collected": ({S.READY_FOR_PICKUP}, S.COLLECTED, FulfilmentMode.PICKUP),
    "shipped": ({S.PAID}, S.SHIPPED, FulfilmentMode.DELIVERY),
    "delivered": ({S.SHIPPED}, S.DELIVERED, FulfilmentMode.DELIVERY),
}
PROBLEM_STATUSES = {S.PAID, S.READY_FOR_PICKUP, S.SHIPPED}
GOODS_STILL_IN_SHOP = {S.PENDING_PAYMENT, S.PAID, S.READY_FOR_PICKUP}


def invalid_transition(order: Order) -> DomainError:
    return DomainError(
        ErrorCode.INVALID_STATUS_TRANSITION,
        f"Impossible depuis l'état {order.status} de la commande.",
        ["orderId"],
    )


async def _step(session: AsyncSession, order: Order, step: str, now: datetime, **values: Any):
    allowed, target, mode = STEPS[step]
    if mode is not None and order.mode != mode:
        raise invalid_transition(order)
    moved = await session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status.in_(allowed))  # type: ignore[attr-defined]
        .values(status=target, updated_at=now, **values)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise invalid_transition(order)
    await session.refresh(order)
    await order_events.record(session, order, OrderEventKind.UPDATED)


async def _customer(session: AsyncSession, order: Order) -> User:
    user = await session.get(User, order.user_id)
    assert user is not None
    return user


async def _tell_customer(session: AsyncSession, order: Order, template: str, **extra: Any) -> None:
    customer, shop = await _customer(session, order), await session.get(Shop, order.shop_id)
    queue_email(
        session,
        template,
        customer.email,
        first_name=customer.first_name,
        order=order,
        shop=shop,
        **extra,
    )


async def mark_ready(session: AsyncSession, order: Order, now: datetime) -> Order:
    """Ready at the counter: the customer gets the pickup code to show there."""
    code = f"{secrets.randbelow(10**6):06d}"
    await _step(session, order, "ready", now, pickup_code=code)
    await _tell_customer(session, order, "order_ready", code=code)
    return order


async def mark_collected(session: AsyncSession, order: Order, code: str, now: datetime) -> Order:
    if order.status == S.READY_FOR_PICKUP and not hmac.compare_digest(
        (order.pickup_code or "").encode(), code.strip().encode()
    ):
        raise DomainError(
            ErrorCode.INVALID_PICKUP_CODE, "Ce code de retrait ne correspond pas.", ["pickupCode"]
        )
    await _step(session, order, "collected", now, received_at=now)
    return order


async def mark_shipped(
    session: AsyncSession, order: Order, carrier: str, tracking_number: str, now: datetime
) -> Order:
    carrier = clean_text(carrier, ["carrier"], max_length=50)
    tracking_number = clean_text(tracking_number, ["trackingNumber"], max_length=100)
    await _step(
        session, order, "shipped", now, tracking_carrier=carrier, tracking_number=tracking_number
    )
    await _tell_customer(session, order, "order_shipped")
    return order


async def mark_delivered(session: AsyncSession, order: Order, now: datetime) -> Order:
    await _step(session, order, "delivered", now, received_at=now)
    return order


async def report_problem(
    session: AsyncSession, settings: Settings, order: Order, message: str, now: datetime
) -> Order:
    """The merchant cannot honour the order: customer service and the customer are told."""
    message = clean_text(message, ["message"], max_length=1000)
    if order.status not in PROBLEM_STATUSES:
        raise invalid_transition(order)
    order.problem, order.updated_at = message, now
    customer, shop = await _customer(session, order), await session.get(Shop, order.shop_id)
    context = {"order": order, "shop": shop, "customer": customer, "message": message}
    queue_email(session, "order_problem_support", settings.support_email, **context)
    queue_email(
        session,
        "order_problem_customer",
        customer.email,
        support_email=settings.support_email,
        **context,
    )
    await session.flush()
    return order


async def cancel(session: AsyncSession, order: Order, now: datetime, *, by_staff: bool) -> Order:
    """Before payment the whole purchase is cancelled (it is one payment); after payment only
    staff may cancel, and the order's money goes back: refund to the customer, transfer
    withheld or reversed."""
    if order.status == S.PENDING_PAYMENT:
        if not await cancel_unpaid(session, order.purchase_id, now):
            raise invalid_transition(order)
        intent = await session.scalar(
            select(Purchase.payment_intent_id).where(Purchase.id == order.purchase_id)
        )
        if intent:
            enqueue(session, CANCEL_PAYMENT_JOB, {"payment_intent_id": intent})
        await session.refresh(order)
        return order
    if not by_staff or order.status == S.CANCELLED:
        raise invalid_transition(order)
    previous = order.status
    moved = await session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == previous)
        .values(status=S.CANCELLED, cancelled_at=now, updated_at=now)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise invalid_transition(order)
    if previous in GOODS_STILL_IN_SHOP:
        await stock.release(session, await quantities_of(session, [order.id]))  # type: ignore[list-item]
    await queue_refund(session, order, f"order:{order.id}:cancel")
    withheld = await session.execute(
        update(ShopTransfer)
        .where(ShopTransfer.order_id == order.id, ShopTransfer.status == TransferStatus.PENDING)
        .values(status=TransferStatus.CANCELLED)
    )
    if withheld.rowcount != 1:  # type: ignore[attr-defined]
        enqueue(session, REVERSAL_JOB, {"order_id": order.id})
    await session.refresh(order)
    await order_events.record(session, order, OrderEventKind.UPDATED)
    return order
