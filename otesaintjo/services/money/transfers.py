"""The shops' money: one transfer per paid order (the order total minus the commission),
sent to the shop's connected account with ``source_transaction`` = the charge (separate
charges and transfers). While the shop's payouts are not enabled it waits, and goes out when
Stripe says so (``account.updated``): KYC never blocks a sale.

A cancellation withholds a waiting transfer or reverses a sent one; a return refunded takes
back the shop's share of it (the refund minus the commission on it).
"""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.models import Order, Purchase, Shop, ShopTransfer, TransferStatus
from otesaintjo.services.money.base import MoneyPart
from otesaintjo.services.money.ledger import commission
from otesaintjo.services.outbox import enqueue
from otesaintjo.services.stripe_keys import stripe_key

log = structlog.get_logger(__name__)

TRANSFER_JOB = "payments.transfer"
REVERSAL_JOB = "payments.reversal"


def open_transfer(session: AsyncSession, order: Order, commission_bp: int) -> None:
    """A paid order's transfer, waiting for its job (in the payment's transaction)."""
    fee = commission(order.total_cents, commission_bp)
    session.add(
        ShopTransfer(
            order_id=order.id,  # type: ignore[arg-type]
            shop_id=order.shop_id,
            amount_cents=order.total_cents - fee,
            commission_cents=fee,
        )
    )
    enqueue(session, TRANSFER_JOB, {"order_id": order.id})


async def withhold_or_reverse(session: AsyncSession, order: Order) -> None:
    """A paid order cancelled: its waiting transfer never goes, a sent one is reversed."""
    withheld = await session.execute(
        update(ShopTransfer)
        .where(ShopTransfer.order_id == order.id, ShopTransfer.status == TransferStatus.PENDING)
        .values(status=TransferStatus.CANCELLED)
    )
    if withheld.rowcount != 1:  # type: ignore[attr-defined]
        enqueue(session, REVERSAL_JOB, {"order_id": order.id})


async def take_back(
    session: AsyncSession, order: Order, refunded_cents: int, commission_bp: int
) -> None:
    """A return refunded: the shop gives back the refund minus the commission on it; a
    waiting transfer shrinks, a sent one is partly reversed (by a job)."""
    share = refunded_cents - commission(refunded_cents, commission_bp)
    transfer = (
        await session.execute(select(ShopTransfer).where(ShopTransfer.order_id == order.id))
    ).scalar_one_or_none()
    if transfer is None or share <= 0:
        return
    if transfer.status == TransferStatus.PENDING:
        transfer.amount_cents = max(transfer.amount_cents - share, 0)
    elif transfer.status == TransferStatus.SENT:
        enqueue(session, REVERSAL_JOB, {"order_id": order.id, "amount_cents": share})


class Transfers(MoneyPart):
    async def send(self, order_id: int) -> None:
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
        async with self.unit_of_work() as session:
            sent = await session.execute(
                update(ShopTransfer)
                .where(
                    ShopTransfer.id == transfer.id, ShopTransfer.status == TransferStatus.PENDING
                )
                .values(
                    status=TransferStatus.SENT, stripe_transfer_id=stripe_id, sent_at=self.clock()
                )
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
        async with self.unit_of_work() as session:
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
        async with self.unit_of_work() as session:
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
