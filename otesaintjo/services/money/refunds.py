"""Refunds sent to Stripe: the job behind each row of the ledger, and the staff alert when a
return's refund is still not done 10 days after the merchant's confirmation (the law: 14)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.models import (
    Order,
    OrderEventKind,
    OrderReturn,
    Purchase,
    Refund,
    ReturnStatus,
    User,
)
from otesaintjo.services import order_events
from otesaintjo.services.money.base import MoneyPart
from otesaintjo.services.outbox import queue_email
from otesaintjo.services.stripe_keys import stripe_key


class Refunds(MoneyPart):
    async def send(self, refund_id: int) -> None:
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
        async with self.unit_of_work() as session:
            now = self.clock()
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

    async def overdue(self, refund_id: int) -> None:
        """Ten days after the merchant's confirmation: still not refunded, staff must act."""
        async with self.unit_of_work() as session:
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
