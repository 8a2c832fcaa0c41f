"""An order's life after payment: the merchant's steps, problems, and cancellation.

Every step is one conditional ``UPDATE … WHERE status IN (:allowed)``: two merchants clicking
at once, or a step racing a cancellation, move the order once; anything not declared in
``STEPS`` is ``INVALID_STATUS_TRANSITION``. Who may act: ``order_for_merchant`` (the shop's
merchants, staff — audited) and ``cancel_order`` (``access.may_cancel``).
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.errors import DomainError, ErrorCode, not_found
from otesaintjo.labels import status_label
from otesaintjo.models import (
    FulfilmentMode,
    Order,
    OrderEventKind,
    OrderStatus,
    Purchase,
    Shop,
    User,
)
from otesaintjo.services import access, audit, delivery_slots, order_events, pages, stock
from otesaintjo.services.money import ledger, transfers
from otesaintjo.services.money.settlement import CANCEL_PAYMENT_JOB, cancel_unpaid, quantities_of
from otesaintjo.services.outbox import enqueue, queue_email
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
        f"Impossible : la commande {order.number} est {status_label(order.status)}.",
        ["orderId"],
    )


async def order_for_merchant(
    session: AsyncSession, actor: User, order_id: int, action: str
) -> Order:
    """The door of the merchant's steps: the order, if ``actor`` runs its shop or is staff
    (anyone else: NOT_FOUND, as for an order that does not exist). Staff steps are audited."""
    order = await session.get(Order, order_id)
    if order is None or not await access.manages_shop_now(session, actor, order.shop_id):
        raise not_found("orderId")
    if actor.is_staff:
        audit.record(session, actor, action, "Order", order_id)
    return order


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


async def cancel_order(session: AsyncSession, actor: User, order_id: int, now: datetime) -> Order:
    """``cancelOrder``: its customer or staff (anyone else: NOT_FOUND); who may cancel what is
    ``access.may_cancel``; a staff cancellation is audited."""
    order = await session.get(Order, order_id)
    if order is None or not (actor.is_staff or order.user_id == actor.id):
        raise not_found("orderId")
    if not access.may_cancel(actor, order):
        raise invalid_transition(order)
    if actor.is_staff:
        audit.record(session, actor, "cancel_order", "Order", order_id)
    return await cancel(session, order, now)


async def cancel(session: AsyncSession, order: Order, now: datetime) -> Order:
    """Before payment the whole purchase is cancelled (it is one payment); after payment (a
    staff decision) the order's money goes back: refund to the customer, transfer withheld
    or reversed. Each branch is a conditional update: a race changes the order once."""
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
    if order.status == S.CANCELLED:
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
        await delivery_slots.release(session, [order])  # not delivered: its place is free
    await ledger.refund(session, order, f"order:{order.id}:cancel", now)
    await transfers.withhold_or_reverse(session, order)
    await session.refresh(order)
    await order_events.record(session, order, OrderEventKind.UPDATED)
    return order


async def orders_page(
    factory: pages.Factory,
    *,
    shop_id: int | None = None,
    user_id: int | None = None,
    status: str | None = None,
    limit: int,
    after: str | None,
) -> pages.Page:
    """Orders newest first, of a shop, of a customer, or all (indexes on shop/user + id)."""
    conditions = [
        condition
        for wanted, condition in (
            (shop_id, Order.shop_id == shop_id),
            (user_id, Order.user_id == user_id),
            (status, Order.status == status),
        )
        if wanted is not None
    ]
    return await pages.newest_first(factory, Order, conditions, limit=limit, after=after)
