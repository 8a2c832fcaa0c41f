"""The owner's mutations on the shop's team (a shop may be run by several people)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from otesaintjo.resolvers.common import payload_of, run_service
from otesaintjo.schema import merchant_inputs as inputs
from otesaintjo.schema.ids import decode_id
from otesaintjo.schema.permissions import IsAuthenticated
from otesaintjo.schema.shops import ShopType
from otesaintjo.services import shops


@strawberry.type
class ShopTeamMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Ajouter un équipier (un compte existant) ; réservé au gérant.",
    )
    async def add_shop_member(
        self,
        info: Info,
        input: Annotated[
            inputs.AddShopMemberInput,
            strawberry.argument(description="La boutique et le compte à y ajouter."),
        ],
    ) -> inputs.AddShopMemberPayload:
        user = info.context.viewer.user

        async def work(session: AsyncSession):
            shop_id = decode_id(input.shop_id, "Shop", ["shopId"])
            return await shops.add_member(session, user, shop_id, input.email)

        shop, errors = await run_service(info, work)
        return payload_of(inputs.AddShopMemberPayload, "shop", shop, errors, ShopType.from_row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Retirer un membre de l'équipe ; la boutique garde toujours un gérant.",
    )
    async def remove_shop_member(
        self,
        info: Info,
        input: Annotated[
            inputs.RemoveShopMemberInput,
            strawberry.argument(description="La boutique et le membre à retirer."),
        ],
    ) -> inputs.RemoveShopMemberPayload:
        user = info.context.viewer.user

        async def work(session: AsyncSession):
            shop_id = decode_id(input.shop_id, "Shop", ["shopId"])
            member_id = decode_id(input.user_id, "User", ["userId"])
            return await shops.remove_member(session, user, shop_id, member_id)

        shop, errors = await run_service(info, work)
        return payload_of(inputs.RemoveShopMemberPayload, "shop", shop, errors, ShopType.from_row)
