"""Personal data: the export of one's data and the deletion of one's account (GDPR)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import enum_value

from otesaintjo import models
from otesaintjo.schema.errors import UserError
from otesaintjo.services import export_links


@strawberry.enum(name="DataExportStatus", description="Où en est un export de données.")
class DataExportStatusEnum(Enum):
    PENDING = enum_value(
        "PENDING",
        description="Demandé : l'archive se prépare ; le lien part par e-mail dans quelques"
        " minutes.",
    )
    READY = enum_value(
        "READY",
        description=f"Prêt : le lien reçu par e-mail est valable {export_links.LINK_DAYS} jours"
        " (jusqu'à expiresAt).",
    )
    EXPIRED = enum_value("EXPIRED", description="Le lien a expiré et le fichier a été supprimé.")


@strawberry.type(
    name="DataExport",
    description="Une demande d'export de ses données (RGPD, art. 15 et 20) : une archive JSON"
    " de tout ce que la plateforme détient sur le compte, envoyée par e-mail sous forme de lien"
    f" de téléchargement valable {export_links.LINK_DAYS} jours.",
)
class DataExportType:
    status: DataExportStatusEnum
    requested_at: datetime = strawberry.field(description="L'heure de la demande.")
    ready_at: datetime | None = strawberry.field(
        description="L'heure où l'archive a été prête et le lien envoyé ; null avant."
    )
    expires_at: datetime | None = strawberry.field(
        description="Fin de validité du lien ; le fichier est alors supprimé. Null avant."
    )

    @classmethod
    def from_row(cls, row: models.DataExport) -> DataExportType:
        return cls(
            status=DataExportStatusEnum(row.status),
            requested_at=row.requested_at,
            ready_at=row.ready_at,
            expires_at=row.expires_at,
        )


@strawberry.type
class RequestMyDataExportPayload:
    data_export: DataExportType | None = strawberry.field(
        default=None, description="La demande enregistrée ; null si elle est refusée."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="Suppression de son compte : le mot de passe, ressaisi.")
class DeleteMyAccountInput:
    password: str = strawberry.field(
        description="Le mot de passe actuel du compte, ressaisi pour confirmer (faux :"
        " INVALID_CREDENTIALS ; après plusieurs erreurs, TOO_MANY_ATTEMPTS)."
    )


@strawberry.type
class DeleteMyAccountPayload:
    deleted: bool = strawberry.field(
        description="Vrai : le compte est supprimé, toutes ses sessions sont fermées (les"
        " jetons ne valent plus rien) et un e-mail de confirmation part."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)
