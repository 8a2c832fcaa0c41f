"""Live orders over WebSocket: ``orderPlaced``/``orderUpdated``, and ``orderEvents`` catch-up.

The protocol (replay then live, sequence de-duplication, access re-checked at each push, the
sign-in re-checked on schedule) is ``services.live_orders``; here: ids, permission, mapping,
and closing the socket (4403) when the sign-in is gone.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Annotated

import strawberry
from strawberry.types import Info

from otesaintjo.errors import DomainError
from otesaintjo.schema.errors import ClientError
from otesaintjo.schema.ids import decode_id
from otesaintjo.schema.orders import OrderEventType, OrderType
from otesaintjo.schema.pagination import MAX_PAGE, check_first
from otesaintjo.schema.permissions import IsAuthenticated
from otesaintjo.services import live_orders

SESSION_CLOSED = 4403

ShopArg = Annotated[
    strawberry.ID,
    strawberry.argument(description="La boutique (Shop.id) : ses commerçants et le personnel."),
]


def forbidden() -> ClientError:
    return ClientError("Cette boutique n'est pas la vôtre.", "FORBIDDEN")


def _decode(raw: strawberry.ID | None, type_name: str, field: str) -> int | None:
    if raw is None:
        return None
    try:
        return decode_id(raw, type_name, [field])
    except DomainError as error:
        raise ClientError(error.message, "BAD_USER_INPUT") from error


async def _as_types(info: Info, pushed: AsyncIterator[live_orders.Pushed]):
    """Each pushed order as the API shows it, read with fresh loaders (no stale cache); when
    the sign-in ends, the socket closes with 4403 (every subscription of the socket ends)."""
    try:
        async for order, event in pushed:
            info.context.loaders.forget()
            yield OrderType.from_row(order, event)
    except live_orders.SignInGone:
        with contextlib.suppress(Exception):
            await info.context.request.close(code=SESSION_CLOSED, reason="Session terminée")


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
        ctx = info.context
        shop_pk = _decode(shop_id, "Shop", "shopId")
        if not await live_orders.may_follow_shop(ctx.session_factory, ctx.user, shop_pk):
            raise forbidden()
        after_pk = _decode(after, "OrderEvent", "after")
        try:
            rows = await live_orders.events_after(
                ctx.session_factory, shop_pk, after_pk, check_first(first)
            )
        except live_orders.UnknownEvent as exc:
            raise ClientError("Événement inconnu pour cette boutique.", "BAD_USER_INPUT") from exc
        return [OrderEventType.from_row(row) for row in rows]


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
                " depuis sont envoyées d'abord ; null : seulement les nouvelles (voir fromFirst)."
            ),
        ] = None,
        from_first: Annotated[
            bool,
            strawberry.argument(
                description="Sans « after » : true envoie d'abord toutes les commandes payées "
                "depuis le premier événement de la boutique — pour un écran qui n'en a encore "
                "vu aucun (une commande payée pendant l'ouverture de l'abonnement n'est pas "
                "perdue) ; false : seulement les nouvelles."
            ),
        ] = False,
    ) -> AsyncGenerator[OrderType, None]:
        ctx = info.context
        shop_pk = _decode(shop_id, "Shop", "shopId")
        if from_first and after is not None:
            raise ClientError("« after » ou « fromFirst », pas les deux.", "BAD_USER_INPUT")
        if not await live_orders.may_follow_shop(ctx.session_factory, ctx.user, shop_pk):
            raise forbidden()
        pushed = live_orders.placed_orders(
            ctx.push_reads,
            ctx.bus.hub,
            ctx.user,
            shop_pk,
            _decode(after, "OrderEvent", "after"),
            ctx.sign_in_checks,
            ctx.access_token or "",
            from_first=from_first,
        )
        try:
            async for order in _as_types(info, pushed):
                yield order
        except live_orders.UnknownEvent as exc:
            raise ClientError("Événement inconnu pour cette boutique.", "BAD_USER_INPUT") from exc

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
        ctx = info.context
        order_pk = _decode(order_id, "Order", "orderId")
        if await live_orders.load_visible(ctx.session_factory, ctx.user, order_pk) is None:
            raise ClientError("Commande introuvable.", "NOT_FOUND")
        pushed = live_orders.order_updates(
            ctx.push_reads,
            ctx.bus.hub,
            ctx.user,
            order_pk,
            ctx.sign_in_checks,
            ctx.access_token or "",
        )
        async for order in _as_types(info, pushed):
            yield order
