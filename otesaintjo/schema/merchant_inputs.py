"""Inputs and payloads of the merchant mutations (shops, products, photos, promotions)."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.file_uploads import Upload

from otesaintjo.schema.catalogue import (
    ProductImageType,
    ProductType,
    PromotionKindEnum,
    PromotionType,
    VatRate,
)
from otesaintjo.schema.errors import UserError
from otesaintjo.schema.shops import ShopType, Weekday


@strawberry.input
class AddressInput:
    street: str
    postcode: str
    town: str
    latitude: float | None = None
    longitude: float | None = None


@strawberry.input(description="Ouverture d'une boutique : tout se fait en une fois.")
class CreateShopInput:
    name: str
    manager_first_name: str
    manager_last_name: str
    address: AddressInput
    email: str = strawberry.field(description="Une adresse que le commerçant lit.")
    phone: str = strawberry.field(description="Mobile (SMS des commandes), +262 ou +33.")
    siret: str = strawberry.field(description="14 chiffres (clé de Luhn).")
    description: str = ""
    website: str | None = None
    categories: list[str] = strawberry.field(default_factory=list)


@strawberry.type
class CreateShopPayload:
    shop: ShopType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class OpeningRangeInput:
    day: Weekday
    opens: str = strawberry.field(description="HH:MM, heure de La Réunion.")
    closes: str


@strawberry.input
class ClosureInput:
    date: date
    reason: str = ""


@strawberry.input
class MerchantDeliveryInput:
    postcodes: list[str]
    fee_cents: int


@strawberry.input(description="Null laisse un réglage inchangé.")
class DeliveryOptionsInput:
    merchant_delivery: MerchantDeliveryInput | None = strawberry.field(
        default=None, description="Liste vide de codes postaux : ne plus livrer soi-même."
    )
    free_delivery_always: bool | None = None
    free_delivery_over_cents: int | None = strawberry.field(
        default=None, description="-1 retire le seuil."
    )
    colissimo_fee_cents: int | None = strawberry.field(
        default=None, description="-1 : ne plus expédier par Colissimo."
    )


@strawberry.input(description="Seuls les champs donnés changent.")
class UpdateShopInput:
    shop_id: strawberry.ID
    name: str | None = None
    description: str | None = None
    website: str | None = strawberry.field(default=None, description="Chaîne vide : retirer.")
    email: str | None = None
    phone: str | None = None
    address: AddressInput | None = None
    categories: list[str] | None = None
    pickup_hours: list[OpeningRangeInput] | None = strawberry.field(
        default=None, description="La semaine entière ; remplace les horaires actuels."
    )
    closures: list[ClosureInput] | None = None
    delivery: DeliveryOptionsInput | None = None


@strawberry.type
class UpdateShopPayload:
    shop: ShopType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class SetShopCoverPhotoInput:
    shop_id: strawberry.ID
    file: Upload = strawberry.field(description="PNG ou JPEG, 10 Mo au plus.")


@strawberry.type
class SetShopCoverPhotoPayload:
    shop: ShopType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class CreateProductInput:
    shop_id: strawberry.ID
    name: str
    price_cents: int = strawberry.field(description="Prix TTC en centimes.")
    vat_rate: VatRate = VatRate.NORMAL
    description: str = ""
    category: str = "divers"
    deliverable: bool = True
    stock: int | None = strawberry.field(default=None, description="100 par défaut.")
    online: bool = strawberry.field(default=True, description="Publié tout de suite.")


@strawberry.type
class ProductPayload:
    product: ProductType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CreateProductPayload(ProductPayload):
    pass


@strawberry.input(description="Seuls les champs donnés changent.")
class UpdateProductInput:
    product_id: strawberry.ID
    name: str | None = None
    description: str | None = None
    price_cents: int | None = None
    vat_rate: VatRate | None = None
    category: str | None = None
    deliverable: bool | None = None
    stock: int | None = None


@strawberry.type
class UpdateProductPayload(ProductPayload):
    pass


@strawberry.input
class SetProductOnlineInput:
    product_id: strawberry.ID
    online: bool


@strawberry.type
class SetProductOnlinePayload(ProductPayload):
    pass


@strawberry.input
class AddProductImageInput:
    product_id: strawberry.ID
    file: Upload = strawberry.field(
        description="PNG ou JPEG, 10 Mo et 40 mégapixels au plus ;"
        " ramené en 400×400 sur fond blanc, produit entier visible."
    )


@strawberry.type
class AddProductImagePayload:
    image: ProductImageType | None = None
    product: ProductType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RemoveProductImageInput:
    image_id: strawberry.ID


@strawberry.type
class RemoveProductImagePayload(ProductPayload):
    pass


@strawberry.input
class ReorderProductImagesInput:
    product_id: strawberry.ID
    image_ids: list[strawberry.ID]


@strawberry.type
class ReorderProductImagesPayload(ProductPayload):
    pass


@strawberry.input
class CreatePromotionInput:
    shop_id: strawberry.ID
    name: str
    kind: PromotionKindEnum
    value: int = strawberry.field(
        description="PERCENT : en points de base (1500 = 15 %) ; AMOUNT : en centimes."
    )
    ends_at: datetime = strawberry.field(
        description="Obligatoire : le prix habituel revient après."
    )
    starts_at: datetime | None = None
    product_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Null : tous les produits de la boutique."
    )


@strawberry.type
class PromotionPayload:
    promotion: PromotionType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CreatePromotionPayload(PromotionPayload):
    pass


@strawberry.input
class EndPromotionInput:
    promotion_id: strawberry.ID


@strawberry.type
class EndPromotionPayload(PromotionPayload):
    pass


@strawberry.input(description="Donner à un compte existant le droit de gérer la boutique.")
class AddShopMemberInput:
    shop_id: strawberry.ID
    email: str


@strawberry.input
class RemoveShopMemberInput:
    shop_id: strawberry.ID
    user_id: strawberry.ID


@strawberry.type
class ShopTeamPayload:
    shop: ShopType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AddShopMemberPayload(ShopTeamPayload):
    pass


@strawberry.type
class RemoveShopMemberPayload(ShopTeamPayload):
    pass
