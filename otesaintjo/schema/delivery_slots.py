"""Delivery slots: the weekly slots a merchant publishes, and their dated occurrences in a cart."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from otesaintjo import labels, models
from otesaintjo.schema.errors import UserError
from otesaintjo.schema.ids import primary_keys
from otesaintjo.schema.shops import ShopType, Weekday
from otesaintjo.services.delivery_slots import MAX_CAPACITY, MAX_CUTOFF_HOURS, Occurrence

CUTOFF = (
    "Heure limite de réservation, en heures avant le début du créneau (0 à"
    f" {MAX_CUTOFF_HOURS}) : passé ce moment, le créneau de ce jour ne se réserve plus."
)
CAPACITY = f"Commandes au plus par créneau et par jour (1 à {MAX_CAPACITY})."


@strawberry.type(
    name="DeliverySlot",
    description="Un créneau de livraison hebdomadaire d'une boutique qui livre elle-même"
    " (heure de La Réunion) ; CartShop.deliverySlots en donne les dates réservables.",
)
class DeliverySlotType(relay.Node):
    id: relay.NodeID[int]
    row: strawberry.Private[models.DeliverySlot]
    day: Weekday = strawberry.field(description="Le jour de la semaine.")
    starts: str = strawberry.field(description="Début, HH:MM.")
    ends: str = strawberry.field(description="Fin, HH:MM.")
    cutoff_hours: int = strawberry.field(description=CUTOFF)

    @classmethod
    def from_row(cls, row: models.DeliverySlot) -> DeliverySlotType:
        return cls(
            id=row.id,  # type: ignore[arg-type]
            row=row,
            day=Weekday(row.weekday),
            starts=row.starts,
            ends=row.ends,
            cutoff_hours=row.cutoff_hours,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[DeliverySlotType | None]:
        """Visible as its shop is: an inactive shop's slots to its merchants only."""
        ctx = info.context
        rows = await ctx.loaders.delivery_slot_by_id.load_many(primary_keys(node_ids))
        shops = await ctx.loaders.shop_by_id.load_many([r.shop_id if r else -1 for r in rows])
        return [
            cls.from_row(row)
            if row is not None
            and shop is not None
            and (shop.is_active or await ctx.manages_shop(shop.id))
            else None
            for row, shop in zip(rows, shops, strict=True)
        ]

    @strawberry.field(description=CAPACITY + " Null sauf pour les commerçants de la boutique.")
    async def capacity(self, info: Info) -> int | None:
        return self.row.capacity if await info.context.manages_shop(self.row.shop_id) else None

    @strawberry.field(description="La boutique du créneau.")
    async def shop(self, info: Info) -> ShopType:
        return ShopType.from_row(await info.context.loaders.shop_by_id.load(self.row.shop_id))


@strawberry.type(
    description="Un créneau à une date : ce que le client choisit (cartSetDeliverySlot)."
)
class DeliverySlotOccurrence:
    slot: DeliverySlotType = strawberry.field(description="Le créneau hebdomadaire.")
    date: date = strawberry.field(description="Le jour (heure de La Réunion).")
    starts_at: datetime = strawberry.field(description="Début de la livraison.")
    ends_at: datetime = strawberry.field(description="Fin de la livraison.")
    remaining: int = strawberry.field(description="Places encore libres ce jour-là.")
    label: str = strawberry.field(description="« mardi 8 décembre entre 14 h et 16 h ».")

    @classmethod
    def of(cls, occurrence: Occurrence) -> DeliverySlotOccurrence:
        return cls(
            slot=DeliverySlotType.from_row(occurrence.slot),
            date=occurrence.day,
            starts_at=occurrence.starts_at,
            ends_at=occurrence.ends_at,
            remaining=occurrence.remaining,
            label=labels.slot_label(occurrence.starts_at, occurrence.ends_at),
        )


@strawberry.input(description="Un créneau de livraison à publier.")
class CreateDeliverySlotInput:
    shop_id: strawberry.ID = strawberry.field(description="Sa boutique (qui livre elle-même).")
    day: Weekday = strawberry.field(description="Le jour de la semaine.")
    starts: str = strawberry.field(description="Début, HH:MM (heure de La Réunion).")
    ends: str = strawberry.field(
        description="Fin, HH:MM, après le début ; sans chevaucher un autre créneau du même jour."
    )
    capacity: int = strawberry.field(description=CAPACITY)
    cutoff_hours: int = strawberry.field(default=0, description=CUTOFF)


@strawberry.input(
    description="Les champs à changer d'un créneau ; les commandes déjà passées gardent"
    " l'horaire vendu."
)
class UpdateDeliverySlotInput:
    slot_id: strawberry.ID = strawberry.field(description="Le créneau (DeliverySlot.id).")
    day: Weekday | None = strawberry.field(default=None, description="Le jour de la semaine.")
    starts: str | None = strawberry.field(default=None, description="Début, HH:MM.")
    ends: str | None = strawberry.field(default=None, description="Fin, HH:MM.")
    capacity: int | None = strawberry.field(default=None, description=CAPACITY)
    cutoff_hours: int | None = strawberry.field(default=None, description=CUTOFF)


@strawberry.input(
    description="Le créneau à retirer : il n'est plus proposé ; les commandes déjà passées"
    " gardent leur horaire."
)
class DeleteDeliverySlotInput:
    slot_id: strawberry.ID = strawberry.field(description="Le créneau (DeliverySlot.id).")


@strawberry.type
class CreateDeliverySlotPayload:
    delivery_slot: DeliverySlotType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UpdateDeliverySlotPayload:
    delivery_slot: DeliverySlotType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteDeliverySlotPayload:
    shop: ShopType | None = strawberry.field(
        default=None, description="La boutique, avec ses créneaux restants."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)
