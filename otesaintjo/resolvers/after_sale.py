"""Reviews, customer service and platform information; every staff action is audited."""

from __future__ import annotations

from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from otesaintjo import models
from otesaintjo.resolvers.common import run_service
from otesaintjo.schema import after_sale as types
from otesaintjo.schema.ids import decode_id
from otesaintjo.schema.orders import OrderConnection, OrderStatusEnum, order_page
from otesaintjo.schema.pagination import After, First, connection
from otesaintjo.schema.permissions import IsAuthenticated, IsStaff, Public
from otesaintjo.services import audit, reviews, support


def _review_payload(row, errors) -> types.ShopReviewPayload:
    return types.ShopReviewPayload(
        review=types.ShopReviewType.from_row(row) if row else None, user_errors=errors
    )


def _ticket_payload(row, errors) -> types.SupportTicketPayload:
    return types.SupportTicketPayload(
        ticket=types.SupportTicketType.from_row(row) if row else None, user_errors=errors
    )


@strawberry.type
class AfterSaleQueries:
    @strawberry.field(permission_classes=[Public], description="Horaires du service client…")
    def platform_info(self, info: Info) -> types.PlatformInfo:
        settings = info.context.settings
        status = support.support_status(info.context.now)
        return types.PlatformInfo(
            support_email=settings.support_email,
            support_hours=support.HOURS_TEXT,
            support_open_now=status.open_now,
            next_support_opening=status.next_opening,
            payments=types.PaymentsInfo(
                available=settings.stripe_api_key is not None,
                publishable_key=settings.stripe_publishable_key,
                stripe_js_url=settings.stripe_js_url,
                offline=settings.stripe_offline,
                payment_method_types=list(settings.payment_method_types),
                currency="eur",
            ),
        )

    @strawberry.field(
        permission_classes=[IsStaff], description="Tous les tickets (personnel), récents d'abord."
    )
    async def support_tickets(
        self,
        info: Info,
        status: Annotated[
            types.TicketStatusEnum | None,
            strawberry.argument(description="Seulement les tickets dans cet état."),
        ] = None,
        first: First = 20,
        after: After = None,
    ) -> types.SupportTicketConnection:
        wanted = status.value if status else None
        return await types.ticket_page(info, status=wanted, first=first, after=after)

    @strawberry.field(
        permission_classes=[IsStaff],
        description="Toutes les commandes (personnel), récentes d'abord.",
    )
    async def all_orders(
        self,
        info: Info,
        status: Annotated[
            OrderStatusEnum | None,
            strawberry.argument(description="Seulement les commandes dans cet état."),
        ] = None,
        first: First = 20,
        after: After = None,
    ) -> OrderConnection:
        return await order_page(info, first=first, after=after, status=status)

    @strawberry.field(
        permission_classes=[Public],
        description="Les avis des clients sur la place de marché, récents d'abord (les avis"
        " masqués par le personnel n'y sont pas).",
    )
    async def platform_reviews(
        self, info: Info, first: First = 20, after: After = None
    ) -> types.PlatformReviewConnection:
        return await types.platform_review_page(info, first, after)

    @strawberry.field(
        permission_classes=[Public],
        description="La note moyenne de la place de marché et le nombre d'avis visibles.",
    )
    async def platform_rating(self, info: Info) -> types.PlatformRating:
        async with info.context.reads() as session:
            count, total = await reviews.platform_rating(session)
        return types.PlatformRating(average=round(total / count, 1) if count else None, count=count)

    @strawberry.field(
        permission_classes=[IsStaff], description="Le journal des actions du personnel."
    )
    async def audit_log(
        self, info: Info, first: First = 20, after: After = None
    ) -> types.AuditEntryConnection:
        factory = info.context.session_factory
        return await connection(
            types.AuditEntryConnection,
            lambda limit: audit.entries_page(factory, limit=limit, after=after),
            first,
            lambda row: types.AuditEntryType.from_row(row[0]),
        )


@strawberry.type
class AfterSaleMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Noter une boutique (1 à 5) : réservé aux clients ayant reçu une commande "
        "de cette boutique ; un avis par client et par boutique, modifiable.",
    )
    async def create_shop_review(
        self,
        info: Info,
        input: Annotated[
            types.CreateShopReviewInput,
            strawberry.argument(description="La boutique, la note et le commentaire."),
        ],
    ) -> types.ShopReviewPayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.ShopReview:
            shop_id = decode_id(input.shop_id, "Shop", ["shopId"])
            return await reviews.create_shop_review(
                session, ctx.viewer.user, shop_id, input.rating, input.comment, ctx.now
            )

        return _review_payload(*await run_service(info, work))

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Modifier son avis.")
    async def update_shop_review(
        self,
        info: Info,
        input: Annotated[
            types.UpdateShopReviewInput,
            strawberry.argument(description="L'avis, la nouvelle note et le nouveau commentaire."),
        ],
    ) -> types.ShopReviewPayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.ShopReview:
            review_id = decode_id(input.review_id, "ShopReview", ["reviewId"])
            return await reviews.update_shop_review(
                session, ctx.user, review_id, input.rating, input.comment, ctx.now
            )

        return _review_payload(*await run_service(info, work))

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="La réponse publique de la boutique à un avis (une seule).",
    )
    async def reply_to_shop_review(
        self,
        info: Info,
        input: Annotated[
            types.ReplyToShopReviewInput,
            strawberry.argument(description="L'avis et la réponse de la boutique."),
        ],
    ) -> types.ShopReviewPayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.ShopReview:
            review_id = decode_id(input.review_id, "ShopReview", ["reviewId"])
            return await reviews.reply(session, ctx.user, review_id, input.reply, ctx.now)

        return _review_payload(*await run_service(info, work))

    @strawberry.mutation(
        permission_classes=[IsStaff], description="Masquer un avis (modération, avec un motif)."
    )
    async def hide_shop_review(
        self,
        info: Info,
        input: Annotated[
            types.HideShopReviewInput,
            strawberry.argument(description="L'avis et le motif de modération."),
        ],
    ) -> types.ShopReviewPayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.ShopReview:
            review_id = decode_id(input.review_id, "ShopReview", ["reviewId"])
            return await reviews.hide(session, ctx.user, review_id, input.reason, ctx.now)

        row, errors = await run_service(info, work)
        return types.ShopReviewPayload(
            review=types.ShopReviewType.from_row(row, staff=True) if row else None,
            user_errors=errors,
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="Noter la place de marché elle-même."
    )
    async def create_platform_review(
        self,
        info: Info,
        input: Annotated[
            types.CreatePlatformReviewInput,
            strawberry.argument(description="La note et le commentaire."),
        ],
    ) -> types.PlatformReviewPayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.PlatformReview:
            return await reviews.create_platform_review(
                session, ctx.viewer.user, input.rating, input.comment, ctx.now
            )

        return _platform_payload(*await run_service(info, work))

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Modifier son avis sur la place de marché (NOT_FOUND s'il n'y en a pas).",
    )
    async def update_platform_review(
        self,
        info: Info,
        input: Annotated[
            types.UpdatePlatformReviewInput,
            strawberry.argument(description="La nouvelle note et le nouveau commentaire."),
        ],
    ) -> types.PlatformReviewPayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.PlatformReview:
            return await reviews.update_platform_review(
                session, ctx.viewer.user, input.rating, input.comment, ctx.now
            )

        return _platform_payload(*await run_service(info, work))

    @strawberry.mutation(
        permission_classes=[IsStaff],
        description="Masquer un avis sur la place de marché (modération, avec un motif, tracée"
        " dans le journal du personnel).",
    )
    async def hide_platform_review(
        self,
        info: Info,
        input: Annotated[
            types.HidePlatformReviewInput,
            strawberry.argument(description="L'avis et le motif de modération."),
        ],
    ) -> types.PlatformReviewPayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.PlatformReview:
            review_id = decode_id(input.review_id, "PlatformReview", ["reviewId"])
            return await reviews.hide_platform_review(
                session, ctx.user, review_id, input.reason, ctx.now
            )

        row, errors = await run_service(info, work)
        return types.PlatformReviewPayload(
            review=types.PlatformReviewType.from_row(row, staff=True) if row else None,
            user_errors=errors,
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Écrire au service client (clients et commerçants), à propos d'une "
        "commande ou non.",
    )
    async def contact_support(
        self,
        info: Info,
        input: Annotated[
            types.ContactSupportInput,
            strawberry.argument(
                description="L'objet, le message et, s'il y a lieu, la commande concernée."
            ),
        ],
    ) -> types.SupportTicketPayload:
        ctx = info.context
        await ctx.throttle("support", user=str(ctx.user.id))

        async def work(session: AsyncSession) -> models.SupportTicket:
            order_id = None
            if input.order_id is not None:
                order_id = decode_id(input.order_id, "Order", ["orderId"])
            return await support.open_ticket(
                session, ctx.user, input.subject, input.message, order_id
            )

        return _ticket_payload(*await run_service(info, work))

    @strawberry.mutation(
        permission_classes=[IsStaff], description="Répondre à un ticket (la réponse est envoyée)."
    )
    async def answer_support_ticket(
        self,
        info: Info,
        input: Annotated[
            types.AnswerSupportTicketInput,
            strawberry.argument(description="Le ticket et la réponse."),
        ],
    ) -> types.SupportTicketPayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.SupportTicket:
            ticket_id = decode_id(input.ticket_id, "SupportTicket", ["ticketId"])
            return await support.answer(session, ctx.settings, ctx.user, ticket_id, input.message)

        return _ticket_payload(*await run_service(info, work))

    @strawberry.mutation(permission_classes=[IsStaff], description="Fermer un ticket.")
    async def close_support_ticket(
        self,
        info: Info,
        input: Annotated[
            types.CloseSupportTicketInput, strawberry.argument(description="Le ticket à fermer.")
        ],
    ) -> types.SupportTicketPayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.SupportTicket:
            ticket_id = decode_id(input.ticket_id, "SupportTicket", ["ticketId"])
            return await support.close(session, ctx.user, ticket_id, ctx.now)

        return _ticket_payload(*await run_service(info, work))


def _platform_payload(row, errors) -> types.PlatformReviewPayload:
    return types.PlatformReviewPayload(
        review=types.PlatformReviewType.from_row(row) if row else None, user_errors=errors
    )
