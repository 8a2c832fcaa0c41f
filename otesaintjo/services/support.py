"""Customer service: tickets from customers and merchants, answered by staff; support hours.

Support is open Monday to Friday, 10:00–18:00 in La Réunion, except the island's public
holidays (the ``holidays`` library's France/RE calendar, which has 20 December).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.clock import REUNION
from otesaintjo.errors import DomainError, ErrorCode, not_found
from otesaintjo.models import Order, SupportTicket, TicketMessage, TicketStatus, User
from otesaintjo.services import access, audit, pages
from otesaintjo.services.outbox import queue_email
from otesaintjo.services.reunion_calendar import is_working_day
from otesaintjo.services.validation import clean_text
from otesaintjo.settings import Settings

OPENS, CLOSES = time(10, 0), time(18, 0)
HOURS_TEXT = (
    "Du lundi au vendredi, 10 h – 18 h (heure de La Réunion), sauf jours fériés de La Réunion"
    " (dont le 20 décembre)."
)


@dataclass(frozen=True)
class SupportStatus:
    open_now: bool
    next_opening: datetime


def support_status(now: datetime) -> SupportStatus:
    local = now.astimezone(REUNION)
    day = local.date()
    for offset in range(0, 15):
        candidate = day + timedelta(days=offset)
        if not is_working_day(candidate):
            continue
        opens = datetime.combine(candidate, OPENS, REUNION)
        closes = datetime.combine(candidate, CLOSES, REUNION)
        if offset == 0 and opens <= local < closes:
            return SupportStatus(True, opens)
        if local < opens:
            return SupportStatus(False, opens)
    raise AssertionError("no opening within 15 days")  # pragma: no cover


async def open_ticket(
    session: AsyncSession, user: User, subject: str, message: str, order_id: int | None
) -> SupportTicket:
    """From a customer or a merchant; an order named must be one they may see."""
    if order_id is not None:
        order = await session.get(Order, order_id)
        if order is None or not await access.may_see_order(
            user, order, access.fresh_member_of(session, user)
        ):
            raise not_found("orderId")
    ticket = SupportTicket(
        user_id=user.id,  # type: ignore[arg-type]
        order_id=order_id,
        subject=clean_text(subject, ["subject"], max_length=200),
    )
    session.add(ticket)
    await session.flush()
    session.add(
        TicketMessage(
            ticket_id=ticket.id,  # type: ignore[arg-type]
            author_id=user.id,  # type: ignore[arg-type]
            body=clean_text(message, ["message"], max_length=5000),
        )
    )
    return ticket


async def _ticket(session: AsyncSession, ticket_id: int) -> SupportTicket:
    ticket = await session.get(SupportTicket, ticket_id)
    if ticket is None:
        raise not_found("ticketId")
    return ticket


async def answer(
    session: AsyncSession, settings: Settings, staff: User, ticket_id: int, text: str
) -> SupportTicket:
    """Staff answer (audited); the author gets it by email."""
    ticket = await _ticket(session, ticket_id)
    audit.record(session, staff, "answer_ticket", "SupportTicket", ticket_id)
    if ticket.status == TicketStatus.CLOSED:
        raise DomainError(ErrorCode.TICKET_CLOSED, "Ce ticket est fermé.", ["ticketId"])
    body = clean_text(text, ["message"], max_length=5000)
    session.add(
        TicketMessage(
            ticket_id=ticket.id,  # type: ignore[arg-type]
            author_id=staff.id,  # type: ignore[arg-type]
            from_staff=True,
            body=body,
        )
    )
    ticket.status = TicketStatus.ANSWERED
    author = await session.get(User, ticket.user_id)
    assert author is not None
    queue_email(
        session,
        "ticket_answered",
        author.email,
        first_name=author.first_name,
        ticket=ticket,
        answer=body,
        support_email=settings.support_email,
    )
    await session.flush()
    return ticket


async def close(session: AsyncSession, staff: User, ticket_id: int, now: datetime) -> SupportTicket:
    """Staff close a ticket (audited)."""
    ticket = await _ticket(session, ticket_id)
    audit.record(session, staff, "close_ticket", "SupportTicket", ticket_id)
    closed = await session.execute(
        update(SupportTicket)
        .where(SupportTicket.id == ticket.id, SupportTicket.status != TicketStatus.CLOSED)
        .values(status=TicketStatus.CLOSED, closed_at=now)
    )
    if closed.rowcount != 1:  # type: ignore[attr-defined]
        raise DomainError(ErrorCode.TICKET_CLOSED, "Ce ticket est déjà fermé.", ["ticketId"])
    await session.refresh(ticket)
    return ticket


async def tickets_page(
    factory: pages.Factory,
    *,
    user_id: int | None = None,
    status: str | None = None,
    limit: int,
    after: str | None,
) -> pages.Page:
    """Tickets newest first: one user's, or every ticket for staff (optionally by status)."""
    conditions = []
    if user_id is not None:
        conditions.append(SupportTicket.user_id == user_id)
    if status is not None:
        conditions.append(SupportTicket.status == status)
    return await pages.newest_first(factory, SupportTicket, conditions, limit=limit, after=after)
