"""Checkout: the cart becomes one purchase with one order per shop, stock reserved, then paid.

``checkout`` runs one short transaction, then asks Stripe with no row lock held:

1. ``place``: validate the cart, write the purchase (``INSERT … ON CONFLICT DO NOTHING`` on
   the unique (customer, idempotency key): a concurrent twin waits on the key, then finds the
   purchase it committed), book the delivery slots, then what takes locks other checkouts
   wait for: the stock (``stock.reserve``: one statement for every line, all or nothing), the
   shops' order numbers, the orders and their lines, with the expiry job. On PostgreSQL these
   are one statement (``checkout_statement``) right before the COMMIT, so the locks are held
   for one round trip; SQLite, one writer at a time, runs them one after another.
2. ``checkout_payment.attach_payment``: create its PaymentIntent once and store it (one
   statement, committed on its own). The purchase's payment claim, taken in its INSERT, makes
   callers with the same key wait for that PaymentIntent rather than ask Stripe for another.

The rows it wrote come back with the purchase (``Placed``): the payload is mapped from them,
with no read after the commit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.db import dialect_insert
from otesaintjo.errors import DomainError, ErrorCode
from otesaintjo.models import (
    FulfilmentMode,
    Job,
    Order,
    OrderLine,
    Purchase,
    Shop,
    User,
)
from otesaintjo.models.base import built
from otesaintjo.payments.gateway import PaymentsGateway
from otesaintjo.services import cart as carts
from otesaintjo.services import checkout_payment as payment
from otesaintjo.services import checkout_statement, delivery_slots, order_numbers, stock
from otesaintjo.services.outbox import enqueue
from otesaintjo.services.shop_rules import check_postcode
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


@dataclass(frozen=True)
class Placed:
    """A purchase, and — when this call placed it — the rows it wrote (for the payload)."""

    purchase: Purchase
    orders: list[Order] = field(default_factory=list)
    lines: dict[int, list[OrderLine]] = field(default_factory=dict)  # by order id
    shops: list[Shop] = field(default_factory=list)
    created: bool = False  # by this call, which then holds its payment claim


async def checkout(
    unit_of_work: UnitOfWork,
    gateway: PaymentsGateway,
    settings: Settings,
    user: User,
    request: CheckoutRequest,
    now: datetime,
) -> Purchase:
    """The whole action (``checkout_placed``), the purchase only."""
    return (await checkout_placed(unit_of_work, gateway, settings, user, request, now)).purchase


async def checkout_placed(
    unit_of_work: UnitOfWork,
    gateway: PaymentsGateway,
    settings: Settings,
    user: User,
    request: CheckoutRequest,
    now: datetime,
) -> Placed:
    """Place the purchase, then attach its PaymentIntent. A twin with the same key waits on
    the key's INSERT and finds the purchase; were the key still refused (an IntegrityError),
    a second try finds it."""

    async def place_once() -> Placed:
        async with unit_of_work() as session:
            return await place(session, settings, user, request, now)

    try:
        placed = await place_once()
    except IntegrityError:
        placed = await place_once()
    purchase = await payment.attach_payment(
        unit_of_work, gateway, placed.purchase, claimed=placed.created, now=now
    )
    return Placed(purchase, placed.orders, placed.lines, placed.shops, placed.created)


async def place(
    session: AsyncSession,
    settings: Settings,
    user: User,
    request: CheckoutRequest,
    now: datetime,
) -> Placed:
    """The purchase of this key: the one already placed with the same cart, or a new one."""
    key = request.idempotency_key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"La clé d'idempotence doit faire 1 à {MAX_KEY_LENGTH} caractères.",
            ["idempotencyKey"],
        )
    view = await carts.view_user_cart(session, settings, user.id, now)  # type: ignore[arg-type]
    phone = normalize_phone(request.contact_phone, ["contactPhone"])
    address = _address(request.address, view) if view else None
    fingerprint = _fingerprint(view, phone, address)
    if view is None or not view.shops:
        # A retry after payment finds the cart emptied by that very purchase: same answer.
        existing = await _by_key(session, user.id, key)  # type: ignore[arg-type]
        if existing is not None:
            return Placed(existing)
        raise DomainError(ErrorCode.EMPTY_CART, "Le panier est vide.")
    try:
        _check_fulfilment(view)
    except DomainError:  # the cart may have changed since this key placed its purchase
        existing = await _by_key(session, user.id, key)  # type: ignore[arg-type]
        if existing is not None and existing.cart_fingerprint == fingerprint:
            return Placed(existing)
        raise
    purchase = built(
        Purchase,
        user_id=user.id,  # type: ignore[arg-type]
        idempotency_key=key,
        cart_fingerprint=fingerprint,
        total_cents=view.totals.total_cents,
        contact_phone=phone,
        delivery_address=address.__dict__ if address else None,
        expires_at=now + timedelta(minutes=settings.checkout_expiry_minutes),
        created_at=now,
        payment_claimed_until=now + payment.PAYMENT_CLAIM,  # this call creates its PaymentIntent
    )
    # The key first: a concurrent twin waits on it, then finds this purchase (were stock
    # taken first, the twin could be refused for the stock its own key holds).
    if not await _insert_new(session, purchase):
        existing = await _by_key(session, user.id, key)  # type: ignore[arg-type]
        assert existing is not None  # the conflicting row committed: it is visible now
        if existing.cart_fingerprint != fingerprint:
            raise DomainError(
                ErrorCode.IDEMPOTENCY_KEY_REUSED,
                "Cette clé a déjà servi pour un autre panier : générez-en une nouvelle.",
                ["idempotencyKey"],
            )
        return Placed(existing)
    shop_views = sorted(view.shops, key=lambda v: v.shop.id)  # type: ignore[arg-type, return-value]
    # Each delivery slot's place first, shops in id order (all or nothing with the stock).
    for shop_view in shop_views:
        if shop_view.merchant_delivery and shop_view.delivery_slot is not None:
            await delivery_slots.book(
                session, shop_view.delivery_slot, ["shops", str(shop_view.shop.id), "slotId"]
            )
    payload = {"purchase_id": purchase.id}
    expiry = built(Job, kind=EXPIRE_JOB, payload=payload, run_at=purchase.expires_at)
    orders = [_order(purchase, v) for v in shop_views]
    lines = {order.shop_id: _lines(v) for order, v in zip(orders, shop_views, strict=True)}
    quantities = {line.product_id: line.quantity for v in shop_views for line in v.totals.lines}
    writes = _Writes(quantities, orders, lines, shop_views, expiry)
    try:
        if session.bind.dialect.name == "postgresql":
            await _write_in_one_statement(session, writes)
        else:
            await _write_in_turn(session, writes)
    except stock.OutOfStock as short:
        raise _naming(short, view) from None
    by_order = {order.id: lines[order.shop_id] for order in orders}
    return Placed(purchase, orders, by_order, [v.shop for v in shop_views], created=True)  # type: ignore[arg-type]


@dataclass(frozen=True)
class _Writes:
    """What a purchase writes once its key is taken: the stock it takes, its orders (one per
    shop, numbered when written), their lines by shop id, and its expiry job."""

    quantities: dict[int, int]
    orders: list[Order]
    lines: dict[int, list[OrderLine]]
    shop_views: list[carts.ShopView]
    expiry: Job


async def _write_in_one_statement(session: AsyncSession, writes: _Writes) -> None:
    """PostgreSQL: every write that takes a shared lock in one statement, the expiry job with
    them (``checkout_statement``), and the caller commits at once."""
    codes = {v.shop.id: v.shop.order_code for v in writes.shop_views}
    written = await checkout_statement.write(
        session,
        writes.quantities,
        writes.orders,
        writes.lines,
        codes,  # type: ignore[arg-type]
        writes.expiry,
    )
    await stock.settle(session, writes.quantities, written.reserved)
    for order in writes.orders:
        order.id, order.number = written.orders[order.shop_id]
        for line in writes.lines[order.shop_id]:
            line.order_id = order.id  # type: ignore[assignment]
            line.id = written.lines[order.id, line.product_id]


async def _write_in_turn(session: AsyncSession, writes: _Writes) -> None:
    """SQLite (one writer at a time: no lock to hold short): one statement after another."""
    expiry = writes.expiry
    enqueue(session, expiry.kind, expiry.payload, run_at=expiry.run_at)
    await stock.reserve(session, writes.quantities)
    shops = [v.shop for v in writes.shop_views]
    numbers = await order_numbers.next_order_numbers(session, shops)
    for order in writes.orders:
        order.number = numbers[order.shop_id]
    session.add_all(writes.orders)
    await session.flush()  # one INSERT for every order (their ids, for the lines)
    for order in writes.orders:
        for line in writes.lines[order.shop_id]:
            line.order_id = order.id  # type: ignore[assignment]
        session.add_all(writes.lines[order.shop_id])


async def _insert_new(session: AsyncSession, purchase: Purchase) -> bool:
    """Insert the purchase unless its key exists (then False, and nothing written); its id
    is set on ``purchase``."""
    table = Purchase.__table__
    values = {c.key: getattr(purchase, c.key) for c in table.columns if c.key != "id"}
    statement = _new_purchase_insert(session.bind.dialect.name)
    new_id = (await session.execute(statement, values)).scalar()
    purchase.id = new_id
    return new_id is not None


@cache
def _new_purchase_insert(dialect: str) -> Any:
    """``_insert_new``'s statement, built once per dialect; the values come as parameters."""
    table = Purchase.__table__
    return (
        dialect_insert(dialect)(table)
        .on_conflict_do_nothing(index_elements=[table.c.user_id, table.c.idempotency_key])
        .returning(table.c.id)
    )


def _naming(short: stock.OutOfStock, view: carts.CartView) -> DomainError:
    """The refusal, naming the products that lack stock."""
    names = {
        product_id: product.name
        for shop_view in view.shops
        for product_id, product in shop_view.products.items()
    }
    listed = ", ".join(f"« {names[i]} »" for i in short.short if i in names)
    return DomainError(
        ErrorCode.OUT_OF_STOCK,
        f"Plus assez de stock pour : {listed}." if listed else short.message,
        ["productId"],
    )


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


def _order(purchase: Purchase, shop_view: carts.ShopView) -> Order:
    """The shop's order, numbered when written."""
    shop_totals = shop_view.totals
    fulfilment = shop_view.fulfilment
    assert fulfilment is not None
    slot = shop_view.delivery_slot if shop_view.merchant_delivery else None
    option = next((o for o in shop_view.delivery_options if o.carrier == fulfilment.carrier), None)
    return built(
        Order,
        number="",
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


def _lines(shop_view: carts.ShopView) -> list[OrderLine]:
    """The order's lines, attached to it when it is written."""
    return [
        built(
            OrderLine,
            product_id=line.product_id,
            product_name=shop_view.products[line.product_id].name,
            unit_cents=line.unit_cents,
            quantity=line.quantity,
            vat_bp=line.vat_bp,
            total_cents=line.total_cents,
            # What the customer was told before buying (L221-28) is what counts.
            withdrawal_exclusion=shop_view.products[line.product_id].withdrawal_exclusion,
        )
        for line in shop_view.totals.lines
    ]
