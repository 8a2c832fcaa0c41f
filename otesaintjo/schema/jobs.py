"""The outbox seen by staff: dead letters (jobs that failed for good) and their replay."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from otesaintjo import models
from otesaintjo.schema.errors import UserError
from otesaintjo.schema.pagination import CountedConnection
from otesaintjo.services import jobs


@strawberry.type(
    name="OutboxJobDetail",
    description="Un renseignement lisible d'une tâche : à qui, à propos de quoi.",
)
class OutboxJobDetailType:
    name: str = strawberry.field(
        description="Le nom du renseignement : to (destinataire), subject, email, order_id,"
        " purchase_id, refund_id, message_id…"
    )
    value: str = strawberry.field(description="Sa valeur.")


@strawberry.type(
    name="OutboxJob",
    description="Une tâche de la file d'envoi (e-mail, SMS, virement, remboursement,"
    " expiration, alerte), telle que le personnel peut la voir : jamais son contenu (un"
    " e-mail porte des liens de connexion ou de réinitialisation).",
)
class OutboxJobType(relay.Node):
    id: relay.NodeID[int]
    kind: str = strawberry.field(
        description="Le genre de tâche : email.send, sms.send, payments.transfer,"
        " payments.refund, checkout.expire…"
    )
    attempts: int = strawberry.field(
        description="Tentatives faites depuis sa création ou sa dernière relance."
    )
    last_error: str | None = strawberry.field(
        description="La dernière erreur, ce qui ressemble à un secret masqué."
    )
    details: list[OutboxJobDetailType] = strawberry.field(
        description="À qui, à propos de quoi (destinataire, objet, commande…)."
    )
    created_at: datetime = strawberry.field(description="Écrite avec le changement qui l'a causée.")
    run_at: datetime = strawberry.field(
        description="Prochaine tentative prévue (ou la dernière faite)."
    )
    failed_at: datetime | None = strawberry.field(
        description="Abandonnée à cette date après le nombre maximal de tentatives (lettre"
        " morte) ; nul une fois relancée."
    )
    done_at: datetime | None = strawberry.field(description="Faite à cette date.")

    @classmethod
    def from_row(cls, row: models.Job) -> OutboxJobType:
        return cls(
            id=row.id,  # type: ignore[arg-type]
            kind=row.kind,
            attempts=row.attempts,
            last_error=jobs.masked_error(row.last_error),
            details=[
                OutboxJobDetailType(name=name, value=value)
                for name, value in jobs.safe_details(row.payload)
            ],
            created_at=row.created_at,
            run_at=row.run_at,
            failed_at=row.failed_at,
            done_at=row.done_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[OutboxJobType | None]:
        """Read through ``failedJobs`` (staff) only."""
        return [None for _ in node_ids]


@strawberry.type(name="OutboxJobConnection")
class OutboxJobConnection(CountedConnection[OutboxJobType]):
    pass


@strawberry.input
class ReplayJobInput:
    job_id: strawberry.ID = strawberry.field(
        description="Une tâche abandonnée (OutboxJob.id, lu dans failedJobs)."
    )


@strawberry.type
class ReplayJobPayload:
    job: OutboxJobType | None = strawberry.field(
        default=None, description="La tâche, due maintenant, ses tentatives remises à zéro."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)
