"""Withdrawal and returns: 14 days from receipt, refund only for goods back in good condition.

Refund rule: the price of the returned lines, plus the original delivery fee with the return
that completes the whole order (a partial return refunds no delivery fee until the rest comes
back too); never the return shipping, which is the customer's. The refund ledger refuses
anything beyond what the order was paid, whatever Stripe would accept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.errors import DomainError, ErrorCode
from otesaintjo.models import (
    Order,
    OrderEventKind,
    OrderLine,
    OrderReturn,
    OrderStatus,
    Refund,
    ReturnLine,
    ReturnStatus,
    Shop,
    ShopTransfer,
    TransferStatus,
    User,
)
from otesaintjo.services import invoices, order_events
from otesaintjo.services.outbox import enqueue, queue_email
from otesaintjo.services.payment_flow import (
    REFUND_DEADLINE_JOB,
    REFUND_JOB,
    REVERSAL_JOB,
    commission,
)
from otesaintjo.services.validation import clean_text
from otesaintjo.settings import Settings

WITHDRAWAL_DAYS = 14
REFUND_ALERT_DAYS = 10  # staff are alerted if a refund is still not done (the law: 14)
RECEIVED_STATUSES = {OrderStatus.DELIVERED, OrderStatus.COLLECTED}
LIVE_RETURN_STATUSES = (ReturnStatus.REQUESTED, ReturnStatus.RECEIVED, ReturnStatus.REFUNDED)


@dataclass(frozen=True)
class WantedLine:
    order_line_id: int
    quantity: int


def withdrawal_deadline(order: Order) -> datetime | None:
    if order.received_at is None:
        return None
    return order.received_at + timedelta(days=WITHDRAWAL_DAYS)


def can_request(order: Order, now: datetime) -> bool:
    deadline = withdrawal_deadline(order)
    return order.status in RECEIVED_STATUSES and deadline is not None and now <= deadline


async def returned_quantities(session: AsyncSession, order_id: int) -> dict[int, int]:
    """``{order_line_id: quantity}`` already sent back (refused returns do not count)."""
    rows = await session.execute(
        select(ReturnLine.order_line_id, func.sum(ReturnLine.quantity))
        .join(OrderReturn, OrderReturn.id == ReturnLine.return_id)
        .where(
            OrderReturn.order_id == order_id,
            OrderReturn.status.in_(LIVE_RETURN_STATUSES),  # type: ignore[attr-defined]
        )
        .group_by(ReturnLine.order_line_id)
    )
    return {line_id: int(quantity) for line_id, quantity in rows}


async def request_return(
    session: AsyncSession,
    settings: Settings,
    order: Order,
    wanted: list[WantedLine],
    reason: str | None,
    now: datetime,
) -> OrderReturn:
    if not can_request(order, now):
        raise DomainError(
            ErrorCode.RETURN_WINDOW_CLOSED,
            f"Le délai de rétractation ({WITHDRAWAL_DAYS} jours après réception) est dépassé"
            " ou la commande n'a pas encore été reçue.",
            ["orderId"],
        )
    # Lock the order row: two returns of the same lines cannot both pass the check below.
    await session.execute(update(Order).where(Order.id == order.id).values(updated_at=now))
    lines = {
        line.id: line
        for line in await session.scalars(select(OrderLine).where(OrderLine.order_id == order.id))
    }
    already = await returned_quantities(session, order.id)  # type: ignore[arg-type]
    if not wanted:
        raise DomainError(ErrorCode.INVALID_QUANTITY, "Choisissez au moins un produit.", ["lines"])
    total = 0
    for index, item in enumerate(wanted):
        line = lines.get(item.order_line_id)
        if line is None:
            raise DomainError(ErrorCode.NOT_FOUND, "Ligne inconnue.", ["lines", str(index)])
        left = line.quantity - already.get(line.id, 0)  # type: ignore[arg-type]
        if item.quantity <= 0 or item.quantity > left:
            raise DomainError(
                ErrorCode.INVALID_QUANTITY,
                f"Au plus {left} exemplaire(s) de « {line.product_name} » à retourner.",
                ["lines", str(index), "quantity"],
            )
        total += line.unit_cents * item.quantity
    whole = all(
        already.get(line_id, 0) + sum(w.quantity for w in wanted if w.order_line_id == line_id)
        == line.quantity
        for line_id, line in lines.items()
    )
    back = OrderReturn(
        order_id=order.id,  # type: ignore[arg-type]
        shop_id=order.shop_id,
        user_id=order.user_id,
        reason=clean_text(reason, ["reason"], max_length=1000, required=False) if reason else None,
        lines_cents=total,
        delivery_fee_cents=order.delivery_fee_cents if whole else 0,
        created_at=now,
    )
    session.add(back)
    await session.flush()
    for item in wanted:
        session.add(
            ReturnLine(
                return_id=back.id,  # type: ignore[arg-type]
                order_line_id=item.order_line_id,
                quantity=item.quantity,
            )
        )
    await order_events.record(session, order, OrderEventKind.UPDATED)
    await _tell(session, back, "return_requested", settings=settings)
    return back


async def confirm_received(
    session: AsyncSession,
    settings: Settings,
    back: OrderReturn,
    good: bool,
    note: str | None,
    now: datetime,
) -> OrderReturn:
    """GOOD: refund now (a job, retried until Stripe takes it) and take back the shop's share.
    DAMAGED: refused, no refund, the customer gets the merchant's note."""
    target = ReturnStatus.RECEIVED if good else ReturnStatus.REFUSED
    moved = await session.execute(
        update(OrderReturn)
        .where(OrderReturn.id == back.id, OrderReturn.status == ReturnStatus.REQUESTED)
        .values(
            status=target,
            condition="GOOD" if good else "DAMAGED",
            merchant_note=clean_text(note, ["note"], max_length=1000, required=False)
            if note
            else None,
            received_at=now,
        )
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise DomainError(
            ErrorCode.INVALID_STATUS_TRANSITION, "Ce retour a déjà été traité.", ["returnId"]
        )
    await session.refresh(back)
    order = await session.get(Order, back.order_id)
    assert order is not None
    if good:
        await _refund(session, settings, order, back, now)
        await _tell(session, back, "return_accepted", settings=settings)
    else:
        await _tell(session, back, "return_refused", settings=settings)
    await order_events.record(session, order, OrderEventKind.UPDATED)
    return back


async def _refund(
    session: AsyncSession, settings: Settings, order: Order, back: OrderReturn, now: datetime
) -> None:
    amount = back.refund_cents
    refunded = await session.scalar(
        select(func.coalesce(func.sum(Refund.amount_cents), 0)).where(Refund.order_id == order.id)
    )
    if int(refunded or 0) + amount > order.total_cents:
        raise DomainError(
            ErrorCode.REFUND_EXCEEDS_PAYMENT,
            "Ce remboursement dépasserait ce que le client a payé pour la commande.",
            ["returnId"],
        )
    refund = Refund(
        key=f"return:{back.id}",
        order_id=order.id,
        amount_cents=amount,
        created_at=now,  # type: ignore[arg-type]
    )
    session.add(refund)
    await session.flush()
    back.refund_id = refund.id
    await invoices.issue_credit_note(session, refund, now, return_id=back.id)
    enqueue(session, REFUND_JOB, {"refund_id": refund.id})
    enqueue(
        session,
        REFUND_DEADLINE_JOB,
        {"refund_id": refund.id},
        run_at=now + timedelta(days=REFUND_ALERT_DAYS),
    )
    await _take_back_shop_share(session, settings, order, amount)


async def _take_back_shop_share(
    session: AsyncSession, settings: Settings, order: Order, refunded_cents: int
) -> None:
    """The shop gives back the refund minus the platform's commission on it: a waiting
    transfer shrinks, a sent one is partly reversed (by a job)."""
    share = refunded_cents - commission(refunded_cents, settings.commission_bp)
    transfer = (
        await session.execute(select(ShopTransfer).where(ShopTransfer.order_id == order.id))
    ).scalar_one_or_none()
    if transfer is None or share <= 0:
        return
    if transfer.status == TransferStatus.PENDING:
        transfer.amount_cents = max(transfer.amount_cents - share, 0)
    elif transfer.status == TransferStatus.SENT:
        enqueue(session, REVERSAL_JOB, {"order_id": order.id, "amount_cents": share})


async def _tell(session: AsyncSession, back: OrderReturn, template: str, settings: Settings):
    customer = await session.get(User, back.user_id)
    shop = await session.get(Shop, back.shop_id)
    assert customer is not None and shop is not None
    queue_email(
        session,
        template,
        customer.email,
        first_name=customer.first_name,
        back=back,
        shop=shop,
        support_email=settings.support_email,
        days=WITHDRAWAL_DAYS,
    )
