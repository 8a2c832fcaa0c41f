"""Merchant mutations of delivery slots: publish, change, withdraw (the shop's merchants)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from otesaintjo.resolvers.common import payload_of, run_service
from otesaintjo.schema import delivery_slots as types
from otesaintjo.schema.ids import decode_id
from otesaintjo.schema.permissions import IsAuthenticated
from otesaintjo.schema.shops import ShopType
from otesaintjo.services import delivery_slots


@strawberry.type
class DeliverySlotMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Publier un créneau de livraison hebdomadaire (boutique qui livre"
        " elle-même) : jour, horaire, capacité, heure limite de réservation.",
    )
    async def create_delivery_slot(
        self,
        info: Info,
        input: Annotated[
            types.CreateDeliverySlotInput,
            strawberry.argument(description="La boutique et le créneau."),
        ],
    ) -> types.CreateDeliverySlotPayload:
        user, now = info.context.viewer.user, info.context.now

        async def work(session: AsyncSession):
            shop_id = decode_id(input.shop_id, "Shop", ["shopId"])
            data = delivery_slots.SlotInput(
                weekday=input.day.value,
                starts=input.starts,
                ends=input.ends,
                capacity=input.capacity,
                cutoff_hours=input.cutoff_hours,
            )
            return await delivery_slots.create_slot(session, user, shop_id, data, now)

        slot, errors = await run_service(info, work)
        return payload_of(
            types.CreateDeliverySlotPayload,
            "delivery_slot",
            slot,
            errors,
            types.DeliverySlotType.from_row,
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Modifier un créneau de livraison (les commandes passées gardent le leur).",
    )
    async def update_delivery_slot(
        self,
        info: Info,
        input: Annotated[
            types.UpdateDeliverySlotInput,
            strawberry.argument(description="Le créneau et les champs à changer."),
        ],
    ) -> types.UpdateDeliverySlotPayload:
        user, now = info.context.viewer.user, info.context.now

        async def work(session: AsyncSession):
            slot_id = decode_id(input.slot_id, "DeliverySlot", ["slotId"])
            changes = delivery_slots.SlotChanges(
                weekday=input.day.value if input.day else None,
                starts=input.starts,
                ends=input.ends,
                capacity=input.capacity,
                cutoff_hours=input.cutoff_hours,
            )
            return await delivery_slots.update_slot(session, user, slot_id, changes, now)

        slot, errors = await run_service(info, work)
        return payload_of(
            types.UpdateDeliverySlotPayload,
            "delivery_slot",
            slot,
            errors,
            types.DeliverySlotType.from_row,
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Retirer un créneau de livraison (les commandes passées gardent le leur).",
    )
    async def delete_delivery_slot(
        self,
        info: Info,
        input: Annotated[
            types.DeleteDeliverySlotInput, strawberry.argument(description="Le créneau.")
        ],
    ) -> types.DeleteDeliverySlotPayload:
        user, now = info.context.viewer.user, info.context.now

        async def work(session: AsyncSession):
            slot_id = decode_id(input.slot_id, "DeliverySlot", ["slotId"])
            return await delivery_slots.delete_slot(session, user, slot_id, now)

        shop, errors = await run_service(info, work)
        return payload_of(types.DeleteDeliverySlotPayload, "shop", shop, errors, ShopType.from_row)
