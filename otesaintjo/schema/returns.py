"""Returns (withdrawal) as the customer, the shop's merchants and staff see them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum

import strawberry
from strawberry import enum_value, relay
from strawberry.types import Info

from otesaintjo import models
from otesaintjo.schema.common import Money
from otesaintjo.schema.errors import UserError
from otesaintjo.schema.ids import primary_keys
from otesaintjo.schema.pagination import CountedConnection, connection
from otesaintjo.services import access, returns
from otesaintjo.services.withdrawal import WITHDRAWAL_DAYS


@strawberry.enum(
    name="ReturnStatus",
    description="REQUESTED → RECEIVED (bon état, remboursement en cours) → REFUNDED, "
    "ou REFUSED (arrivé endommagé : pas de remboursement).",
)
class ReturnStatusEnum(Enum):
    REQUESTED = enum_value(
        "REQUESTED", description="Demandé : les articles sont attendus à la boutique."
    )
    RECEIVED = enum_value(
        "RECEIVED", description="Reçu en bon état : le remboursement est en cours."
    )
    REFUNDED = enum_value("REFUNDED", description="Remboursé au client.")
    REFUSED = enum_value(
        "REFUSED", description="Refusé : articles arrivés endommagés, pas de remboursement."
    )


@strawberry.enum(description="L'état des articles à leur retour en boutique.")
class ReturnCondition(Enum):
    GOOD = enum_value("GOOD", description="Bon état : le client est remboursé.")
    DAMAGED = enum_value("DAMAGED", description="Endommagés : le remboursement est refusé.")


async def can_see_return(info: Info, row: models.OrderReturn) -> bool:
    return await access.may_see_return(info.context.user, row, info.context.member_of)


@strawberry.type(
    name="Return",
    description=f"Une rétractation ({WITHDRAWAL_DAYS} jours après réception). Remboursé : le "
    "prix des articles retournés, plus les frais de livraison d'origine avec le retour qui "
    "complète toute la commande (un retour partiel ne rembourse pas la livraison tant que le "
    "reste n'est pas revenu) ; jamais les frais de retour, à la charge du client.",
)
class ReturnType(relay.Node):
    id: relay.NodeID[int]
    row: strawberry.Private[models.OrderReturn]
    status: ReturnStatusEnum
    reason: str | None
    condition: ReturnCondition | None
    merchant_note: str | None
    refund: Money = strawberry.field(description="Ce qui est (ou sera) remboursé.")
    delivery_fee_refunded: Money
    created_at: datetime
    received_at: datetime | None
    refunded_at: datetime | None

    @classmethod
    def from_row(cls, row: models.OrderReturn) -> ReturnType:
        return cls(
            id=row.id,  # type: ignore[arg-type]
            row=row,
            status=ReturnStatusEnum(row.status),
            reason=row.reason,
            condition=ReturnCondition(row.condition) if row.condition else None,
            merchant_note=row.merchant_note,
            refund=Money(cents=row.refund_cents),
            delivery_fee_refunded=Money(cents=row.delivery_fee_cents),
            created_at=row.created_at,
            received_at=row.received_at,
            refunded_at=row.refunded_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ReturnType | None]:
        rows = await info.context.loaders.return_by_id.load_many(primary_keys(node_ids))
        return [
            cls.from_row(row) if row and await can_see_return(info, row) else None for row in rows
        ]


@strawberry.type(name="ReturnConnection")
class ReturnConnection(CountedConnection[ReturnType]):
    pass


async def return_page(
    info: Info,
    shop_id: int,
    first: int | None,
    after: str | None,
    status: ReturnStatusEnum | None,
) -> ReturnConnection:
    factory = info.context.reads
    wanted = status.value if status is not None else None
    return await connection(
        ReturnConnection,
        lambda limit: returns.returns_page(factory, shop_id, wanted, limit=limit, after=after),
        first,
        lambda row: ReturnType.from_row(row[0]),
    )


@strawberry.input
class ReturnLineInput:
    order_line_id: strawberry.ID = strawberry.field(
        description="La ligne de la commande (OrderLine.id)."
    )
    quantity: int = strawberry.field(
        description="Combien d'exemplaires retourner : au moins 1, au plus ce qui n'a pas"
        " déjà été retourné."
    )


@strawberry.input
class RequestReturnInput:
    order_id: strawberry.ID = strawberry.field(
        description="La commande, reçue (livrée ou retirée) depuis 14 jours au plus."
    )
    lines: list[ReturnLineInput] = strawberry.field(
        description="Les articles retournés, au moins un."
    )
    reason: str | None = strawberry.field(default=None, description="Facultatif.")


@strawberry.input
class ConfirmReturnReceivedInput:
    return_id: strawberry.ID = strawberry.field(
        description="Le retour (Return.id), à l'état REQUESTED."
    )
    condition: ReturnCondition = strawberry.field(
        description="L'état des articles reçus : GOOD rembourse, DAMAGED refuse."
    )
    note: str | None = strawberry.field(
        default=None,
        description="Note du commerçant (1000 caractères au plus), lisible dans"
        " Return.merchantNote ; envoyée au client avec un refus.",
    )


@strawberry.type
class ReturnPayload:
    order_return: ReturnType | None = strawberry.field(default=None, name="return")
    user_errors: list[UserError] = strawberry.field(default_factory=list)
