"""Cart types: lines grouped by shop, delivery or pickup per shop, amounts in cents."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry import enum_value

from otesaintjo import labels
from otesaintjo.schema.catalogue import (
    WITHDRAWAL_EXCLUSION,
    WITHDRAWAL_NOTICE,
    ProductType,
    VatRate,
    WithdrawalExclusionEnum,
    exclusion_of,
)
from otesaintjo.schema.common import Money
from otesaintjo.schema.delivery_slots import DeliverySlotOccurrence
from otesaintjo.schema.errors import UserError
from otesaintjo.schema.ids import encode_id
from otesaintjo.schema.shops import ShopType
from otesaintjo.services.cart import CartView, ShopView
from otesaintjo.services.cart_totals import IMPORT_TAXES_NOTICE, Line
from otesaintjo.services.legal_identity import FRANCHISE_MENTION

IMPORT_TAXES = (
    "Livré hors de La Réunion (code postal hors 974xx) : vendu sans la TVA de La Réunion"
    " (art. 262 I du CGI), des taxes d'importation peuvent être dues à l'arrivée."
)

CART_TOKEN_HEADER = "X-Cart-Token"


@strawberry.enum(description="Retrait en boutique ou livraison à domicile.")
class FulfilmentModeEnum(Enum):
    PICKUP = enum_value(
        "PICKUP",
        description="Retrait en boutique, avec un code, pendant les horaires de retrait.",
    )
    DELIVERY = enum_value(
        "DELIVERY", description="Livraison à l'adresse du client, par un transporteur (Carrier)."
    )


@strawberry.enum(description="Qui livre : le commerçant, La Poste, Stuart, ou Colissimo (France).")
class Carrier(Enum):
    MERCHANT = enum_value(
        "MERCHANT", description="Le commerçant livre lui-même, dans ses codes postaux."
    )
    LA_POSTE = enum_value(
        "LA_POSTE", description="La Poste, dans les codes postaux que la plateforme couvre."
    )
    STUART = enum_value(
        "STUART", description="Stuart (coursier), dans les codes postaux que la plateforme couvre."
    )
    COLISSIMO = enum_value(
        "COLISSIMO",
        description="Colissimo, partout en France, au tarif fixé par la boutique.",
    )


@strawberry.type
class CartLine:
    product: ProductType
    quantity: int
    unit_price: Money = strawberry.field(
        description="Prix TTC actuel, promotion comprise ; hors TVA (arrondi au centime) pour"
        " une livraison hors de La Réunion (CartShop.importTaxesMayApply)."
    )
    total: Money
    withdrawal_exclusion: WithdrawalExclusionEnum | None = strawberry.field(
        description=WITHDRAWAL_EXCLUSION + " Celle du produit : la commande la garde."
    )
    withdrawal_notice: str | None = strawberry.field(description=WITHDRAWAL_NOTICE)


@strawberry.type(description="TVA incluse, pour un taux.")
class VatAmount:
    rate: VatRate
    amount: Money


@strawberry.type(description="Les jours (heure de La Réunion) entre lesquels le colis arrive.")
class DeliveryEstimate:
    earliest: date = strawberry.field(description="Au plus tôt ce jour-là.")
    latest: date = strawberry.field(description="Au plus tard ce jour-là.")


@strawberry.type(
    name="DeliveryOption",
    description="Un transporteur qui dessert le code postal du panier pour cette boutique.",
)
class DeliveryOptionType:
    carrier: Carrier
    label: str = strawberry.field(description="Le nom à afficher (« La Poste »…).")
    fee: Money = strawberry.field(description="Ce que paie le client : zéro si c'est offert.")
    regular_fee: Money = strawberry.field(
        description="Le tarif du transporteur, avant la livraison offerte par le commerçant."
    )
    free: bool = strawberry.field(description="Le commerçant offre la livraison.")
    estimated_delivery: DeliveryEstimate = strawberry.field(
        description="Estimation en jours ouvrés (lundi–vendredi hors fériés de La Réunion)."
    )
    estimated_date: date | None = strawberry.field(
        description="Le jour de livraison annoncé, en jours ouvrés de La Réunion (lundi–vendredi"
        " hors fériés) : Stuart le jour même pour une commande passée un jour ouvré avant"
        " 14 h, sinon le jour ouvré suivant ; La Poste J+2 ; Colissimo (métropole) J+5 ; le"
        " commerçant J+1, ou, s'il livre sur créneaux, le jour du créneau choisi (à défaut du"
        " premier proposé ; null s'il n'en reste aucun)."
    )
    import_taxes_may_apply: bool = strawberry.field(
        description=IMPORT_TAXES + " Les frais (fee) sont alors hors TVA."
    )


@strawberry.type
class Fulfilment:
    mode: FulfilmentModeEnum
    carrier: Carrier | None


@strawberry.type(description="La part du panier d'une boutique : elle deviendra une commande.")
class CartShop:
    shop: ShopType
    lines: list[CartLine]
    subtotal: Money
    delivery_fee: Money
    vat: list[VatAmount] = strawberry.field(
        description="TVA incluse par taux (frais de port à 8,5 %) ; vide hors de La Réunion"
        " (importTaxesMayApply) et pour un vendeur en franchise (vatNotice)."
    )
    total: Money
    fulfilment: Fulfilment | None = strawberry.field(
        description="Null tant que le client n'a pas choisi."
    )
    delivery_options: list[DeliveryOptionType] = strawberry.field(
        description="Les transporteurs qui desservent le code postal de livraison du panier"
        " (cartSetDeliveryPostcode), avant tout choix ; vide sans code postal."
    )
    deliverable: bool = strawberry.field(
        description="Faux si un produit est à retirer en boutique uniquement."
    )
    pickup_ready_at: datetime | None = strawberry.field(
        description="Si le client paie maintenant : prêt 2 heures d'ouverture plus tard"
        " (heure de La Réunion) ; null si la boutique ne propose pas le retrait."
    )
    delivery_slots: list[DeliverySlotOccurrence] = strawberry.field(
        description="Si la boutique livre elle-même le code postal du panier sur créneaux :"
        " les créneaux encore réservables des 14 prochains jours (aujourd'hui compris), hors"
        " jours fériés de La Réunion, fermetures de la boutique, créneaux complets ou dont"
        " l'heure limite de réservation est passée ; par ordre chronologique. Vide sinon."
    )
    delivery_slot: DeliverySlotOccurrence | None = strawberry.field(
        description="Le créneau choisi (cartSetDeliverySlot), tant qu'il reste réservable."
    )
    delivery_slot_required: bool = strawberry.field(
        description="La livraison par le commerçant demande un créneau : checkout refuse sans"
        " (DELIVERY_SLOT_REQUIRED)."
    )
    import_taxes_may_apply: bool = strawberry.field(
        description="Livraison choisie hors de La Réunion : prix et frais sans la TVA de La"
        " Réunion (art. 262 I du CGI), des taxes d'importation peuvent être dues à l'arrivée ;"
        " à montrer avant le paiement (importTaxesNotice)."
    )
    import_taxes_notice: str | None = strawberry.field(
        description="Le texte à montrer avant le paiement quand importTaxesMayApply ; null sinon."
    )
    vat_notice: str | None = strawberry.field(
        description="« TVA non applicable, art. 293 B du CGI » : le vendeur est en franchise en"
        " base de TVA (pas de TVA, vat vide) ; null sinon."
    )


@strawberry.type(description="Le panier : produits de plusieurs boutiques de la ville.")
class CartType:
    id: strawberry.ID
    shops: list[CartShop]
    items_count: int
    total: Money
    delivery_postcode: str | None

    @classmethod
    def from_view(cls, view: CartView) -> CartType:
        return cls(
            id=encode_id("Cart", view.cart.id),  # type: ignore[arg-type]
            shops=[_shop(s) for s in view.shops],
            items_count=view.totals.items,
            total=Money(cents=view.totals.total_cents),
            delivery_postcode=view.cart.delivery_postcode,
        )


def _line(view: ShopView, line: Line) -> CartLine:
    product = view.products[line.product_id]
    return CartLine(
        product=ProductType.from_row(product),
        quantity=line.quantity,
        unit_price=Money(cents=line.unit_cents),
        total=Money(cents=line.total_cents),
        withdrawal_exclusion=exclusion_of(product.withdrawal_exclusion),
        withdrawal_notice=labels.withdrawal_notice(product.withdrawal_exclusion),
    )


def _shop(view: ShopView) -> CartShop:
    t = view.totals
    f = view.fulfilment
    return CartShop(
        shop=ShopType.from_row(view.shop),
        lines=[_line(view, line) for line in t.lines],
        subtotal=Money(cents=t.subtotal_cents),
        delivery_fee=Money(cents=t.delivery_fee_cents),
        vat=[
            VatAmount(rate=VatRate(rate), amount=Money(cents=v)) for rate, v in t.vat_cents.items()
        ],
        total=Money(cents=t.total_cents),
        fulfilment=Fulfilment(
            mode=FulfilmentModeEnum(f.mode), carrier=Carrier(f.carrier) if f.carrier else None
        )
        if f
        else None,
        delivery_options=[
            DeliveryOptionType(
                carrier=Carrier(o.carrier),
                label=labels.carrier_label(o.carrier),
                fee=Money(cents=o.fee_cents),
                regular_fee=Money(cents=o.regular_fee_cents),
                free=o.free,
                estimated_delivery=DeliveryEstimate(
                    earliest=o.estimate.earliest, latest=o.estimate.latest
                ),
                estimated_date=o.estimated_date,
                import_taxes_may_apply=o.outside_reunion,
            )
            for o in view.delivery_options
        ],
        deliverable=view.deliverable,
        pickup_ready_at=view.ready_at,
        delivery_slots=[DeliverySlotOccurrence.of(o) for o in view.delivery_slots if not o.full],
        delivery_slot=DeliverySlotOccurrence.of(view.delivery_slot)
        if view.delivery_slot and view.merchant_delivery
        else None,
        delivery_slot_required=view.slots_published,
        import_taxes_may_apply=view.outside_reunion,
        import_taxes_notice=IMPORT_TAXES_NOTICE if view.outside_reunion else None,
        vat_notice=FRANCHISE_MENTION if view.shop.vat_franchise else None,
    )


@strawberry.input
class CartAddItemInput:
    product_id: strawberry.ID = strawberry.field(
        description="Le produit (Product.id), en ligne dans une boutique active."
    )
    quantity: int = strawberry.field(
        default=1,
        description="Exemplaires à ajouter (au moins 1) : ils s'ajoutent à ceux déjà au"
        " panier, dans la limite du stock.",
    )


@strawberry.input
class CartUpdateItemInput:
    product_id: strawberry.ID = strawberry.field(description="Un produit déjà dans le panier.")
    quantity: int = strawberry.field(
        description="La nouvelle quantité, au moins 1 (pour retirer : cartRemoveItem) et au"
        " plus le stock."
    )


@strawberry.input
class CartRemoveItemInput:
    product_id: strawberry.ID = strawberry.field(description="Un produit dans le panier.")


@strawberry.input(description="Où livrer le panier (toutes les boutiques).")
class CartSetDeliveryPostcodeInput:
    postcode: str = strawberry.field(description="Code postal de livraison, 5 chiffres.")


@strawberry.input(description="Par boutique : retrait, ou livraison avec un transporteur.")
class CartSetFulfilmentInput:
    shop_id: strawberry.ID = strawberry.field(
        description="Une boutique dont le panier contient des produits."
    )
    mode: FulfilmentModeEnum = strawberry.field(description="Retrait ou livraison.")
    carrier: Carrier | None = strawberry.field(
        default=None,
        description="Pour DELIVERY : l'un des CartShop.deliveryOptions ; ignoré pour PICKUP.",
    )
    postcode: str | None = strawberry.field(
        default=None, description="Code postal de livraison (mémorisé pour tout le panier)."
    )


@strawberry.input(description="Le créneau où le commerçant livre sa part du panier.")
class CartSetDeliverySlotInput:
    shop_id: strawberry.ID = strawberry.field(
        description="Une boutique du panier, livrée par le commerçant (carrier MERCHANT)."
    )
    slot_id: strawberry.ID = strawberry.field(
        description="Le créneau (DeliverySlot.id) de CartShop.deliverySlots."
    )
    date: date = strawberry.field(description="Sa date (DeliverySlotOccurrence.date).")


@strawberry.type(description=f"« cartToken » : à renvoyer dans l'en-tête {CART_TOKEN_HEADER}.")
class CartPayload:
    cart: CartType | None = None
    cart_token: str | None = strawberry.field(
        default=None, description="Donné à la création d'un panier anonyme seulement."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CartAddItemPayload(CartPayload):
    pass


@strawberry.type
class CartUpdateItemPayload(CartPayload):
    pass


@strawberry.type
class CartRemoveItemPayload(CartPayload):
    pass


@strawberry.type
class CartSetFulfilmentPayload(CartPayload):
    pass


@strawberry.type
class CartSetDeliveryPostcodePayload(CartPayload):
    pass


@strawberry.type
class CartSetDeliverySlotPayload(CartPayload):
    pass
