"""Live orders: ``orderPlaced``/``orderUpdated`` subscriptions and ``orderEvents`` catch-up.

A subscription listens on the bus *before* replaying from the ``order_event`` table, so nothing
falls between the two; the per-shop sequence drops what was already sent and fills any gap from
the table (events of one shop commit in sequence order). Each event carries ids only: the order
is reloaded with a fresh session and access is checked again, and the sign-in is re-checked
every ``ws_session_check_seconds``: logout, password reset or expiry closes the socket (4403).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from otesaintjo import models
from otesaintjo.auth import load_viewer
from otesaintjo.errors import DomainError
from otesaintjo.events import order_channel, shop_channel
from otesaintjo.loaders import Loaders
from otesaintjo.schema.errors import ClientError
from otesaintjo.schema.ids import decode_id
from otesaintjo.schema.orders import OrderEventType, OrderType
from otesaintjo.schema.pagination import MAX_PAGE, check_first
from otesaintjo.schema.permissions import IsAuthenticated
from otesaintjo.services import order_events, shops
from otesaintjo.services.order_events import Published

MAX_REPLAY = 500
SESSION_CLOSED = 4403

ShopArg = Annotated[
    strawberry.ID,
    strawberry.argument(description="La boutique (Shop.id) : ses commerçants et le personnel."),
]


def forbidden() -> ClientError:
    return ClientError("Cette boutique n'est pas la vôtre.", "FORBIDDEN")


def _decode(raw: strawberry.ID, type_name: str, field: str) -> int:
    try:
        return decode_id(raw, type_name, [field])
    except DomainError as error:
        raise ClientError(error.message, "BAD_USER_INPUT") from error


async def _manages(info: Info, shop_id: int) -> bool:
    """Fresh from the database (a long-lived connection must see a removed member at once)."""
    viewer = info.context.viewer
    if viewer is None:
        return False
    if viewer.user.is_staff:
        return True
    async with info.context.session_factory() as session:
        return await shops.is_member(session, viewer.user.id, shop_id)  # type: ignore[arg-type]


# token → (when it was checked, still valid): connections signed in with one token (a shop's
# app open on several screens) share one check per interval instead of one each.
_SIGN_IN_CHECKS: dict[str, tuple[float, bool]] = {}
MAX_CACHED_CHECKS = 50_000


async def _still_signed_in(info: Info) -> bool:
    ctx = info.context
    token = ctx.access_token or ""
    now = time.monotonic()
    cached = _SIGN_IN_CHECKS.get(token)
    if cached is not None and now - cached[0] < ctx.settings.ws_session_check_seconds:
        return cached[1]
    async with ctx.session_factory() as session:
        viewer = await load_viewer(session, ctx.settings.secret_key, token)
    valid = viewer is not None and viewer.user.id == ctx.viewer.user.id
    if len(_SIGN_IN_CHECKS) >= MAX_CACHED_CHECKS:
        _SIGN_IN_CHECKS.clear()
    _SIGN_IN_CHECKS[token] = (now, valid)
    return valid


async def _close_for_session(info: Info) -> None:
    with contextlib.suppress(Exception):
        await info.context.request.close(code=SESSION_CLOSED, reason="Session terminée")


async def _load_visible(info: Info, order_id: int, event_id: int | None = None) -> OrderType | None:
    """The order as it is now, if the viewer may still see it (fresh loaders: no stale cache).

    One statement per push: the order, the pushed event, and whether the viewer still runs
    the shop (a push reaches every subscriber, so its cost multiplies)."""
    ctx = info.context
    user = ctx.viewer.user
    member = (
        select(func.count())
        .select_from(models.ShopMember)
        .where(
            models.ShopMember.shop_id == models.Order.shop_id,
            models.ShopMember.user_id == user.id,
        )
        .scalar_subquery()
    )
    # A plain outer join (no aliased subquery): the statement's shape never changes, so
    # SQLAlchemy compiles it once and caches it.
    query = (
        select(models.Order, member, models.OrderEvent)
        .outerjoin(
            models.OrderEvent,
            and_(
                models.OrderEvent.id == (event_id or 0),
                models.OrderEvent.order_id == models.Order.id,
            ),
        )
        .where(models.Order.id == order_id)
    )
    async with ctx.session_factory() as session:
        row = (await session.execute(query)).first()
    if row is None:
        return None
    order, is_member, pushed = row
    if not (user.id == order.user_id or is_member or user.is_staff):
        return None
    ctx.loaders = Loaders(ctx.session_factory, ctx.now)
    return OrderType.from_row(order, pushed)


class Events:
    """The subscription's events, with the sign-in re-checked every ``interval`` seconds
    whether events flow or not: logout, password reset or expiry closes the socket."""

    def __init__(self, info: Info, queue: asyncio.Queue[Published]) -> None:
        self.info, self.queue = info, queue
        self.interval = info.context.settings.ws_session_check_seconds
        self.next_check = time.monotonic() + self.interval

    async def next(self) -> Published | None:
        while True:
            if time.monotonic() >= self.next_check:
                if not await _still_signed_in(self.info):
                    await _close_for_session(self.info)
                    return None
                self.next_check = time.monotonic() + self.interval
            try:
                return await asyncio.wait_for(
                    self.queue.get(), max(self.next_check - time.monotonic(), 0)
                )
            except TimeoutError:
                continue


@strawberry.type
class LiveQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Les événements de commande d'une boutique après « after » (pour rattraper "
        "après une reconnexion), dans l'ordre, sans trou ni doublon.",
    )
    async def order_events(
        self,
        info: Info,
        shop_id: ShopArg,
        after: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Le dernier événement reçu (OrderEvent.id, ou Order.event.id dans un"
                " abonnement) ; null : depuis le premier."
            ),
        ] = None,
        first: Annotated[
            int,
            strawberry.argument(description=f"Nombre d'événements au plus, de 0 à {MAX_PAGE}."),
        ] = 50,
    ) -> list[OrderEventType]:
        shop_pk = _decode(shop_id, "Shop", "shopId")
        if not await _manages(info, shop_pk):
            raise forbidden()
        first = check_first(first)
        async with info.context.session_factory() as session:
            after_sequence = await _after_sequence(session, shop_pk, after)
            rows = await order_events.events_after(session, shop_pk, after_sequence, first)
        return [OrderEventType.from_row(row) for row in rows]


async def _after_sequence(session: AsyncSession, shop_id: int, after: strawberry.ID | None) -> int:
    if after is None:
        return 0
    sequence = await order_events.sequence_of(
        session, shop_id, _decode(after, "OrderEvent", "after")
    )
    if sequence is None:
        raise ClientError("Événement inconnu pour cette boutique.", "BAD_USER_INPUT")
    return sequence


@strawberry.type
class LiveSubscriptions:
    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="Chaque commande payée de la boutique, à l'instant (ses commerçants). Avec "
        "« after » : d'abord celles manquées depuis cet événement.",
    )
    async def order_placed(
        self,
        info: Info,
        shop_id: ShopArg,
        after: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Le dernier événement reçu (Order.event.id) : les commandes payées"
                " depuis sont envoyées d'abord ; null : seulement les nouvelles."
            ),
        ] = None,
    ) -> AsyncGenerator[OrderType, None]:
        shop_pk = _decode(shop_id, "Shop", "shopId")
        if not await _manages(info, shop_pk):
            raise forbidden()
        hub = info.context.bus.hub
        async with hub.subscribe([shop_channel(shop_pk)]) as queue:
            events = Events(info, queue)
            session_factory = info.context.session_factory
            async with session_factory() as session:
                if after is None:
                    last = await session.scalar(
                        select(func.coalesce(func.max(models.OrderEvent.sequence), 0)).where(
                            models.OrderEvent.shop_id == shop_pk
                        )
                    )
                else:
                    last = await _after_sequence(session, shop_pk, after)
            last = int(last or 0)
            while True:
                # Replay (first time, or a gap), then wait for the next live event.
                async with session_factory() as session:
                    missed = await order_events.events_after(session, shop_pk, last, MAX_REPLAY)
                for event in missed:
                    last = event.sequence
                    if event.kind == models.OrderEventKind.PLACED:
                        order = await _load_visible(info, event.order_id, event.id)
                        if order is not None:
                            yield order
                while True:
                    published = await events.next()
                    if published is None:
                        return
                    if published.sequence <= last:
                        continue  # already sent by the replay
                    if published.sequence > last + 1:
                        break  # a gap: read it from the table
                    last = published.sequence
                    if published.kind == models.OrderEventKind.PLACED:
                        order = await _load_visible(info, published.order_id, published.event_id)
                        if order is not None:
                            yield order

    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="Chaque changement d'état de la commande (son client et sa boutique).",
    )
    async def order_updated(
        self,
        info: Info,
        order_id: Annotated[
            strawberry.ID,
            strawberry.argument(
                description="La commande (Order.id) : pour son client, les commerçants de sa"
                " boutique et le personnel."
            ),
        ],
    ) -> AsyncGenerator[OrderType, None]:
        order_pk = _decode(order_id, "Order", "orderId")
        if await _load_visible(info, order_pk) is None:
            raise ClientError("Commande introuvable.", "NOT_FOUND")
        async with info.context.bus.hub.subscribe([order_channel(order_pk)]) as queue:
            events = Events(info, queue)
            while True:
                published = await events.next()
                if published is None:
                    return
                order = await _load_visible(info, order_pk, published.event_id)
                if order is None:
                    return  # no longer visible: stop streaming
                yield order
