"""Reviews, customer service tickets and platform information."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum

import strawberry
from strawberry import enum_value, relay
from strawberry.types import Info

from otesaintjo import models
from otesaintjo.schema.errors import UserError
from otesaintjo.schema.ids import primary_keys
from otesaintjo.schema.pagination import CountedConnection, connection
from otesaintjo.services import access, personal_data, reviews, support


@strawberry.type(description="Note moyenne de la boutique (avis visibles, acheteurs vérifiés).")
class Rating:
    average: float | None = strawberry.field(description="De 1 à 5, arrondie au dixième.")
    count: int


@strawberry.type(name="ShopReview", description="Un avis d'acheteur vérifié sur une boutique.")
class ShopReviewType(relay.Node):
    id: relay.NodeID[int]
    row: strawberry.Private[models.ShopReview]
    rating: int
    comment: str
    reply: str | None = strawberry.field(description="La réponse publique de la boutique.")
    replied_at: datetime | None
    verified_purchase: bool = strawberry.field(
        description="Toujours vrai : seul un client ayant reçu une commande peut noter."
    )
    hidden_reason: str | None = strawberry.field(description="Modération (personnel seulement).")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.ShopReview, staff: bool = False) -> ShopReviewType:
        return cls(
            id=row.id,  # type: ignore[arg-type]
            row=row,
            rating=row.rating,
            comment=row.comment,
            reply=row.reply,
            replied_at=row.replied_at,
            verified_purchase=True,
            hidden_reason=row.hidden_reason if staff else None,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ShopReviewType | None]:
        user = info.context.user
        rows = await info.context.loaders.review_by_id.load_many(primary_keys(node_ids))
        staff = user is not None and user.is_staff
        return [
            cls.from_row(r, staff) if r and access.may_see_review(user, r) else None for r in rows
        ]

    @strawberry.field(
        description="Prénom et initiale de l'auteur ; « Client » si son compte est supprimé."
    )
    async def author_name(self, info: Info) -> str:
        user = await info.context.loaders.user_by_id.load(self.row.user_id)
        return personal_data.author_name(user)

    @strawberry.field
    def viewer_can_edit(self, info: Info) -> bool:
        viewer = info.context.viewer
        return viewer is not None and viewer.user.id == self.row.user_id


@strawberry.type(name="ShopReviewConnection")
class ShopReviewConnection(CountedConnection[ShopReviewType]):
    pass


async def review_page(
    info: Info, shop_id: int, first: int | None, after: str | None
) -> ShopReviewConnection:
    factory = info.context.reads
    return await connection(
        ShopReviewConnection,
        lambda limit: reviews.shop_reviews_page(factory, shop_id, limit=limit, after=after),
        first,
        lambda row: ShopReviewType.from_row(row[0]),
    )


@strawberry.type(
    name="PlatformReview",
    description="Un avis d'un client sur la place de marché elle-même (un par client).",
)
class PlatformReviewType(relay.Node):
    id: relay.NodeID[int]
    row: strawberry.Private[models.PlatformReview]
    rating: int = strawberry.field(description="De 1 à 5.")
    comment: str
    hidden_reason: str | None = strawberry.field(description="Modération (personnel seulement).")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.PlatformReview, staff: bool = False) -> PlatformReviewType:
        return cls(
            id=row.id,  # type: ignore[arg-type]
            row=row,
            rating=row.rating,
            comment=row.comment,
            hidden_reason=row.hidden_reason if staff else None,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PlatformReviewType | None]:
        """Visible ones to anyone; a hidden one to its author and staff."""
        user = info.context.user
        staff = user is not None and user.is_staff
        rows = await info.context.loaders.platform_review_by_id.load_many(primary_keys(node_ids))
        return [
            cls.from_row(r, staff)
            if r and (r.hidden_at is None or staff or (user is not None and user.id == r.user_id))
            else None
            for r in rows
        ]

    @strawberry.field(
        description="Prénom et initiale de l'auteur ; « Client » si son compte est supprimé."
    )
    async def author_name(self, info: Info) -> str:
        user = await info.context.loaders.user_by_id.load(self.row.user_id)
        return personal_data.author_name(user)

    @strawberry.field(description="L'avis est celui du visiteur (updatePlatformReview).")
    def viewer_can_edit(self, info: Info) -> bool:
        viewer = info.context.viewer
        return viewer is not None and viewer.user.id == self.row.user_id


@strawberry.type(name="PlatformReviewConnection")
class PlatformReviewConnection(CountedConnection[PlatformReviewType]):
    pass


@strawberry.type(description="Note moyenne de la place de marché (avis visibles).")
class PlatformRating:
    average: float | None = strawberry.field(description="De 1 à 5, arrondie au dixième.")
    count: int = strawberry.field(description="Le nombre d'avis visibles.")


async def platform_review_page(
    info: Info, first: int | None, after: str | None
) -> PlatformReviewConnection:
    factory = info.context.reads
    return await connection(
        PlatformReviewConnection,
        lambda limit: reviews.platform_reviews_page(factory, limit=limit, after=after),
        first,
        lambda row: PlatformReviewType.from_row(row[0]),
    )


@strawberry.enum(name="SupportTicketStatus")
class TicketStatusEnum(Enum):
    OPEN = enum_value("OPEN", description="Ouvert, en attente d'une réponse du personnel.")
    ANSWERED = enum_value(
        "ANSWERED", description="Le personnel a répondu (la réponse est partie par e-mail)."
    )
    CLOSED = enum_value("CLOSED", description="Fermé : plus de réponse possible.")


@strawberry.type
class TicketMessageType:
    body: str
    from_staff: bool
    created_at: datetime


@strawberry.type(name="SupportTicket", description="Une demande au service client.")
class SupportTicketType(relay.Node):
    id: relay.NodeID[int]
    row: strawberry.Private[models.SupportTicket]
    subject: str
    status: TicketStatusEnum
    created_at: datetime
    closed_at: datetime | None

    @classmethod
    def from_row(cls, row: models.SupportTicket) -> SupportTicketType:
        return cls(
            id=row.id,  # type: ignore[arg-type]
            row=row,
            subject=row.subject,
            status=TicketStatusEnum(row.status),
            created_at=row.created_at,
            closed_at=row.closed_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[SupportTicketType | None]:
        """Its author and staff; anyone else gets null."""
        user = info.context.user
        rows = await info.context.loaders.ticket_by_id.load_many(primary_keys(node_ids))
        return [cls.from_row(r) if r and access.may_see_ticket(user, r) else None for r in rows]

    @strawberry.field
    async def messages(self, info: Info) -> list[TicketMessageType]:
        rows = await info.context.loaders.messages_by_ticket_id.load(self.row.id)
        return [
            TicketMessageType(body=r.body, from_staff=r.from_staff, created_at=r.created_at)
            for r in rows
        ]


@strawberry.type(name="SupportTicketConnection")
class SupportTicketConnection(CountedConnection[SupportTicketType]):
    pass


async def ticket_page(
    info: Info,
    *,
    first: int | None,
    after: str | None,
    user_id: int | None = None,
    status: str | None = None,
) -> SupportTicketConnection:
    """A user's tickets, or every ticket (staff), newest first."""
    factory = info.context.reads
    return await connection(
        SupportTicketConnection,
        lambda limit: support.tickets_page(
            factory, user_id=user_id, status=status, limit=limit, after=after
        ),
        first,
        lambda row: SupportTicketType.from_row(row[0]),
    )


@strawberry.type(name="AuditEntry", description="Une action du personnel : qui, quoi, quand.")
class AuditEntryType(relay.Node):
    id: relay.NodeID[int]
    row: strawberry.Private[models.AuditEntry]
    action: str
    target_type: str
    target_id: int
    details: strawberry.scalars.JSON
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.AuditEntry) -> AuditEntryType:
        return cls(
            id=row.id,  # type: ignore[arg-type]
            row=row,
            action=row.action,
            target_type=row.target_type,
            target_id=row.target_id,
            details=row.details,
            created_at=row.created_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[AuditEntryType | None]:
        """Read through ``auditLog`` (staff) only."""
        return [None for _ in node_ids]

    @strawberry.field(description="Le membre du personnel (e-mail).")
    async def staff_email(self, info: Info) -> str | None:
        if self.row.staff_user_id is None:
            return None
        user = await info.context.loaders.user_by_id.load(self.row.staff_user_id)
        return user.email if user else None


@strawberry.type(name="AuditEntryConnection")
class AuditEntryConnection(CountedConnection[AuditEntryType]):
    pass


@strawberry.type(
    description="Ce qu'une page doit charger pour payer : Stripe.js et la clé publique. "
    "Ensuite : stripe = Stripe(publishableKey), puis "
    "stripe.confirmCardPayment(checkout.purchase.payment.clientSecret, {payment_method: {card}})."
)
class PaymentsInfo:
    available: bool = strawberry.field(description="Faux si ce serveur n'a pas de Stripe.")
    publishable_key: str | None = strawberry.field(description="La clé publique Stripe (pk_…).")
    stripe_js_url: str = strawberry.field(
        description="Le script à charger : https://js.stripe.com/v3/, ou hors ligne celui du"
        " double de paiement (mêmes appels, aucun argent réel)."
    )
    offline: bool = strawberry.field(
        description="Vrai sur les doubles de paiement hors ligne : aucun argent réel ; cartes "
        "de test 4242 4242 4242 4242 (payée), 4000 0000 0000 0341 (refusée)."
    )
    payment_method_types: list[str] = strawberry.field(
        description="Les moyens acceptés (« card », « paypal » une fois activé par Stripe)."
    )
    currency: str = strawberry.field(description="« eur ».")


@strawberry.type(description="Informations de la plateforme.")
class PlatformInfo:
    support_email: str
    support_hours: str = strawberry.field(description=support.HOURS_TEXT)
    support_open_now: bool
    next_support_opening: datetime
    payments: PaymentsInfo = strawberry.field(description="Pour payer depuis une page web.")


@strawberry.input
class CreateShopReviewInput:
    shop_id: strawberry.ID = strawberry.field(
        description="Une boutique dont l'appelant a reçu une commande (livrée ou retirée)."
    )
    rating: int = strawberry.field(description="De 1 à 5.")
    comment: str = strawberry.field(
        default="", description="Commentaire public, facultatif, 2000 caractères au plus."
    )


@strawberry.input
class UpdateShopReviewInput:
    review_id: strawberry.ID = strawberry.field(description="Un avis de l'appelant.")
    rating: int = strawberry.field(description="La nouvelle note, de 1 à 5.")
    comment: str = strawberry.field(
        default="",
        description="Le nouveau commentaire (2000 caractères au plus) ; omis, il est effacé.",
    )


@strawberry.input
class ReplyToShopReviewInput:
    review_id: strawberry.ID = strawberry.field(
        description="Un avis sur une boutique que l'appelant gère."
    )
    reply: str = strawberry.field(
        description="La réponse publique, 2000 caractères au plus ; une seule par avis."
    )


@strawberry.input
class HideShopReviewInput:
    review_id: strawberry.ID = strawberry.field(description="L'avis à masquer.")
    reason: str = strawberry.field(
        description="Le motif de modération (500 caractères au plus), visible du personnel."
    )


@strawberry.type
class ShopReviewPayload:
    review: ShopReviewType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class CreatePlatformReviewInput:
    rating: int = strawberry.field(description="De 1 à 5.")
    comment: str = strawberry.field(default="", description="Facultatif, 2000 caractères au plus.")


@strawberry.input
class UpdatePlatformReviewInput:
    rating: int = strawberry.field(description="De 1 à 5.")
    comment: str = strawberry.field(default="", description="Facultatif, 2000 caractères au plus.")


@strawberry.input
class HidePlatformReviewInput:
    review_id: strawberry.ID = strawberry.field(description="L'avis à masquer.")
    reason: str = strawberry.field(
        description="Le motif de modération (500 caractères au plus), visible du personnel."
    )


@strawberry.type
class PlatformReviewPayload:
    review: PlatformReviewType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class ContactSupportInput:
    subject: str = strawberry.field(description="L'objet, 200 caractères au plus.")
    message: str = strawberry.field(description="Le message, 5000 caractères au plus.")
    order_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="La commande concernée, s'il y en a une : l'appelant en est le client ou"
        " la gère.",
    )


@strawberry.input
class AnswerSupportTicketInput:
    ticket_id: strawberry.ID = strawberry.field(description="Un ticket qui n'est pas fermé.")
    message: str = strawberry.field(
        description="La réponse, envoyée par e-mail à l'auteur ; 5000 caractères au plus."
    )


@strawberry.input
class CloseSupportTicketInput:
    ticket_id: strawberry.ID = strawberry.field(description="Un ticket pas encore fermé.")


@strawberry.type
class SupportTicketPayload:
    ticket: SupportTicketType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
