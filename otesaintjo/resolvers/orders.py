"""Checkout, payment confirmation, the order steps, cancellation, and shop payouts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from otesaintjo import models
from otesaintjo.errors import DomainError, ErrorCode
from otesaintjo.payments.gateway import PaymentsUnavailable
from otesaintjo.resolvers.common import run_service
from otesaintjo.schema import orders as types
from otesaintjo.schema.ids import decode_id
from otesaintjo.schema.permissions import IsAuthenticated, Public
from otesaintjo.services import audit, orders, payouts
from otesaintjo.services import checkout as checkouts

OrderAction = Callable[[AsyncSession, models.Order], Awaitable[models.Order]]


def not_found(field: str) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "Introuvable.", [field])


async def run_on_order(
    info: Info, raw_id: strawberry.ID, action: OrderAction
) -> types.OrderPayload:
    """Load the order for one of its shop's merchants (others: not found), then act."""

    async def work(session: AsyncSession) -> models.Order:
        order = await session.get(models.Order, decode_id(raw_id, "Order", ["orderId"]))
        if order is None or not await info.context.manages_shop(order.shop_id):
            raise not_found("orderId")
        return await action(session, order)

    order, errors = await run_service(info, work)
    return types.OrderPayload(
        order=types.OrderType.from_row(order) if order else None, user_errors=errors
    )


async def managed_shop_id(info: Info, raw_id: strawberry.ID) -> int:
    shop_id = decode_id(raw_id, "Shop", ["shopId"])
    if not await info.context.manages_shop(shop_id):
        raise not_found("shopId")
    return shop_id


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

        async def place(session: AsyncSession) -> int:
            ctx.payment_flow()  # refuse before reserving anything when payments are off
            purchase = await checkouts.place(
                session, ctx.settings, ctx.viewer.user, request, ctx.now
            )
            return purchase.id  # type: ignore[return-value]

        try:
            purchase_id, errors = await run_service(info, place)
        except IntegrityError:  # a concurrent call with the same key placed it first
            purchase_id, errors = await run_service(info, place)
        if purchase_id is None:
            return types.CheckoutPayload(user_errors=errors)

        async def attach(session: AsyncSession) -> models.Purchase:
            return await checkouts.attach_payment(session, ctx.payment_flow().gateway, purchase_id)

        purchase, errors = await run_service(info, attach)
        return types.CheckoutPayload(
            purchase=types.PurchaseType.from_row(purchase) if purchase else None,
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

        async def work(_session: AsyncSession) -> models.Purchase:
            # The outer session stays unused: holding its connection while ``settle`` takes
            # another would exhaust the pool under concurrent confirmations.
            flow = ctx.payment_flow()
            purchase_id = decode_id(input.purchase_id, "Purchase", ["purchaseId"])
            async with ctx.session_factory() as session:
                purchase = await session.get(models.Purchase, purchase_id)
            if purchase is None or purchase.user_id != ctx.viewer.user.id:
                raise not_found("purchaseId")
            try:
                settled = await flow.settle(purchase_id)
            except PaymentsUnavailable as exc:
                raise DomainError(
                    ErrorCode.PAYMENT_UNAVAILABLE, "Stripe ne répond pas ; réessayez."
                ) from exc
            assert settled is not None
            return settled

        purchase, errors = await run_service(info, work)
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
        return await run_on_order(
            info, input.order_id, lambda s, order: orders.mark_ready(s, order, now)
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
        return await run_on_order(
            info,
            input.order_id,
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
        return await run_on_order(
            info,
            input.order_id,
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
        return await run_on_order(
            info, input.order_id, lambda s, order: orders.mark_delivered(s, order, now)
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
        return await run_on_order(
            info,
            input.order_id,
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
        user = ctx.viewer.user

        async def work(session: AsyncSession) -> models.Order:
            order = await session.get(models.Order, decode_id(input.order_id, "Order", ["orderId"]))
            if order is None or not (user.is_staff or order.user_id == user.id):
                raise not_found("orderId")
            if user.is_staff:
                audit.record(session, user, "cancel_order", "Order", order.id)  # type: ignore[arg-type]
            return await orders.cancel(session, order, ctx.now, by_staff=user.is_staff)

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

        async def work(session: AsyncSession) -> tuple[str, models.Shop]:
            shop_id = await managed_shop_id(info, input.shop_id)
            flow = ctx.payment_flow()
            url = await payouts.onboarding_link(
                ctx.session_factory, flow.gateway, ctx.settings, shop_id
            )
            return url, await session.get(models.Shop, shop_id, populate_existing=True)

        result, errors = await run_service(info, work)
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
        content = await input.file.read(payouts.MAX_DOCUMENT_BYTES + 1)  # type: ignore[attr-defined]

        async def work(session: AsyncSession) -> models.Shop:
            shop_id = await managed_shop_id(info, input.shop_id)
            flow = ctx.payment_flow()
            account = await payouts.upload_kyc_document(
                ctx.session_factory, flow.gateway, shop_id, input.kind.value, content
            )
            if account.payouts_enabled:
                await flow.account_updated(account.id)  # waiting transfers go out now
            return await session.get(models.Shop, shop_id, populate_existing=True)

        shop, errors = await run_service(info, work)
        return types.UploadKycDocumentPayload(
            payouts=types.ShopPayouts.from_row(shop) if shop else None, user_errors=errors
        )
