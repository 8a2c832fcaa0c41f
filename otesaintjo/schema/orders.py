"""Purchases and orders as the customer, the shop's merchants and staff see them.

One rule for reading: an order is visible to its customer, its shop's merchants and staff;
a purchase to its customer and staff; anyone else gets null, as for an id that does not exist.
Of the customer, a merchant sees only what fulfilment needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import enum_value, relay
from strawberry.file_uploads import Upload
from strawberry.types import Info

from otesaintjo import labels, models
from otesaintjo.schema.cart import Carrier, FulfilmentModeEnum, VatAmount
from otesaintjo.schema.catalogue import (
    ProductType,
    VatRate,
    WithdrawalExclusionEnum,
    exclusion_of,
)
from otesaintjo.schema.common import Money
from otesaintjo.schema.errors import UserError
from otesaintjo.schema.ids import encode_id, primary_keys
from otesaintjo.schema.pagination import CountedConnection, connection
from otesaintjo.schema.shops import ShopType
from otesaintjo.services import access, invoice_links, orders, withdrawal
from otesaintjo.services.returns import anything_left_to_return

if TYPE_CHECKING:
    from otesaintjo.schema.returns import ReturnType

S = models.OrderStatus
OPEN_RETURNS = frozenset({models.ReturnStatus.REQUESTED, models.ReturnStatus.RECEIVED})


@strawberry.enum(
    name="OrderStatus",
    description="PENDING_PAYMENT → PAID → READY_FOR_PICKUP → COLLECTED (retrait) ou "
    "PAID → SHIPPED → DELIVERED (livraison) ; CANCELLED avant paiement, ou par le personnel.",
)
class OrderStatusEnum(Enum):
    PENDING_PAYMENT = enum_value(
        "PENDING_PAYMENT",
        description="Passée, pas encore payée : annulée si l'achat n'est pas payé avant"
        " Payment.expiresAt.",
    )
    PAID = enum_value("PAID", description="Payée : la boutique la prépare.")
    READY_FOR_PICKUP = enum_value(
        "READY_FOR_PICKUP",
        description="Retrait : prête au comptoir ; le client a reçu son code de retrait.",
    )
    COLLECTED = enum_value("COLLECTED", description="Retrait : retirée par le client.")
    SHIPPED = enum_value(
        "SHIPPED", description="Livraison : expédiée (suivi dans Order.fulfilment)."
    )
    DELIVERED = enum_value("DELIVERED", description="Livraison : livrée au client.")
    CANCELLED = enum_value(
        "CANCELLED",
        description="Annulée : avant paiement, ou par le personnel avec remboursement.",
    )


@strawberry.enum(name="PurchaseStatus", description="L'état du paiement de l'achat.")
class PurchaseStatusEnum(Enum):
    PENDING_PAYMENT = enum_value(
        "PENDING_PAYMENT",
        description="En attente du paiement, jusqu'à Payment.expiresAt ; le stock est réservé.",
    )
    PAID = enum_value("PAID", description="Payé : chaque commande part à sa boutique.")
    CANCELLED = enum_value(
        "CANCELLED",
        description="Annulé avant paiement (délai dépassé, ou annulation) ; stock libéré.",
    )


@strawberry.type(description="Adresse de livraison.")
class DeliveryAddress:
    street: str
    postcode: str
    town: str

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> DeliveryAddress | None:
        return cls(**data) if data else None


@strawberry.type(name="OrderLine", description="Un produit tel qu'il a été vendu.")
class OrderLineType:
    row: strawberry.Private[models.OrderLine]
    id: strawberry.ID = strawberry.field(description="À citer dans requestReturn.")
    product_name: str
    unit_price: Money
    quantity: int
    total: Money
    vat_rate: VatRate
    withdrawal_exclusion: WithdrawalExclusionEnum | None = strawberry.field(
        description="Null : retournable. Sinon, l'exclusion du droit de rétractation (art."
        " L221-28 du Code de la consommation) dont le client était informé à l'achat, gardée"
        " telle quelle même si le produit change ensuite ; requestReturn refuse une ligne"
        " PERISHABLE, PRESS ou CUSTOM_MADE (NOT_RETURNABLE)."
    )
    withdrawal_notice: str | None = strawberry.field(
        description="La mention montrée à l'achat (« Non retournable : denrée périssable (art."
        " L221-28 4° du Code de la consommation) ») ; null si la ligne est retournable."
    )

    @strawberry.field(description="Le produit aujourd'hui (null s'il a été supprimé).")
    async def product(self, info: Info) -> ProductType | None:
        if self.row.product_id is None:
            return None
        row = await info.context.loaders.product_by_id.load(self.row.product_id)
        return ProductType.from_row(row) if row is not None else None

    @classmethod
    def from_row(cls, row: models.OrderLine) -> OrderLineType:
        return cls(
            row=row,
            id=encode_id("OrderLine", row.id),  # type: ignore[arg-type]
            product_name=row.product_name,
            unit_price=Money(cents=row.unit_cents),
            quantity=row.quantity,
            total=Money(cents=row.total_cents),
            vat_rate=VatRate(row.vat_bp),
            withdrawal_exclusion=exclusion_of(row.withdrawal_exclusion),
            withdrawal_notice=labels.withdrawal_notice(row.withdrawal_exclusion),
        )


@strawberry.type(
    description="Le créneau de livraison vendu avec la commande (heure de La Réunion)."
)
class OrderDeliverySlot:
    starts_at: datetime = strawberry.field(description="Début de la livraison.")
    ends_at: datetime = strawberry.field(description="Fin de la livraison.")
    label: str = strawberry.field(description="« mardi 8 décembre entre 14 h et 16 h ».")


@strawberry.type(description="Comment le client reçoit la commande.")
class OrderFulfilment:
    mode: FulfilmentModeEnum
    mode_label: str = strawberry.field(description="« Retrait en boutique » ou « Livraison… ».")
    carrier: Carrier | None
    carrier_label: str | None = strawberry.field(description="Le transporteur, en clair.")
    ready_by: datetime | None = strawberry.field(
        description="Retrait : prête au plus tard à cette heure (2 h d'ouverture après paiement)."
    )
    address: DeliveryAddress | None = strawberry.field(
        description="Livraison : l'adresse ; pour les commerçants, null une fois le délai de"
        " rétractation passé (même règle que Order.customer.address)."
    )
    tracking_carrier: str | None
    tracking_number: str | None
    delivery_slot: OrderDeliverySlot | None = strawberry.field(
        description="Livraison par le commerçant sur créneau : le créneau réservé au paiement,"
        " tel qu'il a été vendu (une modification ultérieure du créneau ne le change pas)."
    )
    estimated_delivery_date: date | None = strawberry.field(
        description="Livraison : le jour annoncé à la commande (celui du créneau, ou la règle"
        " du transporteur, en jours ouvrés de La Réunion : DeliveryOption.estimatedDate)."
    )
    delivery_promise: str | None = strawberry.field(
        description="Ce que lisent le client et la boutique : « Livraison le mardi 8 décembre"
        " entre 14 h et 16 h » ou « Livraison estimée le jeudi 10 décembre » ; null pour un"
        " retrait."
    )


CONTACT_RULE = (
    " Pour les commerçants de la boutique, seulement tant qu'ils en ont besoin : du paiement"
    " à la réception, puis jusqu'à la fin du délai de rétractation (withdrawalDeadline), et"
    " au-delà tant qu'un retour est ouvert ; null sinon (avant paiement, commande annulée, ou"
    " délai passé). Le client et le personnel le voient toujours ; null aussi une fois le"
    " compte du client supprimé."
)


@strawberry.type(description="Ce qu'il faut savoir du client pour servir la commande.")
class OrderCustomer:
    first_name: str = strawberry.field(description="« Client » une fois le compte supprimé.")
    last_name: str
    phone: str | None = strawberry.field(
        description="Le téléphone donné à la commande (E.164)." + CONTACT_RULE
    )
    address: DeliveryAddress | None = strawberry.field(
        description="Seulement pour une livraison." + CONTACT_RULE
    )


async def can_see_order(info: Info, order: models.Order) -> bool:
    return await access.may_see_order(info.context.user, order, info.context.member_of)


async def can_see_contact(info: Info, order: models.Order) -> bool:
    """The customer's phone and address on this order (``access.may_see_customer_contact``)."""
    ctx = info.context

    async def return_open() -> bool:
        backs = await ctx.loaders.returns_by_order_id.load(order.id)
        return any(back.status in OPEN_RETURNS for back in backs)

    return await access.may_see_customer_contact(
        ctx.user, order, ctx.member_of, ctx.now, return_open
    )


def can_see_purchase(info: Info, purchase: models.Purchase) -> bool:
    return access.may_see_purchase(info.context.user, purchase)


@strawberry.type(name="Order", description="La part d'un achat pour une boutique.")
class OrderType(relay.Node):
    id: relay.NodeID[int]
    row: strawberry.Private[models.Order]
    number: str = strawberry.field(
        description="Le numéro lisible, unique, sans trou par boutique (ex. « FOU-0007 ») :"
        " celui des SMS, des e-mails, des factures et de /commercant/commandes/<numéro>."
    )
    status: OrderStatusEnum
    status_label: str = strawberry.field(description="L'état en français (« prête à retirer »).")
    created_at: datetime
    paid_at: datetime | None
    subtotal: Money
    delivery_fee: Money
    total: Money
    vat: list[VatAmount]
    problem: str | None = strawberry.field(
        description="Le problème signalé par le commerçant, s'il y en a un."
    )
    pushed_event: strawberry.Private[models.OrderEvent | None] = None

    @classmethod
    def from_row(
        cls, row: models.Order, pushed_event: models.OrderEvent | None = None
    ) -> OrderType:
        return cls(
            id=row.id,  # type: ignore[arg-type]
            row=row,
            pushed_event=pushed_event,
            number=row.number,
            status=OrderStatusEnum(row.status),
            status_label=labels.status_label(row.status),
            created_at=row.created_at,
            paid_at=row.paid_at,
            subtotal=Money(cents=row.subtotal_cents),
            delivery_fee=Money(cents=row.delivery_fee_cents),
            total=Money(cents=row.total_cents),
            vat=[
                VatAmount(rate=VatRate(int(rate)), amount=Money(cents=cents))
                for rate, cents in sorted(row.vat_cents.items())
            ],
            problem=row.problem,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[OrderType | None]:
        rows = await info.context.loaders.order_by_id.load_many(primary_keys(node_ids))
        return [
            cls.from_row(row) if row is not None and await can_see_order(info, row) else None
            for row in rows
        ]

    @strawberry.field
    async def shop(self, info: Info) -> ShopType:
        return ShopType.from_row(await info.context.loaders.shop_by_id.load(self.row.shop_id))

    @strawberry.field(
        description="Dans un abonnement : l'événement qui a poussé la commande ; son id sert "
        "d'« after » pour rattraper après une reconnexion."
    )
    async def event(self, info: Info) -> OrderEventType | None:
        return OrderEventType.from_row(self.pushed_event) if self.pushed_event else None

    @strawberry.field(
        description="Dernier instant du droit de rétractation (art. L221-18 et L221-19 du Code"
        " de la consommation) : 14 jours comptés à partir du lendemain de la réception (livrée"
        " ou retirée), jusqu'à 23:59:59 heure de La Réunion du 14e jour, reporté à la fin du"
        " jour ouvrable suivant si ce jour est un samedi, un dimanche ou un jour férié à La"
        " Réunion. Null avant la réception."
    )
    def withdrawal_deadline(self) -> datetime | None:
        return withdrawal.withdrawal_deadline(self.row)

    @strawberry.field(
        description="Le client peut encore se rétracter (bouton « retourner ») : dans le délai,"
        " et il reste des articles retournables qui ne sont pas déjà dans un retour (demandé,"
        " reçu ou remboursé) ; faux pour une commande de produits exclus du droit de"
        " rétractation seulement (OrderLine.withdrawalExclusion)."
    )
    async def viewer_can_request_return(self, info: Info) -> bool:
        ctx, order = info.context, self.row

        async def anything_left() -> bool:
            lines = await ctx.loaders.lines_by_order_id.load(order.id)
            backs = await ctx.loaders.returns_by_order_id.load(order.id)
            return await anything_left_to_return(ctx.reads, lines, backs)

        return await access.may_request_return(ctx.user, order, ctx.now, anything_left)

    @strawberry.field(
        description="Livrée hors de La Réunion : vendue sans la TVA de La Réunion (art. 262 I du"
        " CGI), la facture porte la mention d'exonération, des taxes d'importation peuvent être"
        " dues à l'arrivée."
    )
    def outside_reunion(self) -> bool:
        return self.row.outside_reunion

    @strawberry.field(
        description="Sa facture (ou un avoir) attend l'identité légale de la boutique : elle"
        " sera émise et envoyée par e-mail au client dès que la boutique l'aura complétée."
    )
    async def invoice_pending(self, info: Info) -> bool:
        return await info.context.loaders.held_invoices_by_order_id.load(self.row.id) > 0

    @strawberry.field(
        description="Sa facture (au nom du vendeur) et ses avoirs ; vide tant que la facture est"
        " en attente de l'identité légale de la boutique (ShopLegalIdentity)."
    )
    async def invoices(self, info: Info) -> list[InvoiceType]:
        rows = await info.context.loaders.invoices_by_order_id.load(self.row.id)
        return [InvoiceType.from_row(row) for row in rows]

    @strawberry.field(description="Les retours de cette commande.")
    async def returns(
        self, info: Info
    ) -> list[Annotated[ReturnType, strawberry.lazy("otesaintjo.schema.returns")]]:
        from otesaintjo.schema.returns import ReturnType

        rows = await info.context.loaders.returns_by_order_id.load(self.row.id)
        return [ReturnType.from_row(row) for row in rows]

    @strawberry.field(description="L'achat dont la commande fait partie (client et personnel).")
    async def purchase(self, info: Info) -> PurchaseType | None:
        row = await info.context.loaders.purchase_by_id.load(self.row.purchase_id)
        return PurchaseType.from_row(row) if row and can_see_purchase(info, row) else None

    @strawberry.field
    async def lines(self, info: Info) -> list[OrderLineType]:
        rows = await info.context.loaders.lines_by_order_id.load(self.row.id)
        return [OrderLineType.from_row(row) for row in rows]

    @strawberry.field
    async def fulfilment(self, info: Info) -> OrderFulfilment:
        order = self.row
        purchase = await info.context.loaders.purchase_by_id.load(order.purchase_id)
        delivery = order.mode == models.FulfilmentMode.DELIVERY and await can_see_contact(
            info, order
        )
        return OrderFulfilment(
            mode=FulfilmentModeEnum(order.mode),
            mode_label=labels.mode_label(order.mode),
            carrier=Carrier(order.carrier) if order.carrier else None,
            carrier_label=labels.carrier_label(order.carrier) if order.carrier else None,
            ready_by=order.ready_by,
            address=DeliveryAddress.from_json(purchase.delivery_address) if delivery else None,
            tracking_carrier=order.tracking_carrier,
            tracking_number=order.tracking_number,
            delivery_slot=OrderDeliverySlot(
                starts_at=order.delivery_starts_at,
                ends_at=order.delivery_ends_at,
                label=labels.slot_label(order.delivery_starts_at, order.delivery_ends_at),
            )
            if order.delivery_starts_at and order.delivery_ends_at
            else None,
            estimated_delivery_date=order.estimated_delivery_on,
            delivery_promise=labels.delivery_promise(
                order.delivery_starts_at, order.delivery_ends_at, order.estimated_delivery_on
            ),
        )

    @strawberry.field(
        description="Le code à donner au comptoir : pour le client seul, une fois prête."
    )
    def pickup_code(self, info: Info) -> str | None:
        viewer = info.context.viewer
        if viewer is None or viewer.user.id != self.row.user_id:
            return None
        return self.row.pickup_code if self.row.status == S.READY_FOR_PICKUP else None

    @strawberry.field(description="Le client : nom, téléphone, et l'adresse pour une livraison.")
    async def customer(self, info: Info) -> OrderCustomer:
        loaders = info.context.loaders
        user = await loaders.user_by_id.load(self.row.user_id)
        purchase = await loaders.purchase_by_id.load(self.row.purchase_id)
        contact = await can_see_contact(info, self.row)
        delivery = contact and self.row.mode == models.FulfilmentMode.DELIVERY
        return OrderCustomer(
            first_name=user.first_name,
            last_name=user.last_name,
            phone=(purchase.contact_phone or None) if contact else None,
            address=DeliveryAddress.from_json(purchase.delivery_address) if delivery else None,
        )

    @strawberry.field(
        description="Le client peut annuler tant que l'achat n'est pas payé (tout l'achat "
        "est alors annulé) ; le personnel peut annuler à tout moment, avec remboursement."
    )
    def viewer_can_cancel(self, info: Info) -> bool:
        return access.may_cancel(info.context.user, self.row)


@strawberry.enum(name="InvoiceKind", description="Facture, ou avoir (un remboursement).")
class InvoiceKindEnum(Enum):
    INVOICE = enum_value("INVOICE", description="La facture de la commande (numéro F-…).")
    CREDIT_NOTE = enum_value(
        "CREDIT_NOTE",
        description="Un avoir (numéro AV-…) : un remboursement, après retour ou annulation.",
    )


@strawberry.type(name="Invoice", description="Facture ou avoir, émis au nom de la boutique.")
class InvoiceType:
    row: strawberry.Private[models.Invoice]
    number: str = strawberry.field(description="Numéro chronologique sans trou, par boutique.")
    kind: InvoiceKindEnum
    issued_at: datetime
    total: Money

    @classmethod
    def from_row(cls, row: models.Invoice) -> InvoiceType:
        return cls(
            row=row,
            number=row.snapshot.get("number", ""),
            kind=InvoiceKindEnum(row.kind),
            issued_at=row.issued_at,
            total=Money(cents=row.snapshot.get("total_ttc_cents", 0)),
        )

    @strawberry.field(description="Lien de téléchargement du PDF, valable 15 minutes.")
    def download_url(self, info: Info) -> str:
        ctx = info.context
        user_id = ctx.viewer.user.id
        return invoice_links.download_url(ctx.settings, self.row.id, user_id, ctx.now)  # type: ignore[arg-type]


@strawberry.type(name="OrderConnection")
class OrderConnection(CountedConnection[OrderType]):
    pass


@strawberry.type(description="Le paiement d'un achat (Stripe).")
class Payment:
    amount: Money
    client_secret: str | None = strawberry.field(
        description="À passer à Stripe.js pour payer (carte, PayPal si activé)."
    )
    expires_at: datetime = strawberry.field(
        description="Sans paiement à cette heure, l'achat est annulé et le stock libéré."
    )
    error: str | None = strawberry.field(description="Le motif du dernier échec de paiement.")


@strawberry.type(name="Purchase", description="Un achat : un paiement, une commande par boutique.")
class PurchaseType(relay.Node):
    id: relay.NodeID[int]
    row: strawberry.Private[models.Purchase]
    status: PurchaseStatusEnum
    created_at: datetime
    paid_at: datetime | None
    total: Money

    @classmethod
    def from_row(cls, row: models.Purchase) -> PurchaseType:
        return cls(
            id=row.id,  # type: ignore[arg-type]
            row=row,
            status=PurchaseStatusEnum(row.status),
            created_at=row.created_at,
            paid_at=row.paid_at,
            total=Money(cents=row.total_cents),
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PurchaseType | None]:
        rows = await info.context.loaders.purchase_by_id.load_many(primary_keys(node_ids))
        return [
            cls.from_row(row) if row is not None and can_see_purchase(info, row) else None
            for row in rows
        ]

    @strawberry.field
    async def orders(self, info: Info) -> list[OrderType]:
        rows = await info.context.loaders.orders_by_purchase_id.load(self.row.id)
        return [OrderType.from_row(row) for row in rows]

    @strawberry.field
    def payment(self, info: Info) -> Payment:
        viewer = info.context.viewer
        own = viewer is not None and viewer.user.id == self.row.user_id
        pending = self.row.status == models.PurchaseStatus.PENDING_PAYMENT
        return Payment(
            amount=Money(cents=self.row.total_cents),
            client_secret=self.row.client_secret if own and pending else None,
            expires_at=self.row.expires_at,
            error=self.row.payment_error,
        )


@strawberry.input(description="Adresse de livraison (son code postal est celui du panier).")
class DeliveryAddressInput:
    street: str = strawberry.field(description="Numéro et voie, 200 caractères au plus.")
    postcode: str = strawberry.field(
        description="5 chiffres, le même que le code postal de livraison du panier."
    )
    town: str = strawberry.field(description="Commune, 100 caractères au plus.")


@strawberry.input
class CheckoutInput:
    idempotency_key: str = strawberry.field(
        description="Une clé par tentative d'achat (un UUID) : la même clé avec le même panier "
        "rend le même achat ; avec un autre panier, une erreur."
    )
    contact_phone: str = strawberry.field(
        description="Téléphone pour la commande, enregistré au format E.164 ; sans indicatif,"
        " un numéro de La Réunion (+262)."
    )
    address: DeliveryAddressInput | None = strawberry.field(
        default=None, description="Nécessaire dès qu'une boutique livre."
    )


@strawberry.type
class PurchasePayload:
    purchase: PurchaseType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CheckoutPayload(PurchasePayload):
    pass


@strawberry.type
class ConfirmPaymentPayload(PurchasePayload):
    pass


@strawberry.input
class ConfirmPaymentInput:
    purchase_id: strawberry.ID = strawberry.field(
        description="L'identifiant de l'achat (Purchase.id), rendu par checkout."
    )


@strawberry.input
class OrderInput:
    order_id: strawberry.ID = strawberry.field(description="L'identifiant de la commande.")


@strawberry.input
class MarkOrderCollectedInput:
    order_id: strawberry.ID = strawberry.field(description="L'identifiant de la commande.")
    pickup_code: str = strawberry.field(description="Le code que le client donne au comptoir.")


@strawberry.input
class MarkOrderShippedInput:
    order_id: strawberry.ID = strawberry.field(description="L'identifiant de la commande.")
    carrier: str = strawberry.field(description="Transporteur, ex. « Colissimo ».")
    tracking_number: str = strawberry.field(
        description="Le numéro de suivi du colis (100 caractères au plus), montré au client."
    )


@strawberry.input
class ReportOrderProblemInput:
    order_id: strawberry.ID = strawberry.field(description="L'identifiant de la commande.")
    message: str = strawberry.field(description="Ce qui empêche d'honorer la commande.")


@strawberry.type
class OrderPayload:
    order: OrderType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.enum(description="Statut des versements de la boutique.")
class PayoutStatus(Enum):
    NOT_STARTED = enum_value(
        "NOT_STARTED", description="Inscription Stripe pas commencée (startPayoutOnboarding)."
    )
    PENDING = enum_value(
        "PENDING",
        description="Inscription commencée, versements pas encore ouverts : voir requirementsDue.",
    )
    ENABLED = enum_value(
        "ENABLED", description="Versements ouverts : la boutique reçoit ses ventes."
    )


@strawberry.type(description="Les versements Stripe de la boutique (pour ses commerçants).")
class ShopPayouts:
    status: PayoutStatus
    requirements_due: list[str] = strawberry.field(
        description="Ce que Stripe attend encore (codes Stripe, ex. individual.verification…)."
    )

    @classmethod
    def from_row(cls, shop: models.Shop) -> ShopPayouts:
        if shop.stripe_account_id is None:
            status = PayoutStatus.NOT_STARTED
        elif shop.payouts_enabled:
            status = PayoutStatus.ENABLED
        else:
            status = PayoutStatus.PENDING
        return cls(status=status, requirements_due=list(shop.payout_requirements))


@strawberry.enum(description="Pièce justificative demandée par Stripe.")
class KycDocumentKind(Enum):
    IDENTITY_DOCUMENT = enum_value(
        "IDENTITY_DOCUMENT", description="Pièce d'identité (carte d'identité, passeport…)."
    )
    PROOF_OF_ADDRESS = enum_value("PROOF_OF_ADDRESS", description="Justificatif de domicile.")


@strawberry.input
class StartPayoutOnboardingInput:
    shop_id: strawberry.ID = strawberry.field(description="La boutique, gérée par l'appelant.")


@strawberry.type
class StartPayoutOnboardingPayload:
    url: str | None = strawberry.field(
        default=None, description="Le lien d'inscription Stripe, à ouvrir par le commerçant."
    )
    payouts: ShopPayouts | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class UploadKycDocumentInput:
    shop_id: strawberry.ID = strawberry.field(description="La boutique, gérée par l'appelant.")
    kind: KycDocumentKind = strawberry.field(description="La nature de la pièce.")
    file: Upload = strawberry.field(description="PNG ou JPEG, 10 Mo au plus.")


@strawberry.type
class UploadKycDocumentPayload:
    payouts: ShopPayouts | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


OrderConnectionRef = Annotated[OrderConnection, strawberry.lazy("otesaintjo.schema.orders")]


async def order_page(
    info: Info,
    *,
    first: int | None,
    after: str | None,
    shop_id: int | None = None,
    user_id: int | None = None,
    status: OrderStatusEnum | None = None,
) -> OrderConnection:
    """A page of orders, newest first: a shop's, a customer's, or all (staff)."""
    factory = info.context.reads
    return await connection(
        OrderConnection,
        lambda limit: orders.orders_page(
            factory,
            shop_id=shop_id,
            user_id=user_id,
            status=status.value if status else None,
            limit=limit,
            after=after,
        ),
        first,
        lambda row: OrderType.from_row(row[0]),
    )


@strawberry.enum(name="OrderEventKind", description="PLACED : la commande vient d'être payée.")
class OrderEventKindEnum(Enum):
    PLACED = enum_value(
        "PLACED", description="La commande vient d'être payée : une nouvelle commande."
    )
    UPDATED = enum_value(
        "UPDATED",
        description="Tout changement ultérieur : étape, annulation, retour, remboursement.",
    )


@strawberry.type(
    name="OrderEvent", description="Un changement d'état d'une commande, numéroté par boutique."
)
class OrderEventType(relay.Node):
    id: relay.NodeID[int]
    row: strawberry.Private[models.OrderEvent]
    sequence: int = strawberry.field(description="Croissant, sans trou, pour la boutique.")
    kind: OrderEventKindEnum
    status: OrderStatusEnum
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.OrderEvent) -> OrderEventType:
        return cls(
            id=row.id,  # type: ignore[arg-type]
            row=row,
            sequence=row.sequence,
            kind=OrderEventKindEnum(row.kind),
            status=OrderStatusEnum(row.status),
            created_at=row.created_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[OrderEventType | None]:
        """Reached through ``orderEvents`` only."""
        return [None for _ in node_ids]

    @strawberry.field
    async def order(self, info: Info) -> OrderType | None:
        row = await info.context.loaders.order_by_id.load(self.row.order_id)
        return OrderType.from_row(row) if row and await can_see_order(info, row) else None


def prime_placed(info: Info, placed: Any) -> None:
    """The rows a checkout just wrote, handed to the loaders: its payload is mapped from them
    instead of read back (``services.checkout.Placed``; a purchase found by its key brings
    none, and its payload reads as any other)."""
    loaders = info.context.loaders
    purchase = placed.purchase
    loaders.purchase_by_id.prime(purchase.id, purchase)
    if not placed.orders:
        return
    loaders.orders_by_purchase_id.prime(purchase.id, list(placed.orders))
    for order in placed.orders:
        loaders.lines_by_order_id.prime(order.id, placed.lines.get(order.id, []))
        loaders.returns_by_order_id.prime(order.id, [])  # a new order has none
        loaders.invoices_by_order_id.prime(order.id, [])  # invoiced once paid
    for shop in placed.shops:
        loaders.shop_by_id.prime(shop.id, shop)
