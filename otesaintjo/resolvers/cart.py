"""The cart: for a signed-in customer, or anonymous with the ``X-Cart-Token`` header."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from otesaintjo.models import Cart
from otesaintjo.resolvers.common import run_service
from otesaintjo.schema import cart as types
from otesaintjo.schema.ids import decode_id
from otesaintjo.schema.permissions import Public
from otesaintjo.services import cart as carts


def owner(info: Info) -> carts.Owner:
    viewer = info.context.viewer
    token = info.context.request.headers.get(types.CART_TOKEN_HEADER)
    return carts.Owner(viewer.user if viewer else None, token)


async def respond(
    info: Info,
    payload: type[types.CartPayload],
    work: Callable[[AsyncSession], Awaitable[tuple[Cart, str | None]]],
) -> types.CartPayload:
    """Run the change, then show the cart as it is now (amounts recomputed)."""
    ctx = info.context

    async def change_and_view(session: AsyncSession):
        cart, token = await work(session)
        return await carts.view_cart(session, ctx.settings, cart, ctx.now), token

    result, errors = await run_service(info, change_and_view)
    if result is None:
        return payload(user_errors=errors)
    view, token = result
    return payload(cart=types.CartType.from_view(view), cart_token=token)


@strawberry.type
class CartQueries:
    @strawberry.field(
        permission_classes=[Public],
        description="Le panier du client connecté, ou celui de l'en-tête X-Cart-Token.",
    )
    async def cart(self, info: Info) -> types.CartType | None:
        ctx = info.context
        async with ctx.reads() as session:
            cart = await carts.find_cart(session, owner(info))
            if cart is None:
                return None
            return types.CartType.from_view(
                await carts.view_cart(session, ctx.settings, cart, ctx.now)
            )


@strawberry.type
class CartMutations:
    @strawberry.mutation(
        permission_classes=[Public],
        description="Ajouter un produit (en ligne, dans la limite du stock, 100 lignes au plus).",
    )
    async def cart_add_item(
        self,
        info: Info,
        input: Annotated[
            types.CartAddItemInput,
            strawberry.argument(description="Le produit et la quantité à ajouter."),
        ],
    ) -> types.CartAddItemPayload:
        async def work(session: AsyncSession):
            product_id = decode_id(input.product_id, "Product", ["productId"])
            return await carts.add_item(
                session, owner(info), product_id, input.quantity, info.context.now
            )

        return await respond(info, types.CartAddItemPayload, work)  # type: ignore[return-value]

    @strawberry.mutation(permission_classes=[Public], description="Changer une quantité.")
    async def cart_update_item(
        self,
        info: Info,
        input: Annotated[
            types.CartUpdateItemInput,
            strawberry.argument(description="Le produit et sa nouvelle quantité."),
        ],
    ) -> types.CartUpdateItemPayload:
        async def work(session: AsyncSession):
            product_id = decode_id(input.product_id, "Product", ["productId"])
            return await carts.update_item(
                session, owner(info), product_id, input.quantity, info.context.now
            ), None

        return await respond(info, types.CartUpdateItemPayload, work)  # type: ignore[return-value]

    @strawberry.mutation(permission_classes=[Public], description="Retirer un produit.")
    async def cart_remove_item(
        self,
        info: Info,
        input: Annotated[
            types.CartRemoveItemInput, strawberry.argument(description="Le produit à retirer.")
        ],
    ) -> types.CartRemoveItemPayload:
        async def work(session: AsyncSession):
            product_id = decode_id(input.product_id, "Product", ["productId"])
            return await carts.remove_item(session, owner(info), product_id, info.context.now), None

        return await respond(info, types.CartRemoveItemPayload, work)  # type: ignore[return-value]

    @strawberry.mutation(
        permission_classes=[Public],
        description="Choisir, pour une boutique, le retrait ou la livraison (transporteur).",
    )
    async def cart_set_fulfilment(
        self,
        info: Info,
        input: Annotated[
            types.CartSetFulfilmentInput,
            strawberry.argument(
                description="La boutique, le mode (retrait ou livraison) et le transporteur."
            ),
        ],
    ) -> types.CartSetFulfilmentPayload:
        settings = info.context.settings

        async def work(session: AsyncSession):
            shop_id = decode_id(input.shop_id, "Shop", ["shopId"])
            cart = await carts.set_fulfilment(
                session,
                settings,
                owner(info),
                shop_id,
                input.mode.value,
                input.carrier.value if input.carrier else None,
                input.postcode,
                info.context.now,
            )
            return cart, None

        return await respond(info, types.CartSetFulfilmentPayload, work)  # type: ignore[return-value]

    @strawberry.mutation(
        permission_classes=[Public],
        description="Indiquer le code postal de livraison : chaque boutique du panier liste"
        " alors ses modes de livraison (transporteur, frais, délai) avant tout choix.",
    )
    async def cart_set_delivery_postcode(
        self,
        info: Info,
        input: Annotated[
            types.CartSetDeliveryPostcodeInput,
            strawberry.argument(description="Le code postal de livraison."),
        ],
    ) -> types.CartSetDeliveryPostcodePayload:
        ctx = info.context
        return await respond(  # type: ignore[return-value]
            info,
            types.CartSetDeliveryPostcodePayload,
            lambda session: carts.set_delivery_postcode(
                session, ctx.settings, owner(info), input.postcode, ctx.now
            ),
        )

    @strawberry.mutation(
        permission_classes=[Public],
        description="Choisir le créneau où le commerçant livre sa part du panier (l'un de"
        " CartShop.deliverySlots) ; la place n'est prise qu'au checkout.",
    )
    async def cart_set_delivery_slot(
        self,
        info: Info,
        input: Annotated[
            types.CartSetDeliverySlotInput,
            strawberry.argument(description="La boutique, le créneau et sa date."),
        ],
    ) -> types.CartSetDeliverySlotPayload:
        ctx = info.context

        async def work(session: AsyncSession):
            shop_id = decode_id(input.shop_id, "Shop", ["shopId"])
            slot_id = decode_id(input.slot_id, "DeliverySlot", ["slotId"])
            cart = await carts.set_delivery_slot(
                session, ctx.settings, owner(info), shop_id, slot_id, input.date, ctx.now
            )
            return cart, None

        return await respond(info, types.CartSetDeliverySlotPayload, work)  # type: ignore[return-value]
