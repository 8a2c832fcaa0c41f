"""The customer's rights over their personal data: export (art. 15, 20), erasure (art. 17)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from otesaintjo.resolvers.common import run_service
from otesaintjo.schema.permissions import IsAuthenticated
from otesaintjo.schema.personal_data import (
    DataExportType,
    DeleteMyAccountInput,
    DeleteMyAccountPayload,
    RequestMyDataExportPayload,
)
from otesaintjo.services import export_links, personal_data


@strawberry.type
class PersonalDataMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Recevoir par e-mail toutes ses données (RGPD, art. 15 et 20) : compte,"
        " sessions (appareils, dates), adresses, panier, achats et commandes avec leurs"
        " lignes et factures, retours, avis sur les boutiques et sur la plateforme, demandes"
        " au service client et leurs messages, lettre d'information, journal du personnel"
        " les concernant, e-mails envoyés. Une archive JSON, préparée en arrière-plan ; le"
        f" lien de l'e-mail est valable {export_links.LINK_DAYS} jours, puis le fichier est"
        f" supprimé. {personal_data.EXPORTS_PER_DAY} demandes par 24 heures au plus"
        " (TOO_MANY_EXPORTS).",
    )
    async def request_my_data_export(self, info: Info) -> RequestMyDataExportPayload:
        ctx = info.context
        await ctx.throttle("data_export", user=str(ctx.user.id))
        row, errors = await run_service(
            info, lambda s: personal_data.request_export(s, ctx.user, ctx.now)
        )
        return RequestMyDataExportPayload(
            data_export=DataExportType.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Supprimer son compte (RGPD, art. 17), mot de passe ressaisi. Effacés :"
        " sessions, panier, lettre d'information, demandes au service client, liens de"
        " réinitialisation ; le compte garde « Client » pour nom, sans e-mail ni téléphone"
        " (l'adresse e-mail peut servir à un nouveau compte). Gardés 10 ans (art. L123-22 du"
        " Code de commerce) : commandes, factures et avoirs, le nom et l'adresse du client"
        " restant seulement sur les factures déjà émises ; les avis restent, signés"
        " « Client ». Refusé pour le dernier gérant d'une boutique ouverte (LAST_OWNER) et"
        " tant qu'un achat attend son paiement, qu'une commande payée n'est pas reçue ou"
        " retirée, ou qu'un retour attend son remboursement (ORDER_IN_PROGRESS).",
    )
    async def delete_my_account(
        self,
        info: Info,
        input: Annotated[
            DeleteMyAccountInput,
            strawberry.argument(description="Le mot de passe, ressaisi pour confirmer."),
        ],
    ) -> DeleteMyAccountPayload:
        ctx = info.context
        _, errors = await run_service(
            info,
            lambda s: personal_data.delete_account(
                s, ctx.settings, ctx.user, input.password, ctx.now
            ),
        )
        return DeleteMyAccountPayload(deleted=not errors, user_errors=errors)
