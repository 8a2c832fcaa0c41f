"""What happens to a purchase's money after checkout, whoever reports it.

The webhook, ``confirmPayment`` and the expiry job all end in ``settle``: it re-reads the
PaymentIntent from Stripe (never trusts the caller) and changes the purchase with conditional
updates, so five deliveries of one event, or a webhook racing the client, change it once.

Shops are paid by transfers (separate charges and transfers): one ``ShopTransfer`` row per
paid order, sent by a job when the shop's connected account can receive payouts, else kept
pending until Stripe reports the account ready (``account.updated``). KYC never blocks a sale.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otesaintjo.clock import utcnow
from otesaintjo.db import unit_of_work
from otesaintjo.events import EventBus, attach
from otesaintjo.models import (
    Cart,
    CartItem,
    FulfilmentMode,
    Order,
    OrderEventKind,
    OrderLine,
    OrderReturn,
    OrderStatus,
    Purchase,
    PurchaseStatus,
    Refund,
    ReturnStatus,
    Shop,
    ShopTransfer,
    TransferStatus,
    User,
)
from otesaintjo.payments.gateway import PaymentsGateway, PaymentState, PaymentsUnavailable
from otesaintjo.services import invoices, links, order_events, pickup, stock
from otesaintjo.services.checkout import EXPIRE_JOB
from otesaintjo.services.order_alerts import alert_shop
from otesaintjo.services.outbox import enqueue, queue_email
from otesaintjo.services.stripe_keys import stripe_key
from otesaintjo.settings import Settings

log = structlog.get_logger(__name__)

TRANSFER_JOB = "payments.transfer"
REFUND_JOB = "payments.refund"
REVERSAL_JOB = "payments.reversal"
CANCEL_PAYMENT_JOB = "payments.cancel_intent"
REFUND_DEADLINE_JOB = "payments.refund_deadline"


def commission(total_cents: int, commission_bp: int) -> int:
    """The platform's share of an order, in cents, rounded half up (the shop gets the rest)."""
    return (total_cents * commission_bp + 5000) // 10000


async def quantities_of(session: AsyncSession, order_ids: list[int]) -> dict[int, int]:
    """``{product_id: quantity}`` of these orders' lines (for releasing stock)."""
    rows = await session.execute(
        select(OrderLine.product_id, OrderLine.quantity).where(OrderLine.order_id.in_(order_ids))  # type: ignore[attr-defined]
    )
    totals: dict[int, int] = {}
    for product_id, quantity in rows:
        if product_id is not None:
            totals[product_id] = totals.get(product_id, 0) + quantity
    return totals


@dataclass
class PaymentFlow:
    session_factory: async_sessionmaker[AsyncSession]
    gateway: PaymentsGateway
    settings: Settings
    bus: EventBus | None = None

    @contextlib.asynccontextmanager
    async def _uow(self) -> AsyncIterator[AsyncSession]:
        """A unit of work whose order events reach the bus once it commits."""
        async with unit_of_work(self.session_factory) as session:
            if self.bus is not None:
                attach(session, self.bus)
            yield session

    # -- payment ----------------------------------------------------------------------------

    async def settle(self, purchase_id: int) -> Purchase | None:
        """Bring the purchase in line with its PaymentIntent as Stripe reports it now."""
        async with self.session_factory() as session:
            purchase = await session.get(Purchase, purchase_id)
        if purchase is None or purchase.payment_intent_id is None:
            return purchase
        state = await self.gateway.get_payment(purchase.payment_intent_id)
        async with self._uow() as session:
            if state.succeeded:
                await self._mark_paid(session, purchase_id, state, utcnow())
            elif state.error:
                await session.execute(
                    update(Purchase)
                    .where(Purchase.id == purchase_id)
                    .values(payment_error=state.error[:300])
                )
            return await session.get(Purchase, purchase_id, populate_existing=True)

    async def settle_intent(self, payment_intent_id: str) -> None:
        """A webhook names a PaymentIntent; an unknown one (not ours) changes nothing."""
        async with self.session_factory() as session:
            purchase_id = await session.scalar(
                select(Purchase.id).where(Purchase.payment_intent_id == payment_intent_id)
            )
        if purchase_id is not None:
            await self.settle(purchase_id)

    async def _mark_paid(
        self, session: AsyncSession, purchase_id: int, state: PaymentState, now: datetime
    ) -> None:
        paid = await session.execute(
            update(Purchase)
            .where(Purchase.id == purchase_id, Purchase.status == PurchaseStatus.PENDING_PAYMENT)
            .values(status=PurchaseStatus.PAID, paid_at=now, charge_id=state.charge_id)
        )
        if paid.rowcount != 1:  # type: ignore[attr-defined]
            # Already paid (another delivery won): nothing to do. Cancelled while the customer
            # was paying: the money goes back, the goods were released.
            status = await session.scalar(select(Purchase.status).where(Purchase.id == purchase_id))
            if status == PurchaseStatus.CANCELLED:
                await refund_cancelled_purchase(session, purchase_id)
            return
        purchase = await session.get(Purchase, purchase_id, populate_existing=True)
        assert purchase is not None
        rows = (
            await session.execute(
                select(Order, Shop)
                .join(Shop, Shop.id == Order.shop_id)
                .where(Order.purchase_id == purchase_id)
            )
        ).all()
        user = await session.get(User, purchase.user_id)
        assert user is not None
        documents: list[tuple[str, bytes, str]] = []
        # Shops in id order: each event takes its shop's counter lock (no crossed waits).
        for order, shop in sorted(rows, key=lambda row: row[1].id):
            order.status = OrderStatus.PAID
            order.paid_at = order.updated_at = now
            if order.mode == FulfilmentMode.PICKUP:
                order.ready_by = pickup.ready_at(now, shop.pickup_hours, shop.closures)
            fee = commission(order.total_cents, self.settings.commission_bp)
            session.add(
                ShopTransfer(
                    order_id=order.id,  # type: ignore[arg-type]
                    shop_id=shop.id,  # type: ignore[arg-type]
                    amount_cents=order.total_cents - fee,
                    commission_cents=fee,
                )
            )
            enqueue(session, TRANSFER_JOB, {"order_id": order.id})
            await session.flush()
            await order_events.record(session, order, OrderEventKind.PLACED)
            await alert_shop(session, self.settings, order, shop, purchase, user)
            invoice = await invoices.issue_invoice(session, order, now)
            documents.append(
                (invoices.filename(invoice), invoices.render_pdf(invoice), "application/pdf")
            )
        await _empty_cart_of(session, purchase)
        queue_email(
            session,
            "order_paid",
            user.email,
            attachments=documents,
            first_name=user.first_name,
            purchase=purchase,
            orders=[(order, shop) for order, shop in rows],
            order_links={
                order.id: links.customer_order_url(self.settings, order) for order, _ in rows
            },
            support_email=self.settings.support_email,
        )

    async def expire(self, purchase_id: int) -> None:
        """30 minutes unpaid: cancel the PaymentIntent, then the orders, and give stock back.

        If Stripe says it was paid meanwhile, the purchase is settled instead."""
        async with self.session_factory() as session:
            purchase = await session.get(Purchase, purchase_id)
        if purchase is None or purchase.status != PurchaseStatus.PENDING_PAYMENT:
            return
        if purchase.payment_intent_id is not None:
            state = await self.gateway.get_payment(purchase.payment_intent_id)
            if state.succeeded:
                await self.settle(purchase_id)
                return
            if state.status != "canceled":
                try:
                    await self.gateway.cancel_payment(purchase.payment_intent_id)
                except PaymentsUnavailable:
                    if (await self.gateway.get_payment(purchase.payment_intent_id)).succeeded:
                        await self.settle(purchase_id)
                        return
                    raise
        async with self._uow() as session:
            await cancel_unpaid(session, purchase_id, utcnow())

    # -- shops' money -----------------------------------------------------------------------

    async def send_transfer(self, order_id: int) -> None:
        """Pay the shop its share of a paid order, once its account can receive payouts."""
        async with self.session_factory() as session:
            row = (
                await session.execute(
                    select(ShopTransfer, Shop, Purchase)
                    .join(Shop, Shop.id == ShopTransfer.shop_id)
                    .join(Order, Order.id == ShopTransfer.order_id)
                    .join(Purchase, Purchase.id == Order.purchase_id)
                    .where(ShopTransfer.order_id == order_id)
                )
            ).one_or_none()
        if row is None:
            return
        transfer, shop, purchase = row
        if transfer.status != TransferStatus.PENDING:
            return
        if not (shop.stripe_account_id and shop.payouts_enabled):
            log.info("transfer waits for the shop's payouts", order_id=order_id, shop_id=shop.id)
            return
        stripe_id = await self.gateway.create_transfer(
            transfer.amount_cents,
            shop.stripe_account_id,
            source_transaction=purchase.charge_id,  # type: ignore[arg-type]
            transfer_group=f"purchase_{purchase.id}",
            metadata={"order_id": str(order_id), "purchase_id": str(purchase.id)},
            idempotency_key=stripe_key("transfer", transfer.id, transfer.created_at, "create"),
        )
        async with self._uow() as session:
            sent = await session.execute(
                update(ShopTransfer)
                .where(
                    ShopTransfer.id == transfer.id, ShopTransfer.status == TransferStatus.PENDING
                )
                .values(status=TransferStatus.SENT, stripe_transfer_id=stripe_id, sent_at=utcnow())
            )
            if sent.rowcount != 1:  # type: ignore[attr-defined]
                # Cancelled by staff while the transfer was on its way: take it back.
                await session.execute(
                    update(ShopTransfer)
                    .where(ShopTransfer.id == transfer.id)
                    .values(stripe_transfer_id=stripe_id)
                )
                enqueue(session, REVERSAL_JOB, {"order_id": order_id})

    async def account_updated(self, account_id: str) -> None:
        """Re-read the account; when payouts open, the shop's waiting transfers go out."""
        async with self.session_factory() as session:
            shop = (
                await session.execute(select(Shop).where(Shop.stripe_account_id == account_id))
            ).scalar_one_or_none()
        if shop is None:
            return  # not one of our shops' accounts
        account = await self.gateway.get_account(account_id)
        async with self._uow() as session:
            await session.execute(
                update(Shop)
                .where(Shop.id == shop.id)
                .values(
                    payouts_enabled=account.payouts_enabled,
                    payout_requirements=account.requirements_due,
                )
            )
            if account.payouts_enabled:
                waiting = await session.scalars(
                    select(ShopTransfer.order_id).where(
                        ShopTransfer.shop_id == shop.id,
                        ShopTransfer.status == TransferStatus.PENDING,
                    )
                )
                for waiting_order_id in waiting:
                    enqueue(session, TRANSFER_JOB, {"order_id": waiting_order_id})

    async def refund(self, refund_id: int) -> None:
        async with self.session_factory() as session:
            row = (
                await session.execute(
                    select(Refund, Purchase)
                    .join(Order, Order.id == Refund.order_id)
                    .join(Purchase, Purchase.id == Order.purchase_id)
                    .where(Refund.id == refund_id)
                )
            ).one_or_none()
        if row is None or row[0].done_at is not None:
            return
        refund, purchase = row
        stripe_id = await self.gateway.refund(
            purchase.payment_intent_id,  # type: ignore[arg-type]
            refund.amount_cents,
            idempotency_key=stripe_key("refund", refund.id, refund.created_at, refund.key),
        )
        async with self._uow() as session:
            now = utcnow()
            await session.execute(
                update(Refund)
                .where(Refund.id == refund_id, Refund.done_at.is_(None))  # type: ignore[union-attr]
                .values(stripe_refund_id=stripe_id, done_at=now)
            )
            await self._return_refunded(session, refund_id, now)

    async def _return_refunded(self, session: AsyncSession, refund_id: int, now: datetime) -> None:
        """A return's refund went through: the return is REFUNDED, the customer told."""
        back = (
            await session.execute(
                select(OrderReturn).where(
                    OrderReturn.refund_id == refund_id,
                    OrderReturn.status == ReturnStatus.RECEIVED,
                )
            )
        ).scalar_one_or_none()
        if back is None:
            return
        back.status, back.refunded_at = ReturnStatus.REFUNDED, now
        order = await session.get(Order, back.order_id)
        customer = await session.get(User, back.user_id)
        assert order is not None and customer is not None
        await session.flush()
        await order_events.record(session, order, OrderEventKind.UPDATED)
        queue_email(
            session,
            "return_refunded",
            customer.email,
            first_name=customer.first_name,
            back=back,
            support_email=self.settings.support_email,
        )

    async def refund_overdue(self, refund_id: int) -> None:
        """Ten days after the merchant's confirmation: still not refunded, staff must act."""
        async with self._uow() as session:
            refund = await session.get(Refund, refund_id)
            if refund is None or refund.done_at is not None:
                return
            queue_email(
                session,
                "refund_overdue_staff",
                self.settings.support_email,
                refund=refund,
                order=await session.get(Order, refund.order_id),
            )

    async def reverse(self, order_id: int, amount_cents: int | None = None) -> None:
        """Take back from the shop ``amount_cents`` of what it received (all that is left
        when None: a cancelled order)."""
        async with self.session_factory() as session:
            transfer = (
                await session.execute(select(ShopTransfer).where(ShopTransfer.order_id == order_id))
            ).scalar_one_or_none()
        if transfer is None or transfer.stripe_transfer_id is None:
            return
        remaining = transfer.amount_cents - transfer.reversed_cents
        amount = remaining if amount_cents is None else min(amount_cents, remaining)
        if amount <= 0:
            return
        # One key per reversal: what was reversed before names it.
        action = f"reversal:{transfer.reversed_cents}:{amount}"
        await self.gateway.reverse_transfer(
            transfer.stripe_transfer_id,
            amount,
            idempotency_key=stripe_key("transfer", transfer.id, transfer.created_at, action),
        )
        async with self._uow() as session:
            values: dict[str, Any] = {"reversed_cents": ShopTransfer.reversed_cents + amount}
            if amount_cents is None:
                values["status"] = TransferStatus.CANCELLED
            await session.execute(
                update(ShopTransfer)
                .where(
                    ShopTransfer.id == transfer.id,
                    ShopTransfer.reversed_cents == transfer.reversed_cents,
                )
                .values(**values)
            )

    async def cancel_intent(self, payment_intent_id: str) -> None:
        state = await self.gateway.get_payment(payment_intent_id)
        if state.status not in ("canceled", "succeeded"):
            await self.gateway.cancel_payment(payment_intent_id)


async def cancel_unpaid(session: AsyncSession, purchase_id: int, now: datetime) -> bool:
    """Cancel a purchase still waiting for its payment and give its stock back (once)."""
    cancelled = await session.execute(
        update(Purchase)
        .where(Purchase.id == purchase_id, Purchase.status == PurchaseStatus.PENDING_PAYMENT)
        .values(status=PurchaseStatus.CANCELLED, cancelled_at=now)
    )
    if cancelled.rowcount != 1:  # type: ignore[attr-defined]
        return False
    orders = (
        await session.scalars(
            select(Order).where(Order.purchase_id == purchase_id).order_by(Order.shop_id)  # type: ignore[arg-type]
        )
    ).all()
    for order in orders:
        order.status, order.cancelled_at, order.updated_at = OrderStatus.CANCELLED, now, now
    await session.flush()
    for order in orders:
        await order_events.record(session, order, OrderEventKind.UPDATED)
    order_ids = [order.id for order in orders]
    await stock.release(session, await quantities_of(session, order_ids))  # type: ignore[arg-type]
    return True


async def refund_cancelled_purchase(session: AsyncSession, purchase_id: int) -> None:
    """Refund every order of a purchase paid after it was cancelled (each at most once)."""
    orders = (await session.scalars(select(Order).where(Order.purchase_id == purchase_id))).all()
    for order in orders:
        await queue_refund(session, order, f"order:{order.id}:cancel")


async def queue_refund(session: AsyncSession, order: Order, key: str) -> None:
    """Record a refund of what is left of the order's payment under ``key``, for the worker."""
    if await session.scalar(select(Refund.id).where(Refund.key == key)) is not None:
        return
    already = await session.scalar(
        select(func.coalesce(func.sum(Refund.amount_cents), 0)).where(Refund.order_id == order.id)
    )
    amount = order.total_cents - int(already or 0)  # never more than was paid (returns too)
    if amount <= 0:
        return
    refund = Refund(key=key, order_id=order.id, amount_cents=amount)  # type: ignore[arg-type]
    session.add(refund)
    await session.flush()
    await invoices.issue_credit_note(session, refund, utcnow())
    enqueue(session, REFUND_JOB, {"refund_id": refund.id})


async def _empty_cart_of(session: AsyncSession, purchase: Purchase) -> None:
    """The bought products leave the customer's cart (lines added since then stay)."""
    bought = (
        select(OrderLine.product_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.purchase_id == purchase.id)
    )
    cart_id = select(Cart.id).where(Cart.user_id == purchase.user_id).scalar_subquery()
    await session.execute(
        delete(CartItem).where(CartItem.cart_id == cart_id, CartItem.product_id.in_(bought))  # type: ignore[attr-defined]
    )


STRIPE_EVENT_JOB = "payments.stripe_event"


async def handle_stripe_event(flow: PaymentFlow, payload: dict[str, Any]) -> None:
    """Act on a verified Stripe event, always from the state re-read at Stripe."""
    kind, object_id = payload["type"], payload["object_id"]
    if kind.startswith("payment_intent."):
        await flow.settle_intent(object_id)
    elif kind == "account.updated":
        await flow.account_updated(object_id)


def job_handlers(flow: PaymentFlow) -> dict[str, Callable[[dict[str, Any]], Awaitable[None]]]:
    """The outbox jobs of the payment flow (durable: they survive a restart)."""
    return {
        EXPIRE_JOB: lambda p: flow.expire(p["purchase_id"]),
        TRANSFER_JOB: lambda p: flow.send_transfer(p["order_id"]),
        REFUND_JOB: lambda p: flow.refund(p["refund_id"]),
        REVERSAL_JOB: lambda p: flow.reverse(p["order_id"], p.get("amount_cents")),
        REFUND_DEADLINE_JOB: lambda p: flow.refund_overdue(p["refund_id"]),
        CANCEL_PAYMENT_JOB: lambda p: flow.cancel_intent(p["payment_intent_id"]),
        STRIPE_EVENT_JOB: lambda p: handle_stripe_event(flow, p),
    }
