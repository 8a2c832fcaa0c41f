"""Public browsing: shops, a shop by slug, products, with filters and search."""

from __future__ import annotations

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
from otesaintjo.schema.permissions import Public
from otesaintjo.schema.shops import ShopType
from otesaintjo.services import shops as shop_service
from otesaintjo.services.browse import Near, ProductFilters, ProductSort, ShopFilters

MAX_RADIUS_KM = 50.0
MAX_SEARCH = 200


@strawberry.input(description="Autour d'un point, dans un rayon en kilomètres (50 au plus).")
class NearInput:
    latitude: float
    longitude: float
    radius_km: float


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
        first: int | None = 20,
        after: str | None = None,
        search: str | None = None,
        category: str | None = None,
        near: NearInput | None = None,
        postcode: str | None = None,
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
    async def shop(self, info: Info, slug: str) -> ShopType | None:
        async with info.context.session_factory() as session:
            row = await shop_service.shop_by_slug(session, slug)
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
        first: int | None = 20,
        after: str | None = None,
        search: str | None = None,
        shop_id: strawberry.ID | None = None,
        category: str | None = None,
        on_sale: bool | None = None,
        deliverable: bool | None = None,
        min_price: int | None = None,
        max_price: int | None = None,
        sort: ProductSortEnum | None = None,
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
