"""Checkout: the cart becomes one purchase with one order per shop, stock reserved, then paid.

``checkout`` runs two short transactions, so that no row lock is held during a call to Stripe:

1. ``place``: validate the cart, reserve the stock (``stock.reserve``: conditional updates
   in id order, all or nothing), write the purchase, its orders and lines, and the expiry
   job. The unique (customer, idempotency key) makes a concurrent duplicate fail here.
2. ``attach_payment``: lock the purchase row, create its PaymentIntent once, store it.
   Callers with the same key wait on that lock and then find the PaymentIntent.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.errors import DomainError, ErrorCode
from otesaintjo.models import (
    FulfilmentMode,
    Order,
    OrderLine,
    Purchase,
    PurchaseStatus,
    User,
)
from otesaintjo.payments.gateway import PaymentsGateway, PaymentsUnavailable
from otesaintjo.services import cart as carts
from otesaintjo.services import delivery_slots, order_numbers, stock
from otesaintjo.services.outbox import enqueue
from otesaintjo.services.shop_rules import check_postcode
from otesaintjo.services.stripe_keys import stripe_key
from otesaintjo.services.validation import clean_text, normalize_phone
from otesaintjo.settings import Settings

EXPIRE_JOB = "checkout.expire"
MAX_KEY_LENGTH = 100


@dataclass(frozen=True)
class Address:
    street: str
    postcode: str
    town: str


@dataclass(frozen=True)
class CheckoutRequest:
    idempotency_key: str
    contact_phone: str
    address: Address | None = None


UnitOfWork = Callable[[], AbstractAsyncContextManager[AsyncSession]]


async def checkout(
    unit_of_work: UnitOfWork,
    gateway: PaymentsGateway,
    settings: Settings,
    user: User,
    request: CheckoutRequest,
    now: datetime,
) -> Purchase:
    """The whole action: place the purchase (once more if a concurrent call with the same key
    committed first: the second try finds it), then attach its PaymentIntent."""

    async def place_once() -> int:
        async with unit_of_work() as session:
            return (await place(session, settings, user, request, now)).id  # type: ignore[return-value]

    try:
        purchase_id = await place_once()
    except IntegrityError:
        purchase_id = await place_once()
    async with unit_of_work() as session:
        return await attach_payment(session, gateway, purchase_id)


async def place(
    session: AsyncSession,
    settings: Settings,
    user: User,
    request: CheckoutRequest,
    now: datetime,
) -> Purchase:
    """The purchase of this key: the one already placed with the same cart, or a new one."""
    key = request.idempotency_key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"La clé d'idempotence doit faire 1 à {MAX_KEY_LENGTH} caractères.",
            ["idempotencyKey"],
        )
    cart = await carts.find_cart(session, carts.Owner(user))
    view = await carts.view_cart(session, settings, cart, now) if cart else None
    phone = normalize_phone(request.contact_phone, ["contactPhone"])
    address = _address(request.address, view) if view else None
    fingerprint = _fingerprint(view, phone, address)
    existing = await _by_key(session, user.id, key)  # type: ignore[arg-type]
    emptied = view is None or not view.shops
    if existing is not None:
        # A retry after payment finds the cart emptied by that very purchase: same answer.
        if existing.cart_fingerprint != fingerprint and not emptied:
            raise DomainError(
                ErrorCode.IDEMPOTENCY_KEY_REUSED,
                "Cette clé a déjà servi pour un autre panier : générez-en une nouvelle.",
                ["idempotencyKey"],
            )
        return existing
    if view is None or emptied:
        raise DomainError(ErrorCode.EMPTY_CART, "Le panier est vide.")
    _check_fulfilment(view)
    purchase = Purchase(
        user_id=user.id,  # type: ignore[arg-type]
        idempotency_key=key,
        cart_fingerprint=fingerprint,
        total_cents=view.totals.total_cents,
        contact_phone=phone,
        delivery_address=address.__dict__ if address else None,
        expires_at=now + timedelta(minutes=settings.checkout_expiry_minutes),
        created_at=now,
    )
    session.add(purchase)
    # The key first: a concurrent twin waits on it, fails, and retries to find this purchase
    # (were stock taken first, the twin could be refused for the stock its own key holds).
    await session.flush()
    await stock.reserve(
        session,
        {line.product_id: line.quantity for shop in view.shops for line in shop.totals.lines},
    )
    # Then each delivery slot's place, shops in id order (all or nothing with the stock).
    for shop_view in sorted(view.shops, key=lambda v: v.shop.id):  # type: ignore[arg-type, return-value]
        if shop_view.merchant_delivery and shop_view.delivery_slot is not None:
            await delivery_slots.book(
                session, shop_view.delivery_slot, ["shops", str(shop_view.shop.id), "slotId"]
            )
    # Shops in id order: each takes its order-number counter lock (no crossed waits).
    for shop_view in sorted(view.shops, key=lambda v: v.shop.id):  # type: ignore[arg-type, return-value]
        await _add_order(session, purchase, shop_view)
    enqueue(session, EXPIRE_JOB, {"purchase_id": purchase.id}, run_at=purchase.expires_at)
    return purchase


async def attach_payment(
    session: AsyncSession, gateway: PaymentsGateway, purchase_id: int
) -> Purchase:
    """Create the purchase's PaymentIntent once (the row lock serialises same-key callers)."""
    await session.execute(
        update(Purchase).where(Purchase.id == purchase_id).values(total_cents=Purchase.total_cents)
    )
    purchase = (
        await session.execute(
            select(Purchase)
            .where(Purchase.id == purchase_id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    if purchase.payment_intent_id or purchase.status != PurchaseStatus.PENDING_PAYMENT:
        return purchase
    try:
        payment = await gateway.create_payment(
            purchase.total_cents,
            {"purchase_id": str(purchase.id)},
            idempotency_key=stripe_key("purchase", purchase.id, purchase.created_at, "payment"),
        )
    except PaymentsUnavailable as exc:
        raise DomainError(
            ErrorCode.PAYMENT_UNAVAILABLE,
            "Le paiement est momentanément indisponible ; réessayez avec la même clé.",
        ) from exc
    purchase.payment_intent_id = payment.id
    purchase.client_secret = payment.client_secret
    return purchase


async def _by_key(session: AsyncSession, user_id: int, key: str) -> Purchase | None:
    return (
        await session.execute(
            select(Purchase).where(Purchase.user_id == user_id, Purchase.idempotency_key == key)
        )
    ).scalar_one_or_none()


def _address(given: Address | None, view: carts.CartView) -> Address | None:
    """The delivery address, needed when a shop delivers; its postcode is the cart's."""
    if not any(s.fulfilment and s.fulfilment.mode == FulfilmentMode.DELIVERY for s in view.shops):
        return None
    if given is None:
        raise DomainError(
            ErrorCode.ADDRESS_REQUIRED, "Une adresse de livraison est nécessaire.", ["address"]
        )
    postcode = check_postcode(given.postcode, ["address", "postcode"])
    if postcode != view.cart.delivery_postcode:
        raise DomainError(
            ErrorCode.INVALID_POSTCODE,
            "Le code postal diffère de celui choisi pour la livraison dans le panier.",
            ["address", "postcode"],
        )
    return Address(
        street=clean_text(given.street, ["address", "street"], max_length=200),
        postcode=postcode,
        town=clean_text(given.town, ["address", "town"], max_length=100),
    )


def _fingerprint(view: carts.CartView | None, phone: str, address: Address | None) -> str:
    """Lines, amounts, fulfilment and contact: a key reused for other content is refused."""
    content = {
        "shops": [
            {
                "shop": s.shop.id,
                "lines": [
                    (line.product_id, line.quantity, line.unit_cents) for line in s.totals.lines
                ],
                "fee": s.totals.delivery_fee_cents,
                "mode": s.fulfilment.mode if s.fulfilment else None,
                "carrier": s.fulfilment.carrier if s.fulfilment else None,
                # Only when there is one: the fingerprints of slot-less carts stay as they were.
                **_slot_of(s),
            }
            for s in (view.shops if view else [])
        ],
        "phone": phone,
        "address": address.__dict__ if address else None,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _slot_of(shop_view: carts.ShopView) -> dict[str, str]:
    chosen = shop_view.fulfilment
    if chosen is None or chosen.delivery_slot_id is None or chosen.delivery_slot_date is None:
        return {}
    return {"slot": f"{chosen.delivery_slot_id}@{chosen.delivery_slot_date.isoformat()}"}


def _check_slot(shop_view: carts.ShopView) -> None:
    """A merchant delivering in slots needs one, still offered and not full (a full one is
    refused again, race-safe, when checkout books it)."""
    field = ["shops", str(shop_view.shop.id), "slotId"]
    chosen = shop_view.fulfilment
    assert chosen is not None
    name = shop_view.shop.name
    if chosen.delivery_slot_id is not None and shop_view.delivery_slot is None:
        raise DomainError(
            ErrorCode.DELIVERY_SLOT_UNAVAILABLE,
            f"Le créneau choisi pour « {name} » n'est plus proposé : choisissez-en un autre.",
            field,
        )
    if shop_view.slots_published and shop_view.delivery_slot is None:
        raise DomainError(
            ErrorCode.DELIVERY_SLOT_REQUIRED,
            f"Choisissez un créneau de livraison pour « {name} ».",
            field,
        )
    if shop_view.delivery_slot is not None and shop_view.delivery_slot.full:
        raise delivery_slots.full_error(field)


def _check_fulfilment(view: carts.CartView) -> None:
    for shop_view in view.shops:
        chosen = shop_view.fulfilment
        if chosen is None:
            raise DomainError(
                ErrorCode.FULFILMENT_REQUIRED,
                f"Choisissez le retrait ou la livraison pour « {shop_view.shop.name} ».",
                ["shops", str(shop_view.shop.id)],
            )
        if chosen.mode == FulfilmentMode.PICKUP and shop_view.ready_at is None:
            raise DomainError(
                ErrorCode.PICKUP_UNAVAILABLE,
                f"« {shop_view.shop.name} » ne propose plus le retrait.",
                ["shops", str(shop_view.shop.id)],
            )
        if chosen.mode == FulfilmentMode.DELIVERY:
            try:
                carts.check_delivery(shop_view, view.cart.delivery_postcode, chosen.carrier)
            except DomainError as refusal:  # the same reason, placed on this shop
                raise DomainError(
                    refusal.code, refusal.message, ["shops", str(shop_view.shop.id)]
                ) from None
            if shop_view.merchant_delivery:
                _check_slot(shop_view)


async def _add_order(session: AsyncSession, purchase: Purchase, shop_view: carts.ShopView) -> None:
    shop_totals = shop_view.totals
    fulfilment = shop_view.fulfilment
    assert fulfilment is not None
    slot = shop_view.delivery_slot if shop_view.merchant_delivery else None
    option = next((o for o in shop_view.delivery_options if o.carrier == fulfilment.carrier), None)
    order = Order(
        number=await order_numbers.next_order_number(session, shop_view.shop),
        purchase_id=purchase.id,  # type: ignore[arg-type]
        shop_id=shop_view.shop.id,  # type: ignore[arg-type]
        user_id=purchase.user_id,
        mode=fulfilment.mode,
        carrier=fulfilment.carrier,
        subtotal_cents=shop_totals.subtotal_cents,
        delivery_fee_cents=shop_totals.delivery_fee_cents,
        total_cents=shop_totals.total_cents,
        vat_cents={str(rate): cents for rate, cents in shop_totals.vat_cents.items()},
        # The slot as sold (a later edit of the slot leaves it), or the carrier's day.
        delivery_slot_id=slot.slot.id if slot else None,
        delivery_slot_date=slot.day if slot else None,
        delivery_starts_at=slot.starts_at if slot else None,
        delivery_ends_at=slot.ends_at if slot else None,
        estimated_delivery_on=option.estimated_date
        if option and fulfilment.mode == FulfilmentMode.DELIVERY
        else None,
        # Priced without Réunion VAT (CGI art. 262 I): its invoice says so.
        outside_reunion=shop_totals.outside_reunion,
    )
    session.add(order)
    await session.flush()
    for line in shop_totals.lines:
        session.add(
            OrderLine(
                order_id=order.id,  # type: ignore[arg-type]
                product_id=line.product_id,
                product_name=shop_view.products[line.product_id].name,
                unit_cents=line.unit_cents,
                quantity=line.quantity,
                vat_bp=line.vat_bp,
                total_cents=line.total_cents,
                # What the customer was told before buying (L221-28) is what counts.
                withdrawal_exclusion=shop_view.products[line.product_id].withdrawal_exclusion,
            )
        )
