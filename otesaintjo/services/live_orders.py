"""Live orders: what ``orderPlaced`` and ``orderUpdated`` stream, and ``orderEvents`` reads.

The protocol, whatever the transport: a subscription listens on the bus *before* replaying
from the ``order_event`` table, so nothing falls between the two; the per-shop sequence drops
what was already sent and fills any gap from the table (a shop's events commit in sequence
order). Each event carries ids only: the order is reloaded with a fresh session and access is
checked again (``services.access``), and the sign-in is re-checked every ``interval`` seconds
whether events flow or not: logout, password reset or expiry ends the stream.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otesaintjo.auth import load_viewer
from otesaintjo.events import LocalHub, Published, order_channel, shop_channel
from otesaintjo.models import Order, OrderEvent, OrderEventKind, ShopMember, User
from otesaintjo.services import access, order_events

Factory = async_sessionmaker[AsyncSession]
MAX_REPLAY = 500
Pushed = tuple[Order, OrderEvent | None]


class UnknownEvent(LookupError):
    """``after`` names no event of this shop."""


@dataclass
class SignInChecks:
    """Whether a token's sign-in is still alive, checked at most once per ``interval`` for
    all the connections that share it (a shop's board open on several screens)."""

    factory: Factory
    secret_key: str
    interval: float
    max_entries: int = 50_000
    _checked: dict[str, tuple[float, int | None]] = field(default_factory=dict)

    async def still_signed_in(self, token: str, user_id: int) -> bool:
        now = time.monotonic()
        cached = self._checked.get(token)
        if cached is None or now - cached[0] >= self.interval:
            async with self.factory() as session:
                viewer = await load_viewer(session, self.secret_key, token)
            if len(self._checked) >= self.max_entries:
                self._checked.clear()
            cached = (now, viewer.user.id if viewer else None)
            self._checked[token] = cached
        return cached[1] == user_id


SignedIn = Callable[[], Awaitable[bool]]


class _Events:
    """A subscription's bus events, ending when the sign-in is gone."""

    def __init__(self, queue: asyncio.Queue[Published], signed_in: SignedIn, interval: float):
        self.queue, self.signed_in, self.interval = queue, signed_in, interval
        self.next_check = time.monotonic() + interval

    async def next(self) -> Published | None:
        while True:
            if time.monotonic() >= self.next_check:
                if not await self.signed_in():
                    return None
                self.next_check = time.monotonic() + self.interval
            try:
                return await asyncio.wait_for(
                    self.queue.get(), max(self.next_check - time.monotonic(), 0)
                )
            except TimeoutError:
                continue


async def load_visible(
    factory: Factory, user: User, order_id: int, event_id: int | None = None
) -> Pushed | None:
    """The order as it is now with its pushed event, if ``user`` may still see it.

    One statement per push (its cost multiplies by the subscribers): the order, the pushed
    event, and whether the user runs its shop; a plain outer join, so SQLAlchemy compiles it
    once and caches it."""
    member = (
        select(func.count())
        .select_from(ShopMember)
        .where(ShopMember.shop_id == Order.shop_id, ShopMember.user_id == user.id)
        .scalar_subquery()
    )
    query = (
        select(Order, member, OrderEvent)
        .outerjoin(
            OrderEvent,
            and_(OrderEvent.id == (event_id or 0), OrderEvent.order_id == Order.id),
        )
        .where(Order.id == order_id)
    )
    async with factory() as session:
        row = (await session.execute(query)).first()
    if row is None:
        return None
    order, is_member, pushed = row

    async def member_of() -> list[int]:
        return [order.shop_id] if is_member else []

    return (order, pushed) if await access.may_see_order(user, order, member_of) else None


async def may_follow_shop(factory: Factory, user: User, shop_id: int) -> bool:
    """Fresh from the database: a member removed a second ago is refused at once."""
    async with factory() as session:
        return await access.manages_shop_now(session, user, shop_id)


async def _after_sequence(session: AsyncSession, shop_id: int, after_event_id: int | None) -> int:
    if after_event_id is None:
        return 0
    sequence = await order_events.sequence_of(session, shop_id, after_event_id)
    if sequence is None:
        raise UnknownEvent(after_event_id)
    return sequence


async def events_after(
    factory: Factory, shop_id: int, after_event_id: int | None, limit: int
) -> list[OrderEvent]:
    """``orderEvents``: a shop's events after one of them, oldest first."""
    async with factory() as session:
        after = await _after_sequence(session, shop_id, after_event_id)
        return await order_events.events_after(session, shop_id, after, limit)


async def placed_orders(
    factory: Factory,
    hub: LocalHub,
    user: User,
    shop_id: int,
    after_event_id: int | None,
    signed_in: SignedIn,
    interval: float,
) -> AsyncIterator[Pushed]:
    """The shop's newly paid orders: the missed ones after ``after_event_id`` first (none
    when it is None: only new ones), then live; each once, in sequence order."""
    async with hub.subscribe([shop_channel(shop_id)]) as queue:
        events = _Events(queue, signed_in, interval)
        async with factory() as session:
            if after_event_id is None:
                last = await session.scalar(
                    select(func.coalesce(func.max(OrderEvent.sequence), 0)).where(
                        OrderEvent.shop_id == shop_id
                    )
                )
            else:
                last = await _after_sequence(session, shop_id, after_event_id)
        last = int(last or 0)
        while True:
            # Replay (first time, or a gap), then wait for the next live event.
            async with factory() as session:
                missed = await order_events.events_after(session, shop_id, last, MAX_REPLAY)
            for event in missed:
                last = event.sequence
                if event.kind == OrderEventKind.PLACED:
                    visible = await load_visible(factory, user, event.order_id, event.id)
                    if visible is not None:
                        yield visible
            while True:
                published = await events.next()
                if published is None:
                    return
                if published.sequence <= last:
                    continue  # already sent by the replay
                if published.sequence > last + 1:
                    break  # a gap: read it from the table
                last = published.sequence
                if published.kind == OrderEventKind.PLACED:
                    visible = await load_visible(
                        factory, user, published.order_id, published.event_id
                    )
                    if visible is not None:
                        yield visible


async def order_updates(
    factory: Factory,
    hub: LocalHub,
    user: User,
    order_id: int,
    signed_in: SignedIn,
    interval: float,
) -> AsyncIterator[Pushed]:
    """Each change of one order, while ``user`` may see it."""
    async with hub.subscribe([order_channel(order_id)]) as queue:
        events = _Events(queue, signed_in, interval)
        while True:
            published = await events.next()
            if published is None:
                return
            visible = await load_visible(factory, user, order_id, published.event_id)
            if visible is None:
                return  # no longer visible: stop streaming
            yield visible
