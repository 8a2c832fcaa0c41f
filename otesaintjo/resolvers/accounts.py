"""Account mutations and the ``viewer`` query."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from otesaintjo.resolvers.common import run_service
from otesaintjo.schema.accounts import (
    ConfirmNewsletterSubscriptionInput,
    ConfirmNewsletterSubscriptionPayload,
    LoginInput,
    LoginPayload,
    LogoutInput,
    LogoutPayload,
    RefreshTokenInput,
    RefreshTokenPayload,
    RegisterInput,
    RegisterPayload,
    RequestPasswordResetInput,
    RequestPasswordResetPayload,
    ResetPasswordInput,
    ResetPasswordPayload,
    SubscribeNewsletterInput,
    SubscribeNewsletterPayload,
    UnsubscribeNewsletterInput,
    UnsubscribeNewsletterPayload,
    UpdateProfileInput,
    UpdateProfilePayload,
    UserType,
)
from otesaintjo.schema.cart import CART_TOKEN_HEADER
from otesaintjo.schema.permissions import IsAuthenticated, Public
from otesaintjo.services import accounts, newsletter


@strawberry.type
class AccountQueries:
    @strawberry.field(
        permission_classes=[Public],
        description="L'utilisateur connecté, ou null sans jeton valide.",
    )
    def viewer(self, info: Info) -> UserType | None:
        viewer = info.context.viewer
        return UserType.from_row(viewer.user) if viewer else None


@strawberry.type
class AccountMutations:
    @strawberry.mutation(
        permission_classes=[Public], description="Créer un compte client (et s'y connecter)."
    )
    async def register(
        self,
        info: Info,
        input: Annotated[RegisterInput, strawberry.argument(description="Le compte à créer.")],
    ) -> RegisterPayload:
        data = accounts.SignUp(
            email=input.email,
            password=input.password,
            first_name=input.first_name,
            last_name=input.last_name,
            phone=input.phone,
            newsletter=input.newsletter,
        )
        ctx = info.context
        await ctx.throttle("register")
        cart_token = ctx.request.headers.get(CART_TOKEN_HEADER)
        tokens, errors = await run_service(
            info,
            lambda s: accounts.register(s, ctx.settings, data, ctx.client, ctx.now, cart_token),
        )
        return (
            RegisterPayload.from_tokens(tokens) if tokens else RegisterPayload(user_errors=errors)
        )

    @strawberry.mutation(
        permission_classes=[Public],
        description="Se connecter. Après plusieurs échecs, un délai croissant s'impose"
        " (par compte et par adresse IP).",
    )
    async def login(
        self,
        info: Info,
        input: Annotated[
            LoginInput, strawberry.argument(description="Les identifiants du compte.")
        ],
    ) -> LoginPayload:
        ctx = info.context
        cart_token = ctx.request.headers.get(CART_TOKEN_HEADER)

        tokens, errors = await run_service(
            info,
            lambda s: accounts.login(
                s, ctx.settings, input.email, input.password, ctx.client, ctx.now, cart_token
            ),
        )
        return LoginPayload.from_tokens(tokens) if tokens else LoginPayload(user_errors=errors)

    @strawberry.mutation(
        permission_classes=[Public],
        description="Échanger un jeton de rafraîchissement contre une nouvelle paire de jetons.",
    )
    async def refresh_token(
        self,
        info: Info,
        input: Annotated[
            RefreshTokenInput,
            strawberry.argument(description="Le jeton de rafraîchissement à échanger."),
        ],
    ) -> RefreshTokenPayload:
        ctx = info.context
        tokens, errors = await run_service(
            info, lambda s: accounts.refresh(s, ctx.settings, input.refresh_token, ctx.now)
        )
        return (
            RefreshTokenPayload.from_tokens(tokens)
            if tokens
            else RefreshTokenPayload(user_errors=errors)
        )

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Se déconnecter.")
    async def logout(
        self,
        info: Info,
        input: Annotated[
            LogoutInput | None,
            strawberry.argument(
                description="Facultatif : « everywhere » ferme toutes les sessions du compte."
            ),
        ] = None,
    ) -> LogoutPayload:
        viewer = info.context.viewer
        everywhere = bool(input and input.everywhere)
        closed, errors = await run_service(
            info,
            lambda s: accounts.logout(
                s, viewer.user, viewer.session_id, everywhere, info.context.now
            ),
        )
        return LogoutPayload(closed_sessions=closed or 0, user_errors=errors)

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Modifier son profil.")
    async def update_profile(
        self,
        info: Info,
        input: Annotated[
            UpdateProfileInput, strawberry.argument(description="Les champs à changer.")
        ],
    ) -> UpdateProfilePayload:
        user, now = info.context.viewer.user, info.context.now
        updated, errors = await run_service(
            info,
            lambda s: accounts.update_profile(
                s,
                user,
                now,
                first_name=input.first_name,
                last_name=input.last_name,
                phone=input.phone,
            ),
        )
        return UpdateProfilePayload(
            user=UserType.from_row(updated) if updated else None, user_errors=errors
        )

    @strawberry.mutation(
        permission_classes=[Public],
        description="Recevoir un lien de réinitialisation (valable 60 minutes, usage unique)."
        " La réponse est la même que le compte existe ou non.",
    )
    async def request_password_reset(
        self,
        info: Info,
        input: Annotated[
            RequestPasswordResetInput,
            strawberry.argument(description="L'adresse e-mail du compte."),
        ],
    ) -> RequestPasswordResetPayload:
        await info.context.throttle("password_reset", email=input.email.strip().lower()[:254])
        await run_service(info, lambda s: accounts.request_password_reset(s, input.email))
        return RequestPasswordResetPayload()

    @strawberry.mutation(
        permission_classes=[Public], description="Choisir un nouveau mot de passe."
    )
    async def reset_password(
        self,
        info: Info,
        input: Annotated[
            ResetPasswordInput,
            strawberry.argument(description="Le jeton du lien reçu et le nouveau mot de passe."),
        ],
    ) -> ResetPasswordPayload:
        ctx = info.context
        user, errors = await run_service(
            info,
            lambda s: accounts.reset_password(
                s, ctx.settings, input.token, input.new_password, ctx.now
            ),
        )
        return ResetPasswordPayload(success=user is not None, user_errors=errors)

    @strawberry.mutation(
        permission_classes=[Public],
        description="S'inscrire à la lettre d'information (avec ou sans compte) ;"
        " l'inscription est à confirmer par e-mail.",
    )
    async def subscribe_newsletter(
        self,
        info: Info,
        input: Annotated[
            SubscribeNewsletterInput, strawberry.argument(description="L'adresse à inscrire.")
        ],
    ) -> SubscribeNewsletterPayload:
        ctx = info.context
        await ctx.throttle("newsletter", email=input.email.strip().lower()[:254])
        _, errors = await run_service(
            info, lambda s: newsletter.subscribe(s, ctx.settings, input.email)
        )
        return SubscribeNewsletterPayload(user_errors=errors)

    @strawberry.mutation(
        permission_classes=[Public], description="Confirmer une inscription (lien de l'e-mail)."
    )
    async def confirm_newsletter_subscription(
        self,
        info: Info,
        input: Annotated[
            ConfirmNewsletterSubscriptionInput,
            strawberry.argument(description="Le jeton du lien de confirmation."),
        ],
    ) -> ConfirmNewsletterSubscriptionPayload:
        sub, errors = await run_service(
            info, lambda s: newsletter.confirm(s, input.token, info.context.now)
        )
        return ConfirmNewsletterSubscriptionPayload(success=sub is not None, user_errors=errors)

    @strawberry.mutation(
        permission_classes=[Public], description="Se désinscrire (lien de l'e-mail, sans compte)."
    )
    async def unsubscribe_newsletter(
        self,
        info: Info,
        input: Annotated[
            UnsubscribeNewsletterInput,
            strawberry.argument(description="Le jeton du lien de désinscription."),
        ],
    ) -> UnsubscribeNewsletterPayload:
        ctx = info.context
        _, errors = await run_service(
            info, lambda s: newsletter.unsubscribe(s, ctx.settings, input.token, ctx.now)
        )
        return UnsubscribeNewsletterPayload(success=not errors, user_errors=errors)
