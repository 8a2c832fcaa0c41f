"""Public browsing: shops, a shop by slug, products, with filters and search."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from otesaintjo.schema.catalogue import (
    ProductConnection,
    ProductSortEnum,
    ShopConnection,
    list_products,
    list_shops,
)
from otesaintjo.schema.errors import bad_input
from otesaintjo.schema.ids import decode_id
from otesaintjo.schema.pagination import After, First
from otesaintjo.schema.permissions import Public
from otesaintjo.schema.shops import ShopType
from otesaintjo.services import shops as shop_service
from otesaintjo.services.browse import Near, ProductFilters, ProductSort, ShopFilters

MAX_RADIUS_KM = 50.0
MAX_SEARCH = 200
SEARCH = (
    f"{MAX_SEARCH} caractères au plus : tous les mots (8 au plus), en début de mot, sans tenir"
    " compte des accents ni de la casse."
)


@strawberry.input(description="Autour d'un point, dans un rayon en kilomètres (50 au plus).")
class NearInput:
    latitude: float = strawberry.field(description="Latitude du point, en degrés décimaux.")
    longitude: float = strawberry.field(description="Longitude du point, en degrés décimaux.")
    radius_km: float = strawberry.field(
        description=f"Rayon en kilomètres : plus de 0, {MAX_RADIUS_KM:g} au plus."
    )


def _search(text: str | None) -> str | None:
    if text is not None and len(text) > MAX_SEARCH:
        raise bad_input(f"Recherche limitée à {MAX_SEARCH} caractères.")
    return text.strip() or None if text else None


@strawberry.type
class BrowseQueries:
    @strawberry.field(
        permission_classes=[Public],
        description="Les boutiques actives, par nom (par distance avec « near », par pertinence"
        " avec « search »).",
    )
    async def shops(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Recherche dans le nom, la description et la commune ; " + SEARCH
            ),
        ] = None,
        category: Annotated[
            str | None,
            strawberry.argument(
                description="Seulement les boutiques de cette catégorie (son slug, ex."
                " « epicerie-fine »)."
            ),
        ] = None,
        near: Annotated[
            NearInput | None,
            strawberry.argument(
                description="Seulement les boutiques situées dans ce rayon ; les plus proches"
                " d'abord, sauf avec « search »."
            ),
        ] = None,
        postcode: Annotated[
            str | None,
            strawberry.argument(description="Seulement les boutiques de ce code postal."),
        ] = None,
    ) -> ShopConnection:
        if near is not None and not (0 < near.radius_km <= MAX_RADIUS_KM):
            raise bad_input(f"Le rayon doit être compris entre 0 et {MAX_RADIUS_KM:g} km.")
        filters = ShopFilters(
            search=_search(search),
            category=category,
            near=Near(near.latitude, near.longitude, near.radius_km) if near else None,
            postcode=postcode,
        )
        return await list_shops(info, filters, first, after)

    @strawberry.field(permission_classes=[Public], description="Une boutique par son slug.")
    async def shop(
        self,
        info: Info,
        slug: Annotated[
            str, strawberry.argument(description="Le slug de la boutique (Shop.slug).")
        ],
    ) -> ShopType | None:
        row = await shop_service.shop_by_slug(info.context.reads, slug)
        if row is None or not (row.is_active or await info.context.manages_shop(row.id)):
            return None
        return ShopType.from_row(row)

    @strawberry.field(
        permission_classes=[Public],
        description="Les produits en ligne des boutiques actives. Prix en centimes TTC, promotion"
        " comprise ; « onSale » : en promotion maintenant.",
    )
    async def products(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Recherche dans le nom, la description et la catégorie ; " + SEARCH
            ),
        ] = None,
        shop_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Seulement les produits de cette boutique (Shop.id)."),
        ] = None,
        category: Annotated[
            str | None,
            strawberry.argument(
                description="Seulement cette catégorie de produit (son slug, ex."
                " « epicerie-fine »)."
            ),
        ] = None,
        on_sale: Annotated[
            bool | None,
            strawberry.argument(
                description="Vrai : seulement en promotion maintenant ; faux : seulement hors"
                " promotion."
            ),
        ] = None,
        deliverable: Annotated[
            bool | None,
            strawberry.argument(
                description="Vrai : seulement les produits livrables ; faux : seulement ceux à"
                " retirer en boutique."
            ),
        ] = None,
        min_price: Annotated[
            int | None,
            strawberry.argument(
                description="Prix actuel minimum, TTC en centimes, promotion comprise (inclus)."
            ),
        ] = None,
        max_price: Annotated[
            int | None,
            strawberry.argument(
                description="Prix actuel maximum, TTC en centimes, promotion comprise (inclus)."
            ),
        ] = None,
        sort: Annotated[
            ProductSortEnum | None,
            strawberry.argument(
                description="L'ordre ; par défaut RELEVANCE avec « search », NEWEST sans."
                " STOCK_ASC est refusé ici."
            ),
        ] = None,
    ) -> ProductConnection:
        if sort == ProductSortEnum.STOCK_ASC:
            raise bad_input("Tri STOCK_ASC réservé à la liste des produits d'une boutique.")
        shop_pk = None
        if shop_id is not None:
            try:
                shop_pk = decode_id(shop_id, "Shop", ["shopId"])
            except Exception as exc:
                raise bad_input("shopId invalide.") from exc
        filters = ProductFilters(
            search=_search(search),
            shop_id=shop_pk,
            category=category,
            on_sale=on_sale,
            deliverable=deliverable,
            min_price=min_price,
            max_price=max_price,
            sort=ProductSort(sort.value) if sort else None,
        )
        return await list_products(info, filters, first, after)
