"""Checkout, payment confirmation, the order steps, cancellation, and shop payouts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from otesaintjo import models
from otesaintjo.resolvers.common import read_upload, run_action, run_service
from otesaintjo.schema import orders as types
from otesaintjo.schema.ids import decode_id
from otesaintjo.schema.permissions import IsAuthenticated, Public
from otesaintjo.services import checkout as checkouts
from otesaintjo.services import orders, payouts

OrderStep = Callable[[AsyncSession, models.Order], Awaitable[models.Order]]


async def run_step(
    info: Info, raw_id: strawberry.ID, action: str, step: OrderStep
) -> types.OrderPayload:
    """A merchant's step on an order, through the service's door (access and audit)."""
    user = info.context.user

    async def work(session: AsyncSession) -> models.Order:
        order_id = decode_id(raw_id, "Order", ["orderId"])
        return await step(session, await orders.order_for_merchant(session, user, order_id, action))

    order, errors = await run_service(info, work)
    return types.OrderPayload(
        order=types.OrderType.from_row(order) if order else None, user_errors=errors
    )


@strawberry.type
class OrderQueries:
    @strawberry.field(
        permission_classes=[Public],
        description="Une commande par son numéro (« FOU-0007 »), pour son client, les"
        " commerçants de sa boutique et le personnel ; null pour tout autre.",
    )
    async def order(
        self,
        info: Info,
        number: Annotated[str, strawberry.argument(description="Son numéro lisible.")],
    ) -> types.OrderType | None:
        wanted = number.strip().upper()
        if len(wanted) > 20:
            return None
        row = await info.context.loaders.order_by_number.load(wanted)
        return (
            types.OrderType.from_row(row) if row and await types.can_see_order(info, row) else None
        )


@strawberry.type
class OrderMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Passer commande : réserve le stock, crée une commande par boutique et le "
        "paiement Stripe (clientSecret). Non payé en 30 minutes : annulé, stock libéré.",
    )
    async def checkout(
        self,
        info: Info,
        input: Annotated[
            types.CheckoutInput,
            strawberry.argument(
                description="La clé d'idempotence, le téléphone et, pour une livraison, l'adresse."
            ),
        ],
    ) -> types.CheckoutPayload:
        ctx = info.context
        address = input.address
        request = checkouts.CheckoutRequest(
            idempotency_key=input.idempotency_key,
            contact_phone=input.contact_phone,
            address=checkouts.Address(address.street, address.postcode, address.town)
            if address
            else None,
        )
        placed, errors = await run_action(
            info,
            lambda: checkouts.checkout_placed(
                ctx.unit_of_work,
                ctx.payment_flow().gateway,
                ctx.settings,
                ctx.user,
                request,
                ctx.now,
            ),
        )
        if placed is not None:
            types.prime_placed(info, placed)
        return types.CheckoutPayload(
            purchase=types.PurchaseType.from_row(placed.purchase) if placed else None,
            user_errors=errors,
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Demander où en est le paiement (relu chez Stripe) ; idempotent.",
    )
    async def confirm_payment(
        self,
        info: Info,
        input: Annotated[
            types.ConfirmPaymentInput,
            strawberry.argument(description="L'achat dont relire le paiement."),
        ],
    ) -> types.ConfirmPaymentPayload:
        ctx = info.context

        async def confirm() -> models.Purchase:
            purchase_id = decode_id(input.purchase_id, "Purchase", ["purchaseId"])
            return await ctx.payment_flow().confirm(ctx.user, purchase_id)

        purchase, errors = await run_action(info, confirm)
        return types.ConfirmPaymentPayload(
            purchase=types.PurchaseType.from_row(purchase) if purchase else None,
            user_errors=errors,
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Retrait : la commande est prête ; le client reçoit son code de retrait.",
    )
    async def mark_order_ready(
        self,
        info: Info,
        input: Annotated[
            types.OrderInput, strawberry.argument(description="La commande à retirer, prête.")
        ],
    ) -> types.OrderPayload:
        now = info.context.now
        return await run_step(
            info, input.order_id, "mark_order_ready", lambda s, o: orders.mark_ready(s, o, now)
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Retrait : le client est passé ; vérifie le code qu'il donne.",
    )
    async def mark_order_collected(
        self,
        info: Info,
        input: Annotated[
            types.MarkOrderCollectedInput,
            strawberry.argument(
                description="La commande et le code de retrait donné par le client."
            ),
        ],
    ) -> types.OrderPayload:
        now = info.context.now
        return await run_step(
            info,
            input.order_id,
            "mark_order_collected",
            lambda s, order: orders.mark_collected(s, order, input.pickup_code, now),
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="Livraison : la commande est partie."
    )
    async def mark_order_shipped(
        self,
        info: Info,
        input: Annotated[
            types.MarkOrderShippedInput,
            strawberry.argument(description="La commande, le transporteur et le numéro de suivi."),
        ],
    ) -> types.OrderPayload:
        now = info.context.now
        return await run_step(
            info,
            input.order_id,
            "mark_order_shipped",
            lambda s, order: orders.mark_shipped(
                s, order, input.carrier, input.tracking_number, now
            ),
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="Livraison : la commande est livrée."
    )
    async def mark_order_delivered(
        self,
        info: Info,
        input: Annotated[types.OrderInput, strawberry.argument(description="La commande livrée.")],
    ) -> types.OrderPayload:
        now = info.context.now
        return await run_step(
            info,
            input.order_id,
            "mark_order_delivered",
            lambda s, order: orders.mark_delivered(s, order, now),
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Le commerçant ne peut pas honorer la commande : le client et le service "
        "client sont prévenus.",
    )
    async def report_order_problem(
        self,
        info: Info,
        input: Annotated[
            types.ReportOrderProblemInput,
            strawberry.argument(description="La commande et le problème."),
        ],
    ) -> types.OrderPayload:
        ctx = info.context
        return await run_step(
            info,
            input.order_id,
            "report_order_problem",
            lambda s, order: orders.report_problem(s, ctx.settings, order, input.message, ctx.now),
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Annuler : le client tant que l'achat n'est pas payé (tout l'achat) ; le "
        "personnel à tout moment, en remboursant et en reprenant le virement de la boutique.",
    )
    async def cancel_order(
        self,
        info: Info,
        input: Annotated[
            types.OrderInput, strawberry.argument(description="La commande à annuler.")
        ],
    ) -> types.OrderPayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.Order:
            order_id = decode_id(input.order_id, "Order", ["orderId"])
            return await orders.cancel_order(session, ctx.user, order_id, ctx.now)

        order, errors = await run_service(info, work)
        return types.OrderPayload(
            order=types.OrderType.from_row(order) if order else None, user_errors=errors
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Ouvrir (ou reprendre) l'inscription Stripe de la boutique pour recevoir "
        "ses ventes. Les ventes ne l'attendent pas : seuls les versements attendent.",
    )
    async def start_payout_onboarding(
        self,
        info: Info,
        input: Annotated[
            types.StartPayoutOnboardingInput, strawberry.argument(description="La boutique.")
        ],
    ) -> types.StartPayoutOnboardingPayload:
        ctx = info.context

        async def start() -> tuple[str, models.Shop]:
            shop_id = decode_id(input.shop_id, "Shop", ["shopId"])
            flow = ctx.payment_flow()
            return await payouts.start_onboarding(
                ctx.session_factory, flow.gateway, ctx.settings, ctx.user, shop_id
            )

        result, errors = await run_action(info, start)
        if result is None:
            return types.StartPayoutOnboardingPayload(user_errors=errors)
        url, shop = result
        return types.StartPayoutOnboardingPayload(url=url, payouts=types.ShopPayouts.from_row(shop))

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Envoyer à Stripe une pièce justificative (PNG ou JPEG, 10 Mo au plus). "
        "Le document n'est pas conservé par la plateforme.",
    )
    async def upload_kyc_document(
        self,
        info: Info,
        input: Annotated[
            types.UploadKycDocumentInput,
            strawberry.argument(
                description="La boutique, la nature de la pièce et le fichier (envoi multipart)."
            ),
        ],
    ) -> types.UploadKycDocumentPayload:
        ctx = info.context
        await ctx.throttle("kyc", shop=str(input.shop_id)[:100])
        content = await read_upload(input.file, payouts.MAX_DOCUMENT_BYTES)

        async def submit() -> models.Shop:
            shop_id = decode_id(input.shop_id, "Shop", ["shopId"])
            flow = ctx.payment_flow()
            return await payouts.submit_kyc_document(
                ctx.session_factory, flow, ctx.user, shop_id, input.kind.value, content
            )

        shop, errors = await run_action(info, submit)
        return types.UploadKycDocumentPayload(
            payouts=types.ShopPayouts.from_row(shop) if shop else None, user_errors=errors
        )
