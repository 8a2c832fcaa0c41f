"""Live orders: what ``orderPlaced`` and ``orderUpdated`` stream, and ``orderEvents`` reads.

The protocol, whatever the transport: a subscription listens on the bus *before* replaying
from the ``order_event`` table, so nothing falls between the two; the per-shop sequence drops
what was already sent and fills any gap from the table (a shop's events commit in sequence
order). Each event carries ids only: the order is reloaded after the event (once per event
and process, ``PushReads``) and access is checked again for each subscriber
(``services.access``); the sign-ins are re-checked every ``interval`` seconds, all of a
process's at once (``SignInChecks``), whether events flow or not: logout, password reset or
expiry ends the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import structlog
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otesaintjo.auth import live_sign_ins
from otesaintjo.events import LocalHub, Mailbox, Published, order_channel, shop_channel
from otesaintjo.models import Order, OrderEvent, OrderEventKind, ShopMember, User
from otesaintjo.services import access, order_events

log = structlog.get_logger(__name__)
Factory = async_sessionmaker[AsyncSession]
MAX_REPLAY = 500
Pushed = tuple[Order, OrderEvent | None]


class UnknownEvent(LookupError):
    """``after`` names no event of this shop."""


class SignInGone(Exception):
    """The subscriber's sign-in ended (logout, password reset, expiry): its stream stops."""


class _Holder:
    """One subscription waiting on a token's sign-in, while its block runs; ``gone`` tells it
    the sign-in ended."""

    __slots__ = ("checks", "gone", "token", "user_id")

    def __init__(
        self, checks: SignInChecks, token: str, user_id: int, gone: Callable[[], None]
    ) -> None:
        self.checks, self.token, self.user_id, self.gone = checks, token, user_id, gone

    def __enter__(self) -> None:
        self.checks._hold(self)

    def __exit__(self, *_exc: object) -> None:
        self.checks._release(self)


@dataclass
class SignInChecks:
    """Whether the sign-ins behind this process's live subscriptions are still alive: one
    batched read every ``interval`` seconds for every token held (``auth.live_sign_ins``),
    however many sockets share each, and those whose sign-in ended are told at once.

    Nothing wakes per socket between two checks (1,000 idle sockets cost one statement per
    interval, not 1,000 timers), and a logout still ends its sockets within the interval."""

    factory: Factory
    secret_key: str
    interval: float
    _held: dict[str, set[_Holder]] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None

    def watch(self, token: str, user_id: int, gone: Callable[[], None]) -> _Holder:
        """``with checks.watch(...)``: while the block runs, ``gone()`` is called once the
        sign-in of ``token`` (made by ``user_id``) has ended."""
        return _Holder(self, token, user_id, gone)

    def _hold(self, holder: _Holder) -> None:
        self._held.setdefault(holder.token, set()).add(holder)
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="otesaintjo-sign-in-checks"
            )

    def _release(self, holder: _Holder) -> None:
        holders = self._held.get(holder.token)
        if holders is not None:
            holders.discard(holder)
            if not holders:
                del self._held[holder.token]

    async def _run(self) -> None:
        try:
            while self._held:
                await asyncio.sleep(self.interval)
                try:
                    await self.check_now()
                except Exception:  # the database away: check again next time, close nothing
                    log.warning("live subscriptions: the sign-in check failed", exc_info=True)
        finally:
            self._task = None

    async def check_now(self) -> None:
        tokens = list(self._held)
        if not tokens:
            return
        async with self.factory() as session:
            alive = await live_sign_ins(session, self.secret_key, tokens)
        for token in tokens:
            for holder in list(self._held.get(token, ())):
                if alive.get(token) != holder.user_id:
                    holder.gone()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@dataclass
class PushReads:
    """What a push shows, read once per event for every subscriber it wakes in this process.

    The order, the pushed event and the members of its shop in one statement, made after the
    event was published (so at least as new as the event), kept ``keep_seconds`` for the
    subscribers that wake later; each subscriber's access is then decided on it
    (``access.may_see_order``). 20 screens of a shop cost one read, not 20."""

    factory: Factory
    keep_seconds: float = 1.0
    _reads: dict[tuple[int, int], tuple[float, asyncio.Task[_Read | None]]] = field(
        default_factory=dict
    )

    async def visible(self, user: User, order_id: int, event_id: int) -> Pushed | None:
        read = await self._read(order_id, event_id)
        if read is None:
            return None
        order, pushed, members = read

        async def member_of() -> list[int]:
            return [order.shop_id] if user.id in members else []

        return (order, pushed) if await access.may_see_order(user, order, member_of) else None

    async def _read(self, order_id: int, event_id: int) -> _Read | None:
        now = time.monotonic()
        key = (order_id, event_id)
        kept = self._reads.get(key)
        if kept is None or (kept[1].done() and now - kept[0] > self.keep_seconds):
            self._forget_old(now)
            task = asyncio.get_running_loop().create_task(self._load(order_id, event_id))
            task.add_done_callback(self._drop_failed(key))
            kept = self._reads[key] = (now, task)
        # Shielded: a subscriber that goes away does not cancel the read of the others.
        return await asyncio.shield(kept[1])

    def _drop_failed(self, key: tuple[int, int]) -> Callable[[asyncio.Task[_Read | None]], None]:
        def drop(task: asyncio.Task[_Read | None]) -> None:
            if task.cancelled() or task.exception() is not None:
                kept = self._reads.get(key)
                if kept is not None and kept[1] is task:
                    del self._reads[key]

        return drop

    def _forget_old(self, now: float) -> None:
        old = [
            key
            for key, (at, task) in self._reads.items()
            if task.done() and now - at > self.keep_seconds
        ]
        for key in old:
            del self._reads[key]

    async def _load(self, order_id: int, event_id: int) -> _Read | None:
        query = (
            select(Order, OrderEvent, ShopMember.user_id)
            .outerjoin(OrderEvent, and_(OrderEvent.id == event_id, OrderEvent.order_id == Order.id))
            .outerjoin(ShopMember, ShopMember.shop_id == Order.shop_id)
            .where(Order.id == order_id)
        )
        async with self.factory() as session:
            rows = (await session.execute(query)).all()
        if not rows:
            return None
        order, pushed = rows[0][0], rows[0][1]
        return order, pushed, frozenset(row[2] for row in rows if row[2] is not None)


_Read = tuple[Order, OrderEvent | None, frozenset[int]]


class _Events:
    """A subscription's bus events; ``None`` in its queue means its sign-in ended."""

    def __init__(self, queue: Mailbox) -> None:
        self.queue = queue

    async def next(self) -> Published:
        published = await self.queue.get()
        if published is None:
            raise SignInGone
        return published

    def sign_in_gone(self) -> None:
        self.queue.put_nowait(None)


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
    reads: PushReads,
    hub: LocalHub,
    user: User,
    shop_id: int,
    after_event_id: int | None,
    sign_ins: SignInChecks,
    token: str,
    *,
    from_first: bool = False,
) -> AsyncIterator[Pushed]:
    """The shop's newly paid orders: the missed ones after ``after_event_id`` first (all of
    them with ``from_first``; none when it is None: only those paid from now on), then live;
    each once, in sequence order. Raises ``SignInGone`` once the sign-in of ``token`` has
    ended.

    "From now on" is when this reads the shop's last event, which a client cannot see: an
    order paid while its subscription was on its way counts as old. A screen that has seen
    none of the shop's events asks ``from_first`` and loses nothing."""
    factory = reads.factory
    async with hub.subscribe([shop_channel(shop_id)]) as queue:
        events = _Events(queue)
        with sign_ins.watch(token, user.id, events.sign_in_gone):
            async with factory() as session:
                if after_event_id is None and not from_first:
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
                        visible = await reads.visible(user, event.order_id, event.id)
                        if visible is not None:
                            yield visible
                if len(missed) == MAX_REPLAY:
                    continue  # more missed than one read returns: read on before going live
                while True:
                    published = await events.next()
                    if published.sequence <= last:
                        continue  # already sent by the replay
                    if published.sequence > last + 1:
                        break  # a gap: read it from the table
                    last = published.sequence
                    if published.kind == OrderEventKind.PLACED:
                        visible = await reads.visible(user, published.order_id, published.event_id)
                        if visible is not None:
                            yield visible


async def order_updates(
    reads: PushReads,
    hub: LocalHub,
    user: User,
    order_id: int,
    sign_ins: SignInChecks,
    token: str,
) -> AsyncIterator[Pushed]:
    """Each change of one order, while ``user`` may see it. Raises ``SignInGone`` once the
    sign-in of ``token`` has ended."""
    async with hub.subscribe([order_channel(order_id)]) as queue:
        events = _Events(queue)
        with sign_ins.watch(token, user.id, events.sign_in_gone):
            while True:
                published = await events.next()
                visible = await reads.visible(user, order_id, published.event_id)
                if visible is None:
                    return  # no longer visible: stop streaming
                yield visible
