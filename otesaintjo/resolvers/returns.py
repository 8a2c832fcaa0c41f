"""Withdrawal: the customer asks, the shop (or staff) confirms what came back."""

from __future__ import annotations

from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from otesaintjo import models
from otesaintjo.resolvers.common import run_service
from otesaintjo.schema import returns as types
from otesaintjo.schema.ids import decode_id
from otesaintjo.schema.permissions import IsAuthenticated
from otesaintjo.services import returns


@strawberry.type
class ReturnMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Se rétracter (tout ou partie de la commande) dans les 14 jours après "
        "réception, sans motif ; après : RETURN_WINDOW_CLOSED. L'e-mail de confirmation dit "
        "comment renvoyer les articles (frais de retour à la charge du client).",
    )
    async def request_return(
        self,
        info: Info,
        input: Annotated[
            types.RequestReturnInput,
            strawberry.argument(description="La commande et les articles retournés."),
        ],
    ) -> types.ReturnPayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.OrderReturn:
            order_id = decode_id(input.order_id, "Order", ["orderId"])
            wanted = [
                returns.WantedLine(
                    decode_id(line.order_line_id, "OrderLine", ["lines", str(i), "orderLineId"]),
                    line.quantity,
                )
                for i, line in enumerate(input.lines)
            ]
            return await returns.request_return(
                session, ctx.settings, ctx.user, order_id, wanted, input.reason, ctx.now
            )

        row, errors = await run_service(info, work)
        return types.ReturnPayload(
            order_return=types.ReturnType.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="La boutique (ou le personnel) a reçu le retour : GOOD rembourse aussitôt "
        "(et reprend la part de la boutique), DAMAGED refuse le remboursement.",
    )
    async def confirm_return_received(
        self,
        info: Info,
        input: Annotated[
            types.ConfirmReturnReceivedInput,
            strawberry.argument(description="Le retour et l'état des articles reçus."),
        ],
    ) -> types.ReturnPayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.OrderReturn:
            return_id = decode_id(input.return_id, "Return", ["returnId"])
            good = input.condition == types.ReturnCondition.GOOD
            return await returns.confirm_received(
                session, ctx.settings, ctx.user, return_id, good, input.note, ctx.now
            )

        row, errors = await run_service(info, work)
        return types.ReturnPayload(
            order_return=types.ReturnType.from_row(row) if row else None, user_errors=errors
        )
