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
    WithdrawalExclusionEnum,
)
from otesaintjo.schema.errors import UserError
from otesaintjo.schema.legal_identity import ShopLegalIdentityInput
from otesaintjo.schema.shops import ShopType, Weekday

MANAGED_SHOP = "La boutique, gérée par l'appelant."
MANAGED_PRODUCT = "Le produit, d'une boutique gérée par l'appelant."
CATEGORIES = (
    "Catégories (5 au plus), chacune ramenée à un slug de 40 caractères au plus"
    " (« Fruits & légumes » → « fruits-legumes »)"
)
CATEGORY = (
    "Catégorie, ramenée à un slug de 40 caractères au plus (« Épicerie fine » → « epicerie-fine »)"
)

LOW_STOCK_THRESHOLD = (
    "Seuil d'alerte de stock, de 0 à 1 000 000 : quand une vente ou une modification fait passer"
    " le stock de plus que ce seuil à ce seuil ou moins, la boutique reçoit un e-mail (un seul,"
    " jusqu'à ce que le stock repasse au-dessus du seuil)."
)
OFFLINE_AT_ZERO = (
    "Vrai : le produit est mis hors ligne par la vente qui écoule son dernier article (la"
    " boutique est prévenue par e-mail) et revient en ligne dès que du stock revient."
)


@strawberry.input
class AddressInput:
    street: str = strawberry.field(description="Numéro et voie, 200 caractères au plus.")
    postcode: str = strawberry.field(description="Code postal, 5 chiffres.")
    town: str = strawberry.field(description="Commune, 100 caractères au plus.")
    latitude: float | None = strawberry.field(
        default=None,
        description="En degrés (-90 à 90), avec longitude : place la boutique pour « near ».",
    )
    longitude: float | None = strawberry.field(
        default=None, description="En degrés (-180 à 180), avec latitude."
    )


@strawberry.input(description="Ouverture d'une boutique : tout se fait en une fois.")
class CreateShopInput:
    name: str = strawberry.field(
        description="Le nom affiché (120 caractères au plus) ; il donne le slug de la boutique."
    )
    manager_first_name: str = strawberry.field(
        description="Prénom du gérant, 100 caractères au plus."
    )
    manager_last_name: str = strawberry.field(description="Nom du gérant, 100 caractères au plus.")
    address: AddressInput = strawberry.field(description="L'adresse de la boutique.")
    email: str = strawberry.field(description="Une adresse que le commerçant lit.")
    phone: str = strawberry.field(description="Mobile (SMS des commandes), +262 ou +33.")
    siret: str = strawberry.field(description="14 chiffres (clé de Luhn).")
    description: str = strawberry.field(
        default="", description="Présentation (« À propos »), 5000 caractères au plus."
    )
    website: str | None = strawberry.field(
        default=None,
        description="Site du commerçant, http(s)://, 300 caractères au plus ; public dès"
        " 2 produits en ligne.",
    )
    categories: list[str] = strawberry.field(default_factory=list, description=CATEGORIES + ".")
    legal_identity: ShopLegalIdentityInput | None = strawberry.field(
        default=None,
        description="Facultative à l'ouverture (updateShopLegalIdentity la complète) ; sans"
        " elle, les factures attendent (ShopLegalIdentity).",
    )


@strawberry.type
class CreateShopPayload:
    shop: ShopType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class OpeningRangeInput:
    day: Weekday = strawberry.field(description="Le jour ; 4 plages par jour au plus.")
    opens: str = strawberry.field(description="HH:MM, heure de La Réunion.")
    closes: str = strawberry.field(
        description="HH:MM, heure de La Réunion, après l'ouverture ; sans chevaucher une"
        " autre plage du jour."
    )


@strawberry.input
class ClosureInput:
    date: date = strawberry.field(description="Le jour fermé (AAAA-MM-JJ, à La Réunion).")
    reason: str = strawberry.field(
        default="", description="Le motif affiché, 200 caractères au plus."
    )


@strawberry.input
class MerchantDeliveryInput:
    postcodes: list[str] = strawberry.field(
        description="Les codes postaux livrés (5 chiffres, 100 au plus)."
    )
    fee_cents: int = strawberry.field(
        description="Frais de livraison TTC en centimes, de 0 à 100 000."
    )


@strawberry.input(description="Null laisse un réglage inchangé.")
class DeliveryOptionsInput:
    merchant_delivery: MerchantDeliveryInput | None = strawberry.field(
        default=None, description="Liste vide de codes postaux : ne plus livrer soi-même."
    )
    free_delivery_always: bool | None = strawberry.field(
        default=None, description="Vrai : livraison offerte sur toute commande."
    )
    free_delivery_over_cents: int | None = strawberry.field(
        default=None, description="-1 retire le seuil."
    )
    colissimo_fee_cents: int | None = strawberry.field(
        default=None, description="-1 : ne plus expédier par Colissimo."
    )


@strawberry.input(description="Seuls les champs donnés changent.")
class UpdateShopInput:
    shop_id: strawberry.ID = strawberry.field(description=MANAGED_SHOP)
    name: str | None = strawberry.field(
        default=None, description="Le nom affiché, 120 caractères au plus (le slug ne change pas)."
    )
    description: str | None = strawberry.field(
        default=None, description="Présentation (« À propos »), 5000 caractères au plus."
    )
    website: str | None = strawberry.field(default=None, description="Chaîne vide : retirer.")
    email: str | None = strawberry.field(
        default=None, description="Une adresse que le commerçant lit."
    )
    phone: str | None = strawberry.field(
        default=None, description="Mobile (SMS des commandes), +262 ou +33."
    )
    address: AddressInput | None = strawberry.field(
        default=None,
        description="La nouvelle adresse ; latitude et longitude nulles gardent les actuelles.",
    )
    categories: list[str] | None = strawberry.field(
        default=None, description=CATEGORIES + " ; remplacent les actuelles."
    )
    pickup_hours: list[OpeningRangeInput] | None = strawberry.field(
        default=None, description="La semaine entière ; remplace les horaires actuels."
    )
    closures: list[ClosureInput] | None = strawberry.field(
        default=None,
        description="Les fermetures exceptionnelles (100 au plus) ; remplacent les actuelles.",
    )
    delivery: DeliveryOptionsInput | None = strawberry.field(
        default=None, description="Les réglages de livraison à changer."
    )


@strawberry.input
class UpdateShopLegalIdentityInput:
    shop_id: strawberry.ID = strawberry.field(description=MANAGED_SHOP)
    legal_identity: ShopLegalIdentityInput = strawberry.field(
        description="Les champs à donner ou corriger (absents : inchangés)."
    )


@strawberry.type
class UpdateShopLegalIdentityPayload:
    shop: ShopType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UpdateShopPayload:
    shop: ShopType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class SetShopCoverPhotoInput:
    shop_id: strawberry.ID = strawberry.field(description=MANAGED_SHOP)
    file: Upload = strawberry.field(description="PNG ou JPEG, 10 Mo au plus.")


@strawberry.type
class SetShopCoverPhotoPayload:
    shop: ShopType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class CreateProductInput:
    shop_id: strawberry.ID = strawberry.field(description=MANAGED_SHOP)
    name: str = strawberry.field(description="Le nom du produit, 120 caractères au plus.")
    price_cents: int = strawberry.field(description="Prix TTC en centimes.")
    vat_rate: VatRate = strawberry.field(
        default=VatRate.NORMAL, description="Le taux de TVA inclus dans le prix."
    )
    description: str = strawberry.field(default="", description="5000 caractères au plus.")
    category: str = strawberry.field(default="divers", description=CATEGORY + ".")
    deliverable: bool = strawberry.field(
        default=True, description="Faux : retrait en boutique uniquement (surgelé, encombrant…)."
    )
    stock: int | None = strawberry.field(default=None, description="100 par défaut.")
    online: bool = strawberry.field(default=True, description="Publié tout de suite.")
    low_stock_threshold: int | None = strawberry.field(
        default=None, description=LOW_STOCK_THRESHOLD + " Absent ou null : pas d'alerte."
    )
    offline_at_zero: bool = strawberry.field(default=False, description=OFFLINE_AT_ZERO)
    withdrawal_exclusion: WithdrawalExclusionEnum | None = strawberry.field(
        default=strawberry.UNSET,
        description="Exclusion du droit de rétractation (art. L221-28 du Code de la"
        " consommation), montrée au client avant l'achat. Absent : selon la catégorie du produit"
        " puis celles de la boutique (boulangerie, patisserie, boucherie, charcuterie,"
        " poissonnerie, primeur, fruits-et-legumes, fleuriste, traiteur… : PERISHABLE ; presse,"
        " journaux, librairie-presse… : PRESS ; sinon retournable) ; null : retournable ; une"
        " valeur : exclu pour cette raison.",
    )


@strawberry.type
class ProductPayload:
    product: ProductType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CreateProductPayload(ProductPayload):
    pass


@strawberry.input(description="Seuls les champs donnés changent.")
class UpdateProductInput:
    product_id: strawberry.ID = strawberry.field(description=MANAGED_PRODUCT)
    name: str | None = strawberry.field(default=None, description="120 caractères au plus.")
    description: str | None = strawberry.field(default=None, description="5000 caractères au plus.")
    price_cents: int | None = strawberry.field(
        default=None, description="Prix TTC en centimes, de 0 à 10 000 000."
    )
    vat_rate: VatRate | None = strawberry.field(
        default=None, description="Le taux de TVA inclus dans le prix."
    )
    category: str | None = strawberry.field(default=None, description=CATEGORY + ".")
    deliverable: bool | None = strawberry.field(
        default=None, description="Faux : retrait en boutique uniquement."
    )
    stock: int | None = strawberry.field(
        default=None, description="Le nouveau stock, de 0 à 1 000 000."
    )
    low_stock_threshold: int | None = strawberry.field(
        default=strawberry.UNSET,
        description=LOW_STOCK_THRESHOLD + " Absent : inchangé ; null : plus d'alerte.",
    )
    offline_at_zero: bool | None = strawberry.field(default=None, description=OFFLINE_AT_ZERO)
    withdrawal_exclusion: WithdrawalExclusionEnum | None = strawberry.field(
        default=strawberry.UNSET,
        description="Exclusion du droit de rétractation (art. L221-28 du Code de la"
        " consommation). Absent : inchangée (changer la catégorie ne la change pas) ; null :"
        " le produit redevient retournable ; une valeur : exclu pour cette raison. Les"
        " commandes déjà passées gardent ce qui a été montré à l'achat.",
    )


@strawberry.type
class UpdateProductPayload(ProductPayload):
    pass


@strawberry.input
class SetProductOnlineInput:
    product_id: strawberry.ID = strawberry.field(description=MANAGED_PRODUCT)
    online: bool = strawberry.field(
        description="Vrai : en vente ; faux : retiré (visible des seuls commerçants)."
    )


@strawberry.type
class SetProductOnlinePayload(ProductPayload):
    pass


@strawberry.input
class AddProductImageInput:
    product_id: strawberry.ID = strawberry.field(
        description="Le produit, d'une boutique gérée par l'appelant ; 10 photos au plus."
    )
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
    image_id: strawberry.ID = strawberry.field(description="La photo (ProductImage.id).")


@strawberry.type
class RemoveProductImagePayload(ProductPayload):
    pass


@strawberry.input
class ReorderProductImagesInput:
    product_id: strawberry.ID = strawberry.field(description=MANAGED_PRODUCT)
    image_ids: list[strawberry.ID] = strawberry.field(
        description="Toutes les photos du produit, chacune une fois, dans l'ordre voulu."
    )


@strawberry.type
class ReorderProductImagesPayload(ProductPayload):
    pass


@strawberry.input
class CreatePromotionInput:
    shop_id: strawberry.ID = strawberry.field(description=MANAGED_SHOP)
    name: str = strawberry.field(description="Le nom de la promotion, 120 caractères au plus.")
    kind: PromotionKindEnum = strawberry.field(description="Pourcentage ou montant.")
    value: int = strawberry.field(
        description="PERCENT : en points de base (1500 = 15 %, 90 % au plus) ; AMOUNT : en"
        " centimes, inférieure au prix de chaque produit couvert (un prix en promotion ne"
        " descend jamais sous 1 centime ; sinon INVALID_AMOUNT)."
    )
    ends_at: datetime = strawberry.field(
        description="Obligatoire : le prix habituel revient après."
    )
    starts_at: datetime | None = strawberry.field(
        default=None, description="Début (ISO 8601) ; null : tout de suite."
    )
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
    promotion_id: strawberry.ID = strawberry.field(
        description="Une promotion en cours ou à venir d'une boutique gérée par l'appelant."
    )


@strawberry.type
class EndPromotionPayload(PromotionPayload):
    pass


@strawberry.input(description="Donner à un compte existant le droit de gérer la boutique.")
class AddShopMemberInput:
    shop_id: strawberry.ID = strawberry.field(
        description="La boutique, dont l'appelant est gérant."
    )
    email: str = strawberry.field(
        description="L'adresse e-mail d'un compte existant ; il devient équipier (STAFF)."
    )


@strawberry.input
class RemoveShopMemberInput:
    shop_id: strawberry.ID = strawberry.field(
        description="La boutique, dont l'appelant est gérant."
    )
    user_id: strawberry.ID = strawberry.field(
        description="Le membre à retirer (ShopMember.userId)."
    )


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
