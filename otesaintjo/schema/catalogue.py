"""Catalogue types: products with their current price, photos, promotions, and the listings."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import enum_value, relay
from strawberry.types import Info

from otesaintjo import labels, models
from otesaintjo.schema.common import Money
from otesaintjo.schema.ids import encode_id, primary_keys
from otesaintjo.schema.loaded import selected_below, then
from otesaintjo.schema.pagination import CountedConnection, connection
from otesaintjo.schema.shops import ShopType
from otesaintjo.services import browse, reference_prices
from otesaintjo.services.browse import ProductFilters, ShopFilters
from otesaintjo.services.pricing import ActivePromotion, best_offer


@strawberry.enum(description="Taux de TVA de La Réunion.")
class VatRate(Enum):
    NORMAL = enum_value(850, description="Taux normal, 8,5 %.")
    REDUCED = enum_value(210, description="Taux réduit, 2,1 %.")
    SPECIAL = enum_value(105, description="Taux particulier, 1,05 %.")


@strawberry.enum(
    name="WithdrawalExclusion",
    description="Pourquoi un produit est exclu du droit de rétractation (art. L221-28 du Code"
    " de la consommation). Le client doit le savoir avant d'acheter : la fiche produit, chaque"
    " ligne du panier et l'e-mail de confirmation de commande le disent (withdrawalNotice).",
)
class WithdrawalExclusionEnum(Enum):
    PERISHABLE = enum_value(
        "PERISHABLE",
        description="Denrée qui se détériore ou se périme rapidement : pain, pâtisserie, viande,"
        " poisson, fruits et légumes frais, fleurs (art. L221-28 4°). Jamais retournable.",
    )
    PRESS = enum_value(
        "PRESS",
        description="Journal, périodique ou magazine, hors abonnement (art. L221-28 9°)."
        " Jamais retournable.",
    )
    CUSTOM_MADE = enum_value(
        "CUSTOM_MADE",
        description="Bien confectionné selon les spécifications du client ou nettement"
        " personnalisé (art. L221-28 3°). Jamais retournable.",
    )
    SEALED_HYGIENE = enum_value(
        "SEALED_HYGIENE",
        description="Bien scellé qui ne peut être renvoyé pour des raisons d'hygiène ou de"
        " protection de la santé (art. L221-28 5°) : retournable tant que le client ne l'a pas"
        " descellé après la livraison ; le commerçant refuse à réception un article descellé.",
    )
    SEALED_RECORDING = enum_value(
        "SEALED_RECORDING",
        description="Enregistrement audio ou vidéo, ou logiciel informatique, scellé (art."
        " L221-28 8°) : retournable tant que le client ne l'a pas descellé après la livraison ;"
        " le commerçant refuse à réception un article descellé.",
    )


WITHDRAWAL_EXCLUSION = (
    "Null : retournable dans le délai de rétractation. Sinon, la raison de l'exclusion (art."
    " L221-28 du Code de la consommation), à montrer avant l'achat."
)
WITHDRAWAL_NOTICE = (
    "La mention à afficher avant l'achat, en français : « Non retournable : denrée périssable"
    " (art. L221-28 4° du Code de la consommation) » ; null si le produit est retournable."
)


COMPARE_AT_PRICE = (
    "Le prix barré d'une promotion : le prix antérieur qu'impose l'art. L112-1-1 du Code de la"
    " consommation (directive « Omnibus », décret n° 2022-1347), seulement pendant une promotion"
    " (quand plusieurs promotions couvrent le produit, la plus avantageuse pour le client"
    " s'applique). C'est le prix le plus bas pratiqué pendant les 30 jours précédant le début de"
    " la réduction, promotions passées comprises. Réductions successives (une promotion qui"
    " commence pendant une autre, ou à l'instant où elle finit) : le prix antérieur reste celui"
    " d'avant la première. Historique de moins de 30 jours (produit mis en vente depuis moins"
    " longtemps) : le prix le plus bas depuis sa mise en vente. Denrées périssables"
    " (withdrawalExclusion PERISHABLE, « produits périssables menacés d'une altération rapide »)"
    " : la règle des 30 jours ne s'applique pas, le prix barré est le prix habituel pratiqué"
    " juste avant le début de la réduction. Null hors promotion, pour un produit jamais vendu"
    " avant la réduction, et quand ce prix antérieur n'est pas supérieur au prix actuel (aucune"
    " baisse ne peut alors être annoncée ; le prix promotionnel s'applique quand même) : sans"
    " prix barré, n'annoncez aucune réduction (ni badge, ni pourcentage)."
)


def exclusion_of(value: str | None) -> WithdrawalExclusionEnum | None:
    return WithdrawalExclusionEnum(value) if value is not None else None


@strawberry.enum(name="ProductSort", description="Ordre des produits.")
class ProductSortEnum(Enum):
    RELEVANCE = enum_value(
        "RELEVANCE",
        description="Les plus pertinents pour « search » d'abord (l'ordre par défaut d'une"
        " recherche) ; sans « search », comme NEWEST.",
    )
    PRICE_ASC = enum_value("PRICE_ASC", description="Prix actuel croissant (promotion comprise).")
    PRICE_DESC = enum_value(
        "PRICE_DESC", description="Prix actuel décroissant (promotion comprise)."
    )
    NEWEST = enum_value(
        "NEWEST", description="Les plus récents d'abord (l'ordre par défaut sans « search »)."
    )
    STOCK_ASC = enum_value(
        "STOCK_ASC",
        description="Stock le plus bas d'abord ; seulement dans Shop.products.",
    )


@strawberry.type(name="ProductImage", description="Photo normalisée en 400×400 sur fond blanc.")
class ProductImageType(relay.Node):
    id: relay.NodeID[int]
    url: str
    position: int

    @classmethod
    def from_row(cls, row: Any, info: Info) -> ProductImageType:
        """``row``: a photo's ``id``, ``key`` and ``position`` (``loaders.images_by_product_id``
        reads plain rows, not ``models.ProductImage`` objects)."""
        return cls(id=row.id, url=info.context.store.url(row.key), position=row.position)  # type: ignore[arg-type]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[ProductImageType | None]:
        return [None for _ in node_ids]  # reached through Product.images


@strawberry.type(name="Product", description="Un produit d'une boutique.")
class ProductType(relay.Node):
    id: relay.NodeID[int]
    name: str
    description: str
    category: str
    deliverable: bool = strawberry.field(
        description="Faux : retrait en boutique uniquement (surgelé, encombrant…)."
    )
    stock: int
    is_online: bool
    created_at: datetime
    row: strawberry.Private[Any]  # a models.Product, or a row of its columns

    @classmethod
    def from_row(cls, row: Any) -> ProductType:
        """``row``: a ``models.Product``, or a listing's plain row of its columns."""
        return cls(
            id=row.id,  # type: ignore[arg-type]
            name=row.name,
            description=row.description,
            category=row.category,
            deliverable=row.deliverable,
            stock=row.stock,
            is_online=row.is_online,
            created_at=row.created_at,
            row=row,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[ProductType | None]:
        loader = info.context.loaders.product_and_shop_by_id
        found = await loader.load_many(primary_keys(node_ids))
        shown = [
            pair[0]
            if pair is not None
            and (
                (pair[0].is_online and pair[1].is_active)
                or await info.context.manages_shop(pair[1].id)
            )
            else None
            for pair in found
        ]
        await prime_products(info, [row for row in shown if row is not None], selected_below(info))
        return [cls.from_row(row) if row is not None else None for row in shown]

    def _promotions(self, info: Info) -> Awaitable[list[ActivePromotion]]:
        return info.context.loaders.promotions_by_shop_id.load(self.row.shop_id)

    @strawberry.field(description="Prix TTC actuel, promotion comprise.", graphql_type=Money)
    def price(self, info: Info) -> Money | Awaitable[Money]:
        return then(
            self._promotions(info),
            lambda promotions: Money(cents=best_offer(self.row, promotions).price_cents),
        )

    @strawberry.field(description=COMPARE_AT_PRICE)
    async def compare_at_price(self, info: Info) -> Money | None:
        offer = best_offer(self.row, await self._promotions(info))
        if offer.promotion_id is None:
            return None
        loader = info.context.loaders.reference_price
        reference = await loader.load(reference_prices.Priced.of(self.row))
        crossed_out = reference_prices.announced(reference, offer.price_cents)
        return Money(cents=crossed_out) if crossed_out is not None else None

    @strawberry.field(
        description="Fin de la promotion en cours ; le prix habituel revient seul.",
        graphql_type=datetime | None,
    )
    def promotion_ends_at(self, info: Info) -> datetime | Awaitable[datetime | None] | None:
        return then(
            self._promotions(info), lambda promotions: best_offer(self.row, promotions).ends_at
        )

    @strawberry.field(description="Prix TTC habituel, hors promotion.")
    def regular_price(self) -> Money:
        return Money(cents=self.row.price_cents)

    @strawberry.field
    def vat_rate(self) -> VatRate:
        return VatRate(self.row.vat_bp)

    @strawberry.field(
        description=WITHDRAWAL_EXCLUSION + " Par défaut selon la catégorie du produit et celles"
        " de la boutique (boulangerie, boucherie, poissonnerie, primeur, fleuriste… : PERISHABLE ;"
        " presse : PRESS) ; le commerçant la change (createProduct, updateProduct)."
    )
    def withdrawal_exclusion(self) -> WithdrawalExclusionEnum | None:
        return exclusion_of(self.row.withdrawal_exclusion)

    @strawberry.field(description=WITHDRAWAL_NOTICE)
    def withdrawal_notice(self) -> str | None:
        return labels.withdrawal_notice(self.row.withdrawal_exclusion)

    @strawberry.field(
        description="Le seuil d'alerte de stock bas (null : pas d'alerte) ; pour les"
        " commerçants de la boutique seulement (null pour les autres)."
    )
    async def low_stock_threshold(self, info: Info) -> int | None:
        if not await info.context.manages_shop(self.row.shop_id):
            return None
        return self.row.low_stock_threshold

    @strawberry.field(
        description="Mis hors ligne automatiquement quand le stock tombe à 0 ; pour les"
        " commerçants de la boutique seulement (null pour les autres)."
    )
    async def offline_at_zero(self, info: Info) -> bool | None:
        if not await info.context.manages_shop(self.row.shop_id):
            return None
        return self.row.offline_at_zero

    @strawberry.field(
        description="Faux quand le stock est à 0 : le produit ne peut pas être ajouté au panier."
    )
    def available(self) -> bool:
        return self.row.stock > 0 and self.row.is_online

    @strawberry.field(graphql_type=ShopType)
    def shop(self, info: Info) -> ShopType | Awaitable[ShopType]:
        if _has_shop_card(self.row):
            return ShopType.from_card(self.row)
        return then(info.context.loaders.shop_by_id.load(self.row.shop_id), ShopType.from_row)

    @strawberry.field(graphql_type=list[ProductImageType])
    def images(self, info: Info) -> list[ProductImageType] | Awaitable[list[ProductImageType]]:
        return then(
            info.context.loaders.images_by_product_id.load(self.id),
            lambda rows: [ProductImageType.from_row(row, info) for row in rows],
        )


OFFER_FIELDS = frozenset({"price", "compareAtPrice", "promotionEndsAt"})


def _has_shop_card(row: Any) -> bool:
    """A listing's row carries its shop's card (``browse.SHOP_CARD``); a ``Product`` not."""
    return hasattr(row, "shop_name")


async def prime_products(info: Info, rows: list[Any], fields: set[str]) -> None:
    """Load, in one batch per loader, what the selected ``fields`` of these products show
    (their shops' promotions, their shops, their photos): their fields then answer at once."""
    if not rows:
        return
    loaders = info.context.loaders
    shop_ids = sorted({row.shop_id for row in rows})
    # One after the other: they share the request's one connection anyway.
    if fields & OFFER_FIELDS:
        await loaders.fill(loaders.promotions_by_shop_id, shop_ids)
    if "shop" in fields and not _has_shop_card(rows[0]):
        await loaders.fill(loaders.shop_by_id, shop_ids)
    if "images" in fields:
        await loaders.fill(loaders.images_by_product_id, [row.id for row in rows])


@strawberry.enum(name="PromotionKind")
class PromotionKindEnum(Enum):
    PERCENT = enum_value(
        "PERCENT", description="Un pourcentage du prix (« value » en points de base)."
    )
    AMOUNT = enum_value(
        "AMOUNT",
        description="Un montant retiré du prix de chaque article (« value » en centimes),"
        " sans descendre sous zéro.",
    )


@strawberry.type(name="Promotion", description="Une baisse de prix jusqu'à une date de fin.")
class PromotionType:
    id: strawberry.ID
    name: str
    kind: PromotionKindEnum
    percent_off: float | None = strawberry.field(description="Pourcentage, pour PERCENT.")
    amount_off: Money | None = strawberry.field(description="Montant retiré, pour AMOUNT.")
    all_products: bool
    starts_at: datetime
    ends_at: datetime
    ended_at: datetime | None = strawberry.field(description="Arrêtée avant sa fin prévue.")

    @classmethod
    def from_row(cls, row: models.Promotion) -> PromotionType:
        percent = row.kind == models.PromotionKind.PERCENT
        return cls(
            id=encode_id("Promotion", row.id),  # type: ignore[arg-type]
            name=row.name,
            kind=PromotionKindEnum(row.kind),
            percent_off=row.value / 100 if percent else None,
            amount_off=None if percent else Money(cents=row.value),
            all_products=row.all_products,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            ended_at=row.ended_at,
        )


@strawberry.type(name="ProductConnection")
class ProductConnection(CountedConnection[ProductType]):
    pass


@strawberry.type(name="ShopConnection")
class ShopConnection(CountedConnection[ShopType]):
    pass


async def list_products(
    info: Info, filters: ProductFilters, first: int | None, after: str | None
) -> ProductConnection:
    ctx = info.context
    if browse.orders_by_stock_across_shops(filters) and ctx.cache_scope is not None:
        # A sale at any shop may reorder it, not only at the shops the page shows.
        ctx.cache_scope.refuse("stock order across shops")
    factory, dialect = ctx.reads, ctx.settings.database_dialect
    scope = ctx.cache_scope

    def read(rows: list[Any]) -> None:
        if scope is not None:  # plain rows: no ORM object reports their shops to the cache
            scope.record_shops(row.shop_id for row in rows)

    page = await connection(
        ProductConnection,
        lambda limit: browse.products_page(
            factory, filters, dialect, ctx.now, limit=limit, after=after, on_rows=read
        ),
        first,
        ProductType.from_row,
    )
    shown = [edge.node.row for edge in page.edges]
    await prime_products(info, shown, selected_below(info, "edges", "node"))
    return page


async def list_shops(
    info: Info, filters: ShopFilters, first: int | None, after: str | None
) -> ShopConnection:
    ctx = info.context
    factory, dialect = ctx.reads, ctx.settings.database_dialect
    return await connection(
        ShopConnection,
        lambda limit: browse.shops_page(factory, filters, dialect, limit=limit, after=after),
        first,
        lambda row: ShopType.from_row(row[0]),
    )
