"""Settlement: what happens to a purchase's payment, whoever reports it.

The webhook, ``confirmPayment`` and the expiry job all end in ``settle``: it re-reads the
PaymentIntent from Stripe (never trusts the caller) and changes the purchase with conditional
updates, so five deliveries of one event, or a webhook racing the client, change it once.
Marking a purchase paid: each order PAID (pickup promise computed), its transfer opened, its
event pushed, the shop alerted, its invoice numbered (or held until the shop's legal identity is
complete: ``held_invoices``) — the invoice PDFs are drawn later, by the email job, outside this
transaction (the shop's invoice counter stays locked until commit).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo import labels
from otesaintjo.errors import DomainError, ErrorCode, not_found
from otesaintjo.models import (
    Cart,
    CartItem,
    FulfilmentMode,
    Order,
    OrderEventKind,
    OrderLine,
    OrderStatus,
    Purchase,
    PurchaseStatus,
    Shop,
    User,
)
from otesaintjo.payments.gateway import PaymentState, PaymentsUnavailable
from otesaintjo.services import (
    delivery_slots,
    held_invoices,
    links,
    order_events,
    pickup,
    pickup_promises,
    stock,
)
from otesaintjo.services.cart_totals import IMPORT_TAXES_NOTICE
from otesaintjo.services.money import ledger, transfers
from otesaintjo.services.money.base import MoneyPart
from otesaintjo.services.order_alerts import alert_shop
from otesaintjo.services.outbox import queue_email

CANCEL_PAYMENT_JOB = "payments.cancel_intent"
STRIPE_EVENT_JOB = "payments.stripe_event"


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


async def cancel_unpaid(session: AsyncSession, purchase_id: int, now: datetime) -> bool:
    """Cancel a purchase still waiting for its payment and give its stock and its delivery
    slots' places back (once)."""
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
    await delivery_slots.release(session, orders)  # their delivery slots' places too
    return True


async def refund_cancelled_purchase(session: AsyncSession, purchase_id: int, now: datetime) -> None:
    """Money paid after the purchase was cancelled goes back, each order at most once."""
    orders = (await session.scalars(select(Order).where(Order.purchase_id == purchase_id))).all()
    for order in orders:
        await ledger.refund(session, order, f"order:{order.id}:cancel", now)


async def empty_cart_of(session: AsyncSession, purchase: Purchase) -> None:
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


class Settlement(MoneyPart):
    async def settle(self, purchase_id: int, read: Purchase | None = None) -> Purchase | None:
        """Bring the purchase in line with its PaymentIntent as Stripe reports it now
        (``read``: the purchase as the caller just read it, not read again).

        A purchase already paid is left as it is without asking Stripe: it was marked paid on
        Stripe's word, and what becomes of its money since (refunds, returns) has its own path.
        So the webhook that follows a ``confirmPayment`` — or the call that follows the
        webhook — costs one read, not a call to Stripe and a transaction that changes nothing."""
        purchase = read
        if purchase is None:
            async with self.session_factory() as session:
                purchase = await session.get(Purchase, purchase_id)
        if (
            purchase is None
            or purchase.payment_intent_id is None
            or purchase.status == PurchaseStatus.PAID
        ):
            return purchase
        state = await self.gateway.get_payment(purchase.payment_intent_id)
        async with self.unit_of_work() as session:
            if state.succeeded:
                await self.mark_paid(session, purchase_id, state, self.clock())
            elif state.error:
                await session.execute(
                    update(Purchase)
                    .where(Purchase.id == purchase_id)
                    .values(payment_error=state.error[:300])
                )
            return await session.get(Purchase, purchase_id, populate_existing=True)

    async def confirm(self, actor: User, purchase_id: int) -> Purchase:
        """``confirmPayment``: the customer asks where their payment stands (re-read at
        Stripe); anyone else's purchase is not found."""
        async with self.session_factory() as session:
            purchase = await session.get(Purchase, purchase_id)
        if purchase is None or purchase.user_id != actor.id:
            raise not_found("purchaseId")
        try:
            settled = await self.settle(purchase_id, read=purchase)
        except PaymentsUnavailable as exc:
            raise DomainError(
                ErrorCode.PAYMENT_UNAVAILABLE, "Stripe ne répond pas ; réessayez."
            ) from exc
        assert settled is not None
        return settled

    async def settle_intent(self, payment_intent_id: str) -> None:
        """A webhook names a PaymentIntent; an unknown one (not ours) changes nothing."""
        async with self.session_factory() as session:
            purchase = await session.scalar(
                select(Purchase).where(Purchase.payment_intent_id == payment_intent_id)
            )
        if purchase is not None:
            await self.settle(purchase.id, read=purchase)  # type: ignore[arg-type]

    async def mark_paid(
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
                await refund_cancelled_purchase(session, purchase_id, now)
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
        invoice_ids: list[int] = []
        held: set[int] = set()
        # Shops in id order: each event takes its shop's counter lock (no crossed waits).
        for order, shop in sorted(rows, key=lambda row: row[1].id):
            order.status = OrderStatus.PAID
            order.paid_at = order.updated_at = now
            if order.mode == FulfilmentMode.PICKUP:
                order.ready_by = pickup.ready_at(now, shop.pickup_hours, shop.closures)
                pickup_promises.schedule(session, order, now)
            transfers.open_transfer(session, order, self.settings.commission_bp)
            await session.flush()
            await order_events.record(session, order, OrderEventKind.PLACED)
            await alert_shop(session, self.settings, order, shop, purchase, user)
            # Held (None) while the shop's legal identity is incomplete: the sale goes on.
            invoice = await held_invoices.issue_invoice_or_hold(session, self.settings, order, now)
            if invoice is not None:
                invoice_ids.append(invoice.id)  # type: ignore[arg-type]
            else:
                held.add(order.id)  # type: ignore[arg-type]
        await empty_cart_of(session, purchase)
        lines = await _lines_with_notices(session, [order.id for order, _ in rows])
        queue_email(
            session,
            "order_paid",
            user.email,
            invoice_ids=invoice_ids,
            first_name=user.first_name,
            purchase=purchase,
            orders=[(order, shop) for order, shop in rows],
            # Each line with what the customer was told before buying (L221-28).
            lines=lines,
            any_excluded=any(notice for found in lines.values() for _, notice in found),
            held_invoices=held,
            import_notice=IMPORT_TAXES_NOTICE,
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
        async with self.unit_of_work() as session:
            await cancel_unpaid(session, purchase_id, self.clock())

    async def cancel_intent(self, payment_intent_id: str) -> None:
        state = await self.gateway.get_payment(payment_intent_id)
        if state.status not in ("canceled", "succeeded"):
            await self.gateway.cancel_payment(payment_intent_id)


async def _lines_with_notices(
    session: AsyncSession, order_ids: list[int | None]
) -> dict[int, list[tuple[OrderLine, str | None]]]:
    """``{order_id: [(line, « non retournable : denrée périssable » or None)]}``."""
    found: dict[int, list[tuple[OrderLine, str | None]]] = {i: [] for i in order_ids if i}
    for line in await session.scalars(
        select(OrderLine)
        .where(OrderLine.order_id.in_(found))  # type: ignore[attr-defined]
        .order_by(OrderLine.order_id, OrderLine.id)
    ):
        found[line.order_id].append((line, labels.withdrawal_short(line.withdrawal_exclusion)))
    return found


async def handle_stripe_event(
    settlement: Settlement, on_account: Any, payload: dict[str, Any]
) -> None:
    """Act on a verified Stripe event, always from the state re-read at Stripe."""
    kind, object_id = payload["type"], payload["object_id"]
    if kind.startswith("payment_intent."):
        await settlement.settle_intent(object_id)
    elif kind == "account.updated":
        await on_account(object_id)
