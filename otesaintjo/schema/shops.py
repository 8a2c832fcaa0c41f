"""Shop types: the public page of a shop, and the details only its merchants see."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from enum import Enum
from operator import attrgetter
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry
from strawberry import enum_value, relay
from strawberry.types import Info

from otesaintjo import models
from otesaintjo.schema.common import Money
from otesaintjo.schema.ids import encode_id, primary_keys
from otesaintjo.schema.legal_identity import SellerLegalNotice, ShopLegalIdentityType
from otesaintjo.schema.loaded import then
from otesaintjo.schema.pagination import After, First
from otesaintjo.services import shops

T = TypeVar("T")

if TYPE_CHECKING:
    from otesaintjo.schema.after_sale import Rating, ShopReviewConnection
    from otesaintjo.schema.catalogue import ProductConnection, ProductSortEnum
    from otesaintjo.schema.delivery_slots import DeliverySlotType
    from otesaintjo.schema.orders import OrderConnection, OrderStatusEnum, ShopPayouts
    from otesaintjo.schema.returns import ReturnConnection, ReturnStatusEnum


@strawberry.enum(description="Jour de la semaine (heures de La Réunion).")
class Weekday(Enum):
    MONDAY = enum_value("mon", description="Lundi.")
    TUESDAY = enum_value("tue", description="Mardi.")
    WEDNESDAY = enum_value("wed", description="Mercredi.")
    THURSDAY = enum_value("thu", description="Jeudi.")
    FRIDAY = enum_value("fri", description="Vendredi.")
    SATURDAY = enum_value("sat", description="Samedi.")
    SUNDAY = enum_value("sun", description="Dimanche.")


@strawberry.type(
    description="Une plage d'ouverture pour le retrait en boutique (HH:MM, heure locale)."
)
class OpeningRange:
    day: Weekday
    opens: str
    closes: str


@strawberry.type(description="Une fermeture exceptionnelle.")
class Closure:
    date: date
    reason: str


@strawberry.type
class Address:
    street: str
    postcode: str
    town: str
    latitude: float | None
    longitude: float | None


@strawberry.type(description="Livraison par le commerçant lui-même, dans ces codes postaux.")
class MerchantDelivery:
    postcodes: list[str]
    fee: Money


@strawberry.type(description="Modes de livraison proposés par la boutique.")
class DeliveryOptions:
    merchant_delivery: MerchantDelivery | None
    free_delivery_always: bool = strawberry.field(
        description="Livraison offerte sur toute commande."
    )
    free_delivery_over: Money | None = strawberry.field(
        description="Livraison offerte à partir de ce montant."
    )
    colissimo_fee: Money | None = strawberry.field(
        description="Expédition partout en France par Colissimo, à ce tarif ; null si non proposée."
    )


@strawberry.type(description="Rubrique « À propos » de la boutique.")
class ShopAbout:
    description: str
    website: str | None = strawberry.field(
        description="Site du commerçant : montré au public dès que la boutique a au moins"
        " 2 produits en ligne ; toujours visible par ses commerçants."
    )


PRIVATE_DETAILS = (
    "Coordonnées et identité légale, visibles des seuls commerçants de la boutique et du personnel."
)


@strawberry.type(description=PRIVATE_DETAILS)
class ShopMerchantDetails:
    manager_first_name: str
    manager_last_name: str
    email: str
    phone: str = strawberry.field(
        description="Mobile au format E.164 (SMS des nouvelles commandes)."
    )
    siret: str
    legal_identity: ShopLegalIdentityType = strawberry.field(
        description="L'identité légale du vendeur, ce qu'il y manque, les factures en attente."
    )


@strawberry.enum(name="ShopRole", description="Gérant (OWNER) ou équipier (STAFF).")
class ShopRoleEnum(Enum):
    OWNER = enum_value(
        "OWNER",
        description="Gérant : tout ce que fait un équipier, plus l'équipe (addShopMember,"
        " removeShopMember).",
    )
    STAFF = enum_value(
        "STAFF",
        description="Équipier : gère la boutique, ses produits et ses commandes, pas l'équipe.",
    )


@strawberry.type(name="ShopMember", description="Une personne qui gère la boutique.")
class ShopMemberType:
    user_id: strawberry.ID
    first_name: str
    last_name: str
    email: str
    role: ShopRoleEnum
    since: datetime


_SHOWN_FIELDS = ("id", "slug", "name", "street", "postcode", "town", "latitude", "longitude")
_SHOWN = attrgetter(*_SHOWN_FIELDS)  # what every shop shows at once, from its row
_CARD = attrgetter(*(f"shop_{name}" for name in _SHOWN_FIELDS))  # from a listing's row


@strawberry.type(name="Shop", description="Une boutique de Saint-Joseph.")
class ShopType(relay.Node):
    id: relay.NodeID[int]
    slug: str
    name: str
    address: Address
    row: strawberry.Private[models.Shop | None]
    """The shop's row; None for a shop shown on a product card (``from_card``): a field that
    needs more than the card reads the row then."""

    @classmethod
    def from_card(cls, row: Any) -> ShopType:
        """The shop of a product listing's row: its ``SHOP_CARD`` columns, read with the
        products (``services/browse.py``), its other fields loaded only if asked."""
        return cls._shown(_CARD(row), None)

    @classmethod
    def _shown(cls, values: tuple[Any, ...], row: models.Shop | None) -> ShopType:
        id_, slug, name, street, postcode, town, latitude, longitude = values
        return cls(
            id=id_,
            slug=slug,
            name=name,
            address=Address(
                street=street, postcode=postcode, town=town, latitude=latitude, longitude=longitude
            ),
            row=row,
        )

    def _with_row(self, info: Info, apply: Callable[[models.Shop], T]) -> T | Awaitable[T]:
        if self.row is not None:
            return apply(self.row)
        return then(info.context.loaders.shop_by_id.load(self.id), apply)

    async def _row(self, info: Info) -> models.Shop:
        return self.row or await info.context.loaders.shop_by_id.load(self.id)

    @classmethod
    def from_row(cls, row: models.Shop) -> ShopType:
        return cls._shown(_SHOWN(row), row)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[ShopType | None]:
        rows = await info.context.loaders.shop_by_id.load_many(primary_keys(node_ids))
        return [
            cls.from_row(row)
            if row is not None and (row.is_active or await info.context.manages_shop(row.id))
            else None
            for row in rows
        ]

    @strawberry.field(
        description="Les commandes de la boutique, récentes d'abord (ses commerçants seulement)."
    )
    async def orders(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        status: Annotated[
            Annotated[OrderStatusEnum, strawberry.lazy("otesaintjo.schema.orders")] | None,
            strawberry.argument(description="Seulement les commandes dans cet état."),
        ] = None,
    ) -> Annotated[OrderConnection, strawberry.lazy("otesaintjo.schema.orders")] | None:
        if not await info.context.manages_shop(self.id):
            return None
        from otesaintjo.schema.orders import order_page

        return await order_page(info, shop_id=self.id, first=first, after=after, status=status)

    @strawberry.field(description="Les retours de la boutique, récents d'abord (ses commerçants).")
    async def returns(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        status: Annotated[
            Annotated[ReturnStatusEnum, strawberry.lazy("otesaintjo.schema.returns")] | None,
            strawberry.argument(description="Seulement les retours dans cet état."),
        ] = None,
    ) -> Annotated[ReturnConnection, strawberry.lazy("otesaintjo.schema.returns")] | None:
        if not await info.context.manages_shop(self.id):
            return None
        from otesaintjo.schema.returns import return_page

        return await return_page(info, self.id, first, after, status)

    @strawberry.field(description="Note moyenne des avis visibles.")
    async def rating(
        self, info: Info
    ) -> Annotated[Rating, strawberry.lazy("otesaintjo.schema.after_sale")]:
        from otesaintjo.schema.after_sale import Rating

        count, total = await info.context.loaders.rating_by_shop_id.load(self.id)
        return Rating(average=round(total / count, 1) if count else None, count=count)

    @strawberry.field(description="Les avis visibles, récents d'abord.")
    async def reviews(
        self, info: Info, first: First = 20, after: After = None
    ) -> Annotated[ShopReviewConnection, strawberry.lazy("otesaintjo.schema.after_sale")]:
        from otesaintjo.schema.after_sale import review_page

        return await review_page(info, self.id, first, after)

    @strawberry.field(description="Les versements Stripe (ses commerçants seulement).")
    async def payouts(
        self, info: Info
    ) -> Annotated[ShopPayouts, strawberry.lazy("otesaintjo.schema.orders")] | None:
        if not await info.context.manages_shop(self.id):
            return None
        from otesaintjo.schema.orders import ShopPayouts

        return ShopPayouts.from_row(await self._row(info))

    @strawberry.field
    async def categories(self, info: Info) -> list[str]:
        return await info.context.loaders.categories_by_shop_id.load(self.id)

    @strawberry.field(graphql_type=list[OpeningRange])
    def pickup_hours(self, info: Info) -> list[OpeningRange] | Awaitable[list[OpeningRange]]:
        return self._with_row(info, _pickup_hours)

    @strawberry.field(graphql_type=list[Closure])
    def closures(self, info: Info) -> list[Closure] | Awaitable[list[Closure]]:
        return self._with_row(info, _closures)

    @strawberry.field(graphql_type=DeliveryOptions)
    def delivery(self, info: Info) -> DeliveryOptions | Awaitable[DeliveryOptions]:
        return self._with_row(info, _delivery)

    @strawberry.field(
        description="Les créneaux de livraison hebdomadaires de la boutique quand elle livre"
        " elle-même (du lundi au dimanche, puis par heure) ; vide si elle n'en publie pas."
        " Les dates réservables sont dans CartShop.deliverySlots."
    )
    async def delivery_slots(
        self, info: Info
    ) -> list[Annotated[DeliverySlotType, strawberry.lazy("otesaintjo.schema.delivery_slots")]]:
        from otesaintjo.schema.delivery_slots import DeliverySlotType

        rows = await info.context.loaders.delivery_slots_by_shop_id.load(self.id)
        order = {day: position for position, day in enumerate(w.value for w in Weekday)}
        rows = sorted(rows, key=lambda r: (order[r.weekday], r.starts, r.id))
        return [DeliverySlotType.from_row(row) for row in rows]

    @strawberry.field(
        description="Photo de couverture (URL stable), si la boutique en a une.",
        graphql_type=str | None,
    )
    def cover_photo_url(self, info: Info) -> str | Awaitable[str | None] | None:
        store = info.context.store
        return self._with_row(
            info, lambda row: store.url(row.cover_image_key) if row.cover_image_key else None
        )

    @strawberry.field
    async def about(self, info: Info) -> ShopAbout:
        ctx = info.context
        row = await self._row(info)
        website = row.website
        if website:  # the rights, then the count (only if it matters), read only for a site
            manages = await ctx.manages_shop(self.id)
            online = 0 if manages else await ctx.loaders.online_products_by_shop_id.load(self.id)
            website = shops.visible_website(website, online, manages)
        return ShopAbout(description=row.description, website=website)

    @strawberry.field(
        description="Les mentions légales du vendeur (dénomination, forme, immatriculation,"
        " TVA), publiques comme sur ses factures ; null tant que son identité légale est"
        " incomplète.",
        graphql_type=SellerLegalNotice | None,
    )
    def legal_notice(
        self, info: Info
    ) -> SellerLegalNotice | Awaitable[SellerLegalNotice | None] | None:
        return self._with_row(info, SellerLegalNotice.of)

    @strawberry.field(
        description="Le visiteur gère-t-il cette boutique (afficher les outils du commerçant) ?"
    )
    async def viewer_can_manage(self, info: Info) -> bool:
        return await info.context.manages_shop(self.id)

    @strawberry.field(description="Null sauf pour les commerçants de la boutique et le personnel.")
    async def merchant_details(self, info: Info) -> ShopMerchantDetails | None:
        if not await info.context.manages_shop(self.id):
            return None
        row = await self._row(info)
        return ShopMerchantDetails(
            manager_first_name=row.manager_first_name,
            manager_last_name=row.manager_last_name,
            email=row.email,
            phone=row.phone,
            siret=row.siret,
            legal_identity=ShopLegalIdentityType.from_row(row),
        )

    @strawberry.field(description="L'équipe de la boutique ; null sauf pour ses commerçants.")
    async def members(self, info: Info) -> list[ShopMemberType] | None:
        if not await info.context.manages_shop(self.id):
            return None
        rows = await info.context.loaders.members_by_shop_id.load(self.id)
        return [
            ShopMemberType(
                user_id=encode_id("User", user.id),
                first_name=user.first_name,
                last_name=user.last_name,
                email=user.email,
                role=ShopRoleEnum(member.role),
                since=member.created_at,
            )
            for member, user in rows
        ]

    @strawberry.field(
        description="Produits de la boutique. Ses commerçants voient aussi ceux hors ligne"
        " (tri STOCK_ASC : stock bas d'abord)."
    )
    async def products(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        sort: Annotated[
            Annotated[ProductSortEnum, strawberry.lazy("otesaintjo.schema.catalogue")] | None,
            strawberry.argument(
                description="L'ordre ; par défaut RELEVANCE avec « search », NEWEST sans."
            ),
        ] = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Recherche dans le nom, la description et la catégorie : tous"
                " les mots (8 au plus), en début de mot, sans tenir compte des accents."
            ),
        ] = None,
    ) -> Annotated[ProductConnection, strawberry.lazy("otesaintjo.schema.catalogue")]:
        from otesaintjo.schema.catalogue import list_products
        from otesaintjo.services.browse import ProductFilters, ProductSort

        filters = ProductFilters(
            shop_id=self.id,
            search=search,
            sort=ProductSort(sort.value) if sort else None,
            include_offline=await info.context.manages_shop(self.id),
        )
        return await list_products(info, filters, first, after)


# What a shop's fields show of its row (``ShopType._with_row``).


def _pickup_hours(row: models.Shop) -> list[OpeningRange]:
    return [
        OpeningRange(day=Weekday(day), opens=opens, closes=closes)
        for day in (d.value for d in Weekday)
        for opens, closes in row.pickup_hours.get(day, [])
    ]


def _closures(row: models.Shop) -> list[Closure]:
    return [Closure(date=date.fromisoformat(c["date"]), reason=c["reason"]) for c in row.closures]


def _delivery(row: models.Shop) -> DeliveryOptions:
    own = (
        MerchantDelivery(
            postcodes=row.delivery_postcodes, fee=Money(cents=row.delivery_fee_cents or 0)
        )
        if row.delivery_postcodes
        else None
    )
    return DeliveryOptions(
        merchant_delivery=own,
        free_delivery_always=row.free_delivery_always,
        free_delivery_over=Money(cents=row.free_delivery_over_cents)
        if row.free_delivery_over_cents is not None
        else None,
        colissimo_fee=Money(cents=row.colissimo_fee_cents)
        if row.colissimo_fee_cents is not None
        else None,
    )
