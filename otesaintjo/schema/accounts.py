"""Account types: the user, their sign-in sessions, and the account mutations' inputs/payloads."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from otesaintjo import models
from otesaintjo.schema.errors import UserError
from otesaintjo.schema.ids import primary_keys
from otesaintjo.schema.pagination import After, CountedConnection, First, connection
from otesaintjo.schema.shops import ShopType
from otesaintjo.services import accounts

if TYPE_CHECKING:
    from otesaintjo.schema.after_sale import SupportTicketConnection
    from otesaintjo.schema.orders import OrderConnection


@strawberry.type(
    name="User", description="Un compte. Seul son titulaire (ou le personnel) le voit."
)
class UserType(relay.Node):
    id: relay.NodeID[int]
    email: str
    first_name: str
    last_name: str
    phone: str | None = strawberry.field(description="Numéro au format E.164 (+262…).")
    is_staff: bool = strawberry.field(description="Membre du personnel de la plateforme.")
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.User) -> UserType:
        return cls(
            id=row.id,  # type: ignore[arg-type]
            email=row.email,
            first_name=row.first_name,
            last_name=row.last_name,
            phone=row.phone,
            is_staff=row.is_staff,
            created_at=row.created_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[UserType | None]:
        """Visible to the user themself and to staff; anyone else gets null (no existence leak)."""
        viewer = info.context.viewer
        ids = primary_keys(node_ids)
        rows = await info.context.loaders.user_by_id.load_many(ids)
        return [
            cls.from_row(row)
            if row is not None
            and viewer is not None
            and (viewer.user.id == row.id or viewer.user.is_staff)
            else None
            for row in rows
        ]

    @strawberry.field(description="Les boutiques que cet utilisateur gère (commerçant).")
    async def shops(self, info: Info) -> list[ShopType]:
        shop_ids = await info.context.loaders.shop_ids_by_user_id.load(self.id)
        rows = await info.context.loaders.shop_by_id.load_many(shop_ids)
        return [ShopType.from_row(row) for row in rows if row is not None]

    @strawberry.field(description="Les commandes de ce client, récentes d'abord.")
    async def orders(
        self, info: Info, first: First = 20, after: After = None
    ) -> Annotated[OrderConnection, strawberry.lazy("otesaintjo.schema.orders")]:
        from otesaintjo.schema.orders import order_page

        return await order_page(info, user_id=self.id, first=first, after=after)

    @strawberry.field(description="Ses demandes au service client, récentes d'abord.")
    async def support_tickets(
        self, info: Info, first: First = 20, after: After = None
    ) -> Annotated[SupportTicketConnection, strawberry.lazy("otesaintjo.schema.after_sale")]:
        from otesaintjo.schema.after_sale import ticket_page

        return await ticket_page(info, user_id=self.id, first=first, after=after)

    @strawberry.field(
        description="Appareils connectés à ce compte (sessions actives), récentes d'abord."
    )
    async def sessions(
        self, info: Info, first: First = 20, after: After = None
    ) -> Annotated[SessionConnection, strawberry.lazy("otesaintjo.schema.accounts")]:
        ctx = info.context
        factory = ctx.reads
        return await connection(
            SessionConnection,
            lambda limit: accounts.sessions_page(
                factory, self.id, ctx.now, limit=limit, after=after
            ),
            first,
            lambda row: SessionType.from_row(row[0], ctx.viewer),
        )


@strawberry.type(name="Session", description="Une connexion ouverte sur un appareil.")
class SessionType(relay.Node):
    id: relay.NodeID[int]
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    user_agent: str | None
    ip_address: str | None
    is_current: bool = strawberry.field(description="La session de la requête en cours.")

    @classmethod
    def from_row(cls, row: models.AuthSession, viewer: Any) -> SessionType:
        return cls(
            id=row.id,  # type: ignore[arg-type]
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            expires_at=row.expires_at,
            user_agent=row.user_agent,
            ip_address=row.ip_address,
            is_current=viewer is not None and viewer.session_id == row.id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[SessionType | None]:
        """Sessions are reached through ``viewer.sessions`` only."""
        return [None for _ in node_ids]


@strawberry.type(name="SessionConnection")
class SessionConnection(CountedConnection[SessionType]):
    pass


PHONE = (
    "Facultatif ; enregistré au format E.164, un numéro sans indicatif étant lu comme de"
    " La Réunion (+262)."
)


@strawberry.input(description="Création d'un compte client.")
class RegisterInput:
    email: str = strawberry.field(
        description="L'adresse e-mail, identifiant de connexion (254 caractères au plus)."
    )
    password: str = strawberry.field(description="Au moins 10 caractères.")
    first_name: str = strawberry.field(description="Prénom, 100 caractères au plus.")
    last_name: str = strawberry.field(description="Nom, 100 caractères au plus.")
    phone: str | None = strawberry.field(default=None, description=PHONE)
    newsletter: bool = strawberry.field(
        default=False, description="Consentement à la lettre d'information (double opt-in)."
    )


@strawberry.type(description="Jetons d'une connexion réussie.")
class AuthPayloadFields:
    access_token: str | None = strawberry.field(
        default=None,
        description="À envoyer en « Authorization: Bearer … » ; valable quelques minutes.",
    )
    access_token_expires_at: datetime | None = None
    refresh_token: str | None = strawberry.field(
        default=None,
        description="Usage unique : échangé contre une nouvelle paire par refreshToken.",
    )
    user: UserType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def from_tokens(cls, tokens: accounts.Tokens) -> Any:
        return cls(
            access_token=tokens.access_token,
            access_token_expires_at=tokens.access_token_expires_at,
            refresh_token=tokens.refresh_token,
            user=UserType.from_row(tokens.user),
        )


@strawberry.type
class RegisterPayload(AuthPayloadFields):
    pass


@strawberry.input
class LoginInput:
    email: str = strawberry.field(description="L'adresse e-mail du compte.")
    password: str = strawberry.field(description="Son mot de passe.")


@strawberry.type
class LoginPayload(AuthPayloadFields):
    pass


@strawberry.input
class RefreshTokenInput:
    refresh_token: str = strawberry.field(
        description="Le dernier refreshToken reçu ; usage unique : en réutiliser un ferme la"
        " session."
    )


@strawberry.type
class RefreshTokenPayload(AuthPayloadFields):
    pass


@strawberry.input
class LogoutInput:
    everywhere: bool = strawberry.field(
        default=False, description="Fermer toutes les sessions du compte, pas seulement celle-ci."
    )


@strawberry.type
class LogoutPayload:
    closed_sessions: int = 0
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="Seuls les champs donnés changent ; un téléphone vide le retire.")
class UpdateProfileInput:
    first_name: str | None = strawberry.field(
        default=None, description="Nouveau prénom, 100 caractères au plus."
    )
    last_name: str | None = strawberry.field(
        default=None, description="Nouveau nom, 100 caractères au plus."
    )
    phone: str | None = strawberry.field(
        default=None,
        description="Nouveau numéro, enregistré au format E.164 (sans indicatif : +262) ;"
        " chaîne vide : le retirer.",
    )


@strawberry.type
class UpdateProfilePayload:
    user: UserType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RequestPasswordResetInput:
    email: str = strawberry.field(description="L'adresse e-mail du compte.")


@strawberry.type(description="Toujours un succès, que le compte existe ou non.")
class RequestPasswordResetPayload:
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class ResetPasswordInput:
    token: str = strawberry.field(description="Le jeton du lien reçu par e-mail.")
    new_password: str = strawberry.field(description="Au moins 10 caractères.")


@strawberry.type(
    description="Le mot de passe est changé et toutes les sessions fermées : se reconnecter."
)
class ResetPasswordPayload:
    success: bool = False
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class SubscribeNewsletterInput:
    email: str = strawberry.field(
        description="L'adresse qui recevra la lettre, après confirmation par e-mail."
    )


@strawberry.type(
    description="Un e-mail de confirmation part ; rien n'est envoyé sans confirmation."
)
class SubscribeNewsletterPayload:
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class ConfirmNewsletterSubscriptionInput:
    token: str = strawberry.field(description="Le jeton du lien de confirmation de l'e-mail.")


@strawberry.type
class ConfirmNewsletterSubscriptionPayload:
    success: bool = False
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class UnsubscribeNewsletterInput:
    token: str = strawberry.field(description="Le jeton du lien de désinscription de l'e-mail.")


@strawberry.type
class UnsubscribeNewsletterPayload:
    success: bool = False
    user_errors: list[UserError] = strawberry.field(default_factory=list)
