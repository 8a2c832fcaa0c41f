"""Withdrawal and returns: 14 days from receipt, refund only for goods back in good condition.

Goods excluded from withdrawal (L221-28: perishable, press, made to order) never come back:
a return naming such a line is refused (NOT_RETURNABLE), whatever the product says today —
the order line keeps what the customer was told at the sale (``withdrawal_exclusions``).

Refund rule: the price of the returned lines, plus the original delivery fee with the return
that completes the whole order (a partial return refunds no delivery fee until the rest comes
back too — so never for an order that holds goods excluded from withdrawal, which the customer
keeps); never the return shipping, which is the customer's. The refund ledger refuses
anything beyond what the order was paid, whatever Stripe would accept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo import labels
from otesaintjo.errors import DomainError, ErrorCode, not_found
from otesaintjo.models import (
    Order,
    OrderEventKind,
    OrderLine,
    OrderReturn,
    ReturnLine,
    ReturnStatus,
    Shop,
    User,
)
from otesaintjo.services import access, audit, order_events, pages
from otesaintjo.services.money import ledger, transfers
from otesaintjo.services.outbox import queue_email
from otesaintjo.services.validation import clean_text
from otesaintjo.services.withdrawal import WITHDRAWAL_DAYS, can_request
from otesaintjo.services.withdrawal_exclusions import may_come_back
from otesaintjo.settings import Settings

REFUND_ALERT_DAYS = 10  # staff are alerted if a refund is still not done (the law: 14)
LIVE_RETURN_STATUSES = (ReturnStatus.REQUESTED, ReturnStatus.RECEIVED, ReturnStatus.REFUNDED)


@dataclass(frozen=True)
class WantedLine:
    order_line_id: int
    quantity: int


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


async def anything_left_to_return(
    factory: pages.Factory, lines: Sequence[OrderLine], backs: Sequence[OrderReturn]
) -> bool:
    """Some quantity of a line the law lets come back (L221-28) is not yet in a return that
    still counts (requested, received or refunded; a refused return gives its lines back).
    ``lines`` and ``backs`` are the order's, read by the caller (loaders): the return lines are
    read only when a counting return exists."""
    returnable = [line for line in lines if may_come_back(line.withdrawal_exclusion)]
    if not returnable:
        return False
    counting = [back.id for back in backs if back.status in LIVE_RETURN_STATUSES]
    if not counting:
        return True
    async with factory() as session:
        rows = await session.execute(
            select(ReturnLine.order_line_id, func.sum(ReturnLine.quantity))
            .where(ReturnLine.return_id.in_(counting))  # type: ignore[attr-defined]
            .group_by(ReturnLine.order_line_id)
        )
        already = {line_id: int(quantity) for line_id, quantity in rows}
    return any(line.quantity > already.get(line.id, 0) for line in returnable)  # type: ignore[arg-type]


async def request_return(
    session: AsyncSession,
    settings: Settings,
    customer: User,
    order_id: int,
    wanted: list[WantedLine],
    reason: str | None,
    now: datetime,
) -> OrderReturn:
    """The withdrawal button: the order's customer only (anyone else: NOT_FOUND)."""
    order = await session.get(Order, order_id)
    if order is None or order.user_id != customer.id:
        raise not_found("orderId")
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
    if len({item.order_line_id for item in wanted}) != len(wanted):
        raise DomainError(
            ErrorCode.INVALID_INPUT, "Chaque ligne une seule fois, avec sa quantité.", ["lines"]
        )
    total = 0
    for index, item in enumerate(wanted):
        line = lines.get(item.order_line_id)
        if line is None:
            raise DomainError(ErrorCode.NOT_FOUND, "Ligne inconnue.", ["lines", str(index)])
        if not may_come_back(line.withdrawal_exclusion):
            raise DomainError(
                ErrorCode.NOT_RETURNABLE,
                f"« {line.product_name} » — {labels.withdrawal_notice(line.withdrawal_exclusion)}.",
                ["lines", str(index), "orderLineId"],
            )
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
    actor: User,
    return_id: int,
    good: bool,
    note: str | None,
    now: datetime,
) -> OrderReturn:
    """The shop's merchants (or staff, audited) got the goods back. GOOD: refund now (a job,
    retried until Stripe takes it) and take back the shop's share. DAMAGED: refused, no
    refund, the customer gets the merchant's note."""
    back = await session.get(OrderReturn, return_id)
    if back is None or not await access.manages_shop_now(session, actor, back.shop_id):
        raise not_found("returnId")
    if actor.is_staff:
        condition = "GOOD" if good else "DAMAGED"
        audit.record(session, actor, "confirm_return", "Return", return_id, condition=condition)
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
    """The return's refund in the ledger (never beyond what was paid), then the shop gives
    back its share of it."""
    refund = await ledger.refund(
        session,
        order,
        f"return:{back.id}",
        now,
        amount_cents=back.refund_cents,
        return_id=back.id,
        alert_after=timedelta(days=REFUND_ALERT_DAYS),
    )
    assert refund is not None  # the return moved to RECEIVED once: its key is new
    back.refund_id = refund.id
    await transfers.take_back(session, order, back.refund_cents, settings.commission_bp)


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


async def returns_page(
    factory: pages.Factory, shop_id: int, status: str | None, *, limit: int, after: str | None
) -> pages.Page:
    conditions = [OrderReturn.shop_id == shop_id]
    if status is not None:
        conditions.append(OrderReturn.status == status)
    return await pages.newest_first(factory, OrderReturn, conditions, limit=limit, after=after)
