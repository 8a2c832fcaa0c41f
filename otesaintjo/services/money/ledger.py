"""The refund ledger: every refund of an order, cancellation or return, in one table.

``Refund.key`` names why (``order:<id>:cancel``, ``return:<id>``), so a refund happens once; the
sum never goes above what the order was paid, whatever Stripe would accept (localstripe
accepts over-refunds: the ledger is the guard). Each refund gets its credit note (held behind a
held invoice) and a job that
asks Stripe (``refunds.Refunds.send``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.errors import DomainError, ErrorCode
from otesaintjo.models import Order, Refund
from otesaintjo.services import held_invoices
from otesaintjo.services.outbox import enqueue

REFUND_JOB = "payments.refund"
REFUND_DEADLINE_JOB = "payments.refund_deadline"


def commission(total_cents: int, commission_bp: int) -> int:
    """The platform's share of an amount, in cents, rounded half up (the shop gets the rest)."""
    return (total_cents * commission_bp + 5000) // 10000


async def refunded_so_far(session: AsyncSession, order_id: int) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(Refund.amount_cents), 0)).where(Refund.order_id == order_id)
    )
    return int(total or 0)


async def refund(
    session: AsyncSession,
    order: Order,
    key: str,
    now: datetime,
    *,
    amount_cents: int | None = None,
    return_id: int | None = None,
    alert_after: timedelta | None = None,
) -> Refund | None:
    """Record a refund under ``key`` (once): ``amount_cents``, refused beyond what was paid,
    or, when None, all that is left (a cancellation; nothing if nothing is left). Its credit
    note is issued and the refund job queued; with ``alert_after``, staff are told if Stripe
    has still not refunded by then."""
    if await session.scalar(select(Refund.id).where(Refund.key == key)) is not None:
        return None
    left = order.total_cents - await refunded_so_far(session, order.id)  # type: ignore[arg-type]
    amount = left if amount_cents is None else amount_cents
    if amount > left:
        raise DomainError(
            ErrorCode.REFUND_EXCEEDS_PAYMENT,
            "Ce remboursement dépasserait ce que le client a payé pour la commande.",
            ["returnId"],
        )
    if amount <= 0:
        return None
    row = Refund(key=key, order_id=order.id, amount_cents=amount, created_at=now)  # type: ignore[arg-type]
    session.add(row)
    await session.flush()
    await held_invoices.issue_credit_note_or_hold(session, row, now, return_id=return_id)
    enqueue(session, REFUND_JOB, {"refund_id": row.id})
    if alert_after is not None:
        enqueue(session, REFUND_DEADLINE_JOB, {"refund_id": row.id}, run_at=now + alert_after)
    return row
