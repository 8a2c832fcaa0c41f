"""Who may see and do what: each rule once, for every door that needs it.

The context (per request), the live subscriptions, the invoice downloads, the ``viewerCan…``
fields and the services all ask here. A rule takes the facts it needs: the user, the row, and
``member_of``, which returns the ids of the shops the user runs — lazily, so a customer looking
at their own order costs no query. The context answers it from a per-request loader; a
WebSocket that lives for hours or a download link reads it fresh (``fresh_member_of``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.models import (
    Invoice,
    Order,
    OrderReturn,
    OrderStatus,
    Purchase,
    ShopMember,
    ShopReview,
    SupportTicket,
    User,
)
from otesaintjo.services import withdrawal

MemberOf = Callable[[], Awaitable[Collection[int]]]


async def manages_shop(user: User | None, shop_id: int, member_of: MemberOf) -> bool:
    """The user runs this shop (owner or team member), or is platform staff."""
    if user is None:
        return False
    return user.is_staff or shop_id in await member_of()


async def may_see_order(user: User | None, order: Order, member_of: MemberOf) -> bool:
    """An order is its customer's, its shop's merchants' and staff's; nobody else's."""
    if user is not None and user.id == order.user_id:
        return True
    return await manages_shop(user, order.shop_id, member_of)


def may_see_purchase(user: User | None, purchase: Purchase) -> bool:
    """A purchase (one payment, several shops) is its customer's and staff's only."""
    return user is not None and (user.id == purchase.user_id or user.is_staff)


# While the shop serves the order: from payment to receipt (delivered or collected).
CONTACT_WHILE = frozenset({OrderStatus.PAID, OrderStatus.READY_FOR_PICKUP, OrderStatus.SHIPPED})


async def may_see_customer_contact(
    user: User | None,
    order: Order,
    member_of: MemberOf,
    now: datetime,
    return_open: Callable[[], Awaitable[bool]],
) -> bool:
    """The customer's phone and delivery address on an order (GDPR data minimisation: a
    merchant gets only what serving the order needs). The customer and staff always; the
    shop's merchants from payment until the goods are received, then until the withdrawal
    deadline (``withdrawal.withdrawal_deadline``, L221-18), and after it only while a return
    of the order is open (requested, or received and not yet refunded). Never before payment,
    nor on a cancelled order. ``return_open`` is asked last (a query)."""
    if user is None:
        return False
    if user.id == order.user_id or user.is_staff:
        return True
    if not await manages_shop(user, order.shop_id, member_of):
        return False
    if order.status in CONTACT_WHILE:
        return True
    if order.status not in withdrawal.RECEIVED_STATUSES:
        return False
    deadline = withdrawal.withdrawal_deadline(order)
    return (deadline is not None and now <= deadline) or await return_open()


async def may_see_return(user: User | None, back: OrderReturn, member_of: MemberOf) -> bool:
    if user is not None and user.id == back.user_id:
        return True
    return await manages_shop(user, back.shop_id, member_of)


def may_see_review(user: User | None, review: ShopReview) -> bool:
    """Reviews are public until staff hide one; a hidden review is staff's only."""
    return review.hidden_at is None or (user is not None and user.is_staff)


def may_see_ticket(user: User | None, ticket: SupportTicket) -> bool:
    """A support ticket is its author's and staff's."""
    return user is not None and (user.is_staff or user.id == ticket.user_id)


def may_cancel(user: User | None, order: Order) -> bool:
    """The customer before payment (the whole purchase goes); staff at any stage, with a
    refund — once the payment is confirmed the customer can no longer cancel (FAQ)."""
    if user is None or order.status == OrderStatus.CANCELLED:
        return False
    if user.is_staff:
        return True
    return user.id == order.user_id and order.status == OrderStatus.PENDING_PAYMENT


async def may_request_return(
    user: User | None, order: Order, now: datetime, anything_left: Callable[[], Awaitable[bool]]
) -> bool:
    """The withdrawal button: the order's customer, within the withdrawal period, while some
    goods the law lets come back (L221-28) are not yet all in a return. ``anything_left`` is
    asked last (``returns.anything_left_to_return``): nobody else's order costs a query."""
    return (
        user is not None
        and user.id == order.user_id
        and withdrawal.can_request(order, now)
        and await anything_left()
    )


async def may_read_invoice(
    user: User | None, invoice: Invoice, customer_id: int | None, member_of: MemberOf
) -> bool:
    """An invoice or credit note: the order's customer (until their account is erased: a
    link made just before still names them), the shop's merchants, staff."""
    if user is not None and user.id == customer_id and user.erased_at is None:
        return True
    return await manages_shop(user, invoice.shop_id, member_of)


async def shops_run_by(session: AsyncSession, user_id: int) -> list[int]:
    rows = await session.scalars(
        select(ShopMember.shop_id).where(ShopMember.user_id == user_id).order_by(ShopMember.shop_id)
    )
    return list(rows)


def fresh_member_of(session: AsyncSession, user: User) -> MemberOf:
    """``member_of`` read from the database when asked (nothing cached)."""

    async def read() -> Collection[int]:
        return await shops_run_by(session, user.id)  # type: ignore[arg-type]

    return read


async def manages_shop_now(session: AsyncSession, user: User | None, shop_id: int) -> bool:
    """``manages_shop`` read fresh: a member removed a second ago is refused at once."""
    if user is None:
        return False
    return await manages_shop(user, shop_id, fresh_member_of(session, user))


async def may_read_invoice_now(session: AsyncSession, user: User | None, invoice: Invoice) -> bool:
    if user is None:
        return False
    customer_id = await session.scalar(select(Order.user_id).where(Order.id == invoice.order_id))
    return await may_read_invoice(user, invoice, customer_id, fresh_member_of(session, user))
