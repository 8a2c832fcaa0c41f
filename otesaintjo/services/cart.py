"""The cart: one per signed-in customer, or per anonymous cart token (merged at sign-in).

Lines hold products of several shops; per shop the customer chooses home delivery (with a
carrier that serves the address) or click and collect. Amounts come from ``cart_totals``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cache

from sqlalchemy import Select, bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.clock import REUNION
from otesaintjo.errors import DomainError, ErrorCode
from otesaintjo.labels import carrier_label
from otesaintjo.models import (
    Cart,
    CartFulfilment,
    CartItem,
    DeliverySlot,
    FulfilmentMode,
    Product,
    Shop,
    User,
)
from otesaintjo.security import new_token, token_digest
from otesaintjo.services import cart_totals as totals
from otesaintjo.services import delivery_slots, pickup
from otesaintjo.services.delivery_slots import Occurrence
from otesaintjo.services.pricing import ActivePromotion, best_offer
from otesaintjo.services.promotions import active_promotions
from otesaintjo.services.reunion_calendar import add_working_days
from otesaintjo.services.shop_rules import check_postcode
from otesaintjo.settings import Settings

MAX_LINES = 100
MERCHANT = "MERCHANT"
COLISSIMO = "COLISSIMO"
# Working days from the order to the door (first, last), as each carrier announces them;
# a platform carrier's zone may set its own "lead_days" in OTESAINTJO_CARRIER_ZONES.
LEAD_WORKING_DAYS: dict[str, tuple[int, int]] = {
    MERCHANT: (1, 2),
    "LA_POSTE": (2, 3),
    "STUART": (0, 1),
    COLISSIMO: (4, 8),
}


@dataclass(frozen=True)
class Owner:
    """Whose cart: a signed-in user, else the anonymous token the client sent (if any)."""

    user: User | None
    token: str | None = None


@dataclass(frozen=True)
class DeliveryEstimate:
    """The days (Réunion time) the parcel should arrive between, both included."""

    earliest: date
    latest: date


@dataclass(frozen=True)
class DeliveryOption:
    carrier: str
    fee_cents: int
    """What the customer pays: zero when the merchant offers the delivery."""
    regular_fee_cents: int
    estimate: DeliveryEstimate
    estimated_date: date | None = None
    """The day promised: the carrier's rule (``delivery_slots.ESTIMATE_RULES``); for a merchant
    delivering in slots, the day of the slot chosen, else of the first one offered (None when
    none is left)."""
    outside_reunion: bool = False
    """The goods leave La Réunion: no Réunion VAT, import taxes may be due on arrival."""

    @property
    def free(self) -> bool:
        return self.fee_cents == 0


@dataclass(frozen=True)
class ShopView:
    shop: Shop
    products: dict[int, Product]
    totals: totals.ShopTotals
    fulfilment: CartFulfilment | None
    delivery_options: list[DeliveryOption]
    ready_at: datetime | None
    deliverable: bool
    slots_published: bool = False
    """The shop delivers itself in slots: checkout needs one for its own delivery."""
    delivery_slots: tuple[Occurrence, ...] = ()
    """Its occurrences that can still be booked (full ones included: ``Occurrence.full``)."""
    delivery_slot: Occurrence | None = None
    """The occurrence chosen, while it can still be booked."""

    @property
    def merchant_delivery(self) -> bool:
        chosen = self.fulfilment
        return (
            chosen is not None
            and chosen.mode == FulfilmentMode.DELIVERY
            and chosen.carrier == MERCHANT
        )

    @property
    def outside_reunion(self) -> bool:
        """Delivery chosen to a postcode outside La Réunion (CGI art. 262 I)."""
        return self.totals.outside_reunion


@dataclass(frozen=True)
class CartView:
    cart: Cart
    shops: list[ShopView]
    totals: totals.CartTotals


async def find_cart(session: AsyncSession, owner: Owner) -> Cart | None:
    if owner.user is not None:
        condition = Cart.user_id == owner.user.id
    elif owner.token:
        condition = Cart.token_hash == token_digest(owner.token)
    else:
        return None
    return (await session.execute(select(Cart).where(condition))).scalar_one_or_none()


async def cart_for_update(
    session: AsyncSession, owner: Owner, now: datetime
) -> tuple[Cart, str | None]:
    """The owner's cart, created if needed; a new anonymous cart comes with its token."""
    cart = await find_cart(session, owner)
    if cart is not None:
        cart.updated_at = now
        return cart, None
    token = None if owner.user is not None else new_token()
    cart = Cart(
        user_id=owner.user.id if owner.user else None,
        token_hash=token_digest(token) if token else None,
    )
    session.add(cart)
    await session.flush()
    return cart, token


async def add_item(
    session: AsyncSession, owner: Owner, product_id: int, quantity: int, now: datetime
) -> tuple[Cart, str | None]:
    product = await _sellable(session, product_id)
    cart, token = await cart_for_update(session, owner, now)
    item = await session.get(CartItem, (cart.id, product_id))
    wanted = quantity + (item.quantity if item else 0)
    _check_quantity(quantity, wanted, product)
    if item is None:
        lines = await session.scalar(
            select(func.count()).select_from(CartItem).where(CartItem.cart_id == cart.id)
        )
        if (lines or 0) >= MAX_LINES:
            raise DomainError(ErrorCode.TOO_MANY_ITEMS, f"Au plus {MAX_LINES} produits différents.")
        session.add(CartItem(cart_id=cart.id, product_id=product_id, quantity=quantity))  # type: ignore[arg-type]
    else:
        item.quantity = wanted
    await session.flush()
    return cart, token


async def update_item(
    session: AsyncSession, owner: Owner, product_id: int, quantity: int, now: datetime
) -> Cart:
    cart, item = await _item(session, owner, product_id, now)
    product = await _sellable(session, product_id)
    _check_quantity(quantity, quantity, product)
    item.quantity = quantity
    return cart


async def remove_item(session: AsyncSession, owner: Owner, product_id: int, now: datetime) -> Cart:
    cart, item = await _item(session, owner, product_id, now)
    await session.delete(item)
    await session.flush()
    return cart


async def set_fulfilment(
    session: AsyncSession,
    settings: Settings,
    owner: Owner,
    shop_id: int,
    mode: str,
    carrier: str | None,
    postcode: str | None,
    now: datetime,
) -> Cart:
    cart = await find_cart(session, owner)
    if cart is not None and mode == FulfilmentMode.DELIVERY and postcode is not None:
        cart.delivery_postcode = check_postcode(postcode, ["postcode"])
    view = await view_cart(session, settings, cart, now) if cart else None
    shop_view = next((s for s in view.shops if s.shop.id == shop_id), None) if view else None
    if cart is None or shop_view is None:
        raise DomainError(
            ErrorCode.NOT_IN_CART, "Aucun produit de cette boutique dans le panier.", ["shopId"]
        )
    if mode == FulfilmentMode.PICKUP:
        if shop_view.ready_at is None:
            raise DomainError(
                ErrorCode.PICKUP_UNAVAILABLE, "Cette boutique ne propose pas le retrait."
            )
        carrier = None
    else:
        check_delivery(shop_view, cart.delivery_postcode, carrier)
    existing = await session.get(CartFulfilment, (cart.id, shop_id))
    if existing is None:
        session.add(CartFulfilment(cart_id=cart.id, shop_id=shop_id, mode=mode, carrier=carrier))  # type: ignore[arg-type]
    else:
        existing.mode, existing.carrier = mode, carrier
        if mode != FulfilmentMode.DELIVERY or carrier != MERCHANT:  # a slot is the merchant's
            existing.delivery_slot_id = existing.delivery_slot_date = None
    await session.flush()
    return cart


async def set_delivery_slot(
    session: AsyncSession,
    settings: Settings,
    owner: Owner,
    shop_id: int,
    slot_id: int,
    day: date,
    now: datetime,
) -> Cart:
    """``cartSetDeliverySlot``: the occurrence (slot, day) the merchant delivers in. Refused
    when the shop is not in the cart, is not delivered by the merchant, the slot is another
    shop's, that day is not offered (holiday, closure, past cut-off, beyond the days offered)
    or full. Booked only at checkout: choosing holds no place."""
    cart = await find_cart(session, owner)
    view = await view_cart(session, settings, cart, now) if cart else None
    shop_view = next((s for s in view.shops if s.shop.id == shop_id), None) if view else None
    if cart is None or shop_view is None:
        raise DomainError(
            ErrorCode.NOT_IN_CART, "Aucun produit de cette boutique dans le panier.", ["shopId"]
        )
    if not shop_view.merchant_delivery:
        raise DomainError(
            ErrorCode.NOT_MERCHANT_DELIVERY,
            f"Choisissez d'abord la livraison par « {shop_view.shop.name} » elle-même.",
            ["shopId"],
        )
    slot_shop = await session.scalar(
        select(DeliverySlot.shop_id).where(DeliverySlot.id == slot_id)  # type: ignore[arg-type]
    )
    if slot_shop is None:
        raise DomainError(ErrorCode.NOT_FOUND, "Créneau introuvable.", ["slotId"])
    if slot_shop != shop_id:
        raise DomainError(
            ErrorCode.DELIVERY_SLOT_OTHER_SHOP,
            f"Ce créneau n'est pas un créneau de « {shop_view.shop.name} ».",
            ["slotId"],
        )
    occurrence = delivery_slots.find(shop_view.delivery_slots, slot_id, day)
    if occurrence is None:
        raise DomainError(
            ErrorCode.DELIVERY_SLOT_UNAVAILABLE,
            "Ce créneau n'est pas proposé ce jour-là (jour férié, fermeture, ou heure limite"
            " de réservation passée) : choisissez-en un autre.",
            ["date"],
        )
    if occurrence.full:
        raise delivery_slots.full_error()
    chosen = shop_view.fulfilment
    assert chosen is not None
    chosen.delivery_slot_id, chosen.delivery_slot_date = slot_id, day
    cart.updated_at = now
    await session.flush()
    return cart


def check_delivery(shop_view: ShopView, postcode: str | None, carrier: str | None) -> None:
    """Refuse a delivery choice with its real reason: no postcode yet, a product that must
    be collected, no carrier at all for this postcode, no carrier chosen, or this carrier
    not serving it (the message names those that do)."""
    shop = shop_view.shop.name
    if not postcode:
        raise DomainError(
            ErrorCode.POSTCODE_REQUIRED,
            "Indiquez d'abord le code postal de livraison.",
            ["postcode"],
        )
    if not shop_view.deliverable:
        raise DomainError(
            ErrorCode.NOT_DELIVERABLE,
            f"Un produit de « {shop} » est à retirer en boutique uniquement.",
        )
    options = shop_view.delivery_options
    if not options:
        raise DomainError(
            ErrorCode.NO_CARRIER_FOR_POSTCODE,
            f"« {shop} » ne livre pas le {postcode} : choisissez le retrait en boutique.",
            ["postcode"],
        )
    available = ", ".join(carrier_label(o.carrier) for o in options)
    if carrier is None:
        raise DomainError(
            ErrorCode.CARRIER_REQUIRED,
            f"Choisissez qui livre « {shop} » au {postcode} : {available}.",
            ["carrier"],
        )
    if carrier not in {o.carrier for o in options}:
        raise DomainError(
            ErrorCode.CARRIER_UNAVAILABLE,
            f"{carrier_label(carrier).capitalize()} ne livre pas le {postcode} pour « {shop} » ;"
            f" possible : {available}.",
            ["carrier"],
        )


async def set_delivery_postcode(
    session: AsyncSession, settings: Settings, owner: Owner, postcode: str, now: datetime
) -> tuple[Cart, str | None]:
    """Remember where the cart goes: every shop then lists its delivery options for it,
    before the customer picks one. A delivery already chosen that no longer serves the new
    postcode is forgotten (the customer chooses again)."""
    cart = await find_cart(session, owner)
    if cart is None:
        raise DomainError(ErrorCode.EMPTY_CART, "Le panier est vide.")
    cart.delivery_postcode = check_postcode(postcode, ["postcode"])
    cart.updated_at = now
    await session.flush()
    view = await view_cart(session, settings, cart, now)
    for shop_view in view.shops:
        chosen = shop_view.fulfilment
        if (
            chosen is not None
            and chosen.mode == FulfilmentMode.DELIVERY
            and chosen.carrier not in {o.carrier for o in shop_view.delivery_options}
        ):
            await session.delete(chosen)
    await session.flush()
    return cart, None


async def merge_into_user_cart(
    session: AsyncSession, user: User, token: str, now: datetime
) -> None:
    """At sign-in, the anonymous cart's lines join the customer's cart (quantities add up,
    capped by the stock), and the anonymous cart disappears."""
    anonymous = await find_cart(session, Owner(None, token))
    if anonymous is None:
        return
    cart, _ = await cart_for_update(session, Owner(user), now)
    incoming = (
        await session.execute(
            select(CartItem, Product.stock)
            .join(Product, Product.id == CartItem.product_id)
            .where(CartItem.cart_id == anonymous.id)
        )
    ).all()
    mine = {
        item.product_id: item
        for item in (
            await session.execute(select(CartItem).where(CartItem.cart_id == cart.id))
        ).scalars()
    }
    for item, stock in incoming:
        current = mine.get(item.product_id)
        quantity = min((current.quantity if current else 0) + item.quantity, stock)
        if current is not None:
            current.quantity = max(quantity, current.quantity)
        elif quantity > 0:
            session.add(CartItem(cart_id=cart.id, product_id=item.product_id, quantity=quantity))  # type: ignore[arg-type]
    await session.flush()
    await session.execute(delete(Cart).where(Cart.id == anonymous.id))  # type: ignore[arg-type]


async def view_cart(
    session: AsyncSession, settings: Settings, cart: Cart, now: datetime
) -> CartView:
    """Everything the cart page shows, in a fixed number of queries."""
    rows = (
        await session.execute(
            select(CartItem, Product, Shop)
            .join(Product, Product.id == CartItem.product_id)
            .join(Shop, Shop.id == Product.shop_id)
            .where(CartItem.cart_id == cart.id)
            .order_by(Shop.name, Shop.id, CartItem.added_at, CartItem.product_id)
        )
    ).all()
    shops: dict[int, Shop] = {}
    lines: dict[int, list[tuple[CartItem, Product]]] = {}
    for item, product, shop in rows:
        shops[shop.id] = shop  # type: ignore[index]
        lines.setdefault(shop.id, []).append((item, product))  # type: ignore[arg-type]
    promotions = await active_promotions(session, list(shops), now) if shops else {}
    chosen = {
        f.shop_id: f
        for f in (
            await session.execute(select(CartFulfilment).where(CartFulfilment.cart_id == cart.id))
        ).scalars()
    }
    return await _cart_view(session, settings, cart, shops, lines, promotions, chosen, now)


async def view_user_cart(
    session: AsyncSession, settings: Settings, user_id: int, now: datetime
) -> CartView | None:
    """``view_cart`` of a customer's cart, the cart, its lines and fulfilments read in one
    query (checkout's hot path); None when the cart is absent or empty."""
    rows = (await session.execute(_user_cart_query(), {"user_id": user_id})).all()
    if not rows:
        return None
    shops: dict[int, Shop] = {}
    lines: dict[int, list[tuple[CartItem, Product]]] = {}
    chosen: dict[int, CartFulfilment] = {}
    for _cart, item, product, shop, fulfilment in rows:
        shops[shop.id] = shop  # type: ignore[index]
        lines.setdefault(shop.id, []).append((item, product))  # type: ignore[arg-type]
        if fulfilment is not None:
            chosen[shop.id] = fulfilment  # type: ignore[index]
    cart = rows[0][0]
    promotions = await active_promotions(session, list(shops), now)
    return await _cart_view(session, settings, cart, shops, lines, promotions, chosen, now)


@cache
def _user_cart_query() -> Select[tuple[Cart, CartItem, Product, Shop, CartFulfilment]]:
    """``view_user_cart``'s one statement, built once (checkout runs it; building it and its
    cache key cost ~0.15 ms), the customer as ``:user_id``."""
    return (
        select(Cart, CartItem, Product, Shop, CartFulfilment)
        .join(CartItem, CartItem.cart_id == Cart.id)
        .join(Product, Product.id == CartItem.product_id)
        .join(Shop, Shop.id == Product.shop_id)
        .outerjoin(
            CartFulfilment,
            (CartFulfilment.cart_id == Cart.id) & (CartFulfilment.shop_id == Shop.id),
        )
        .where(Cart.user_id == bindparam("user_id"))
        .order_by(Shop.name, Shop.id, CartItem.added_at, CartItem.product_id)
    )  # type: ignore[return-value]


async def _cart_view(
    session: AsyncSession,
    settings: Settings,
    cart: Cart,
    shops: dict[int, Shop],
    lines: dict[int, list[tuple[CartItem, Product]]],
    promotions: dict[int, list[ActivePromotion]],
    chosen: dict[int, CartFulfilment],
    now: datetime,
) -> CartView:
    # Slots only where the merchant publishes some and delivers this postcode (no query
    # otherwise: a checkout without slots pays nothing for them).
    served = [
        s
        for s in shops.values()
        if s.delivery_slot_count and cart.delivery_postcode in s.delivery_postcodes
    ]
    slots = await delivery_slots.occurrences_by_shop(
        session, served, now, settings.delivery_slot_days
    )
    views = [
        _shop_view(
            settings,
            shops[shop_id],
            shop_lines,
            promotions.get(shop_id, []),
            chosen.get(shop_id),
            cart.delivery_postcode,
            now,
            slots.get(shop_id),
        )
        for shop_id, shop_lines in lines.items()
    ]
    return CartView(cart, views, totals.CartTotals([v.totals for v in views]))


def delivery_options(
    settings: Settings, shop: Shop, postcode: str | None, subtotal_cents: int, now: datetime
) -> list[DeliveryOption]:
    """The carriers that serve ``postcode`` for this shop, with the fee the customer pays and
    the days the parcel should arrive between."""
    if not postcode:
        return []
    offers: list[tuple[str, int, tuple[int, int]]] = []
    if postcode in shop.delivery_postcodes:
        offers.append((MERCHANT, shop.delivery_fee_cents or 0, LEAD_WORKING_DAYS[MERCHANT]))
    for carrier, zone in settings.carrier_zones.items():
        if any(postcode.startswith(prefix) for prefix in zone.get("postcode_prefixes", [])):
            lead = tuple(zone.get("lead_days") or LEAD_WORKING_DAYS.get(carrier, (2, 5)))
            offers.append((carrier, int(zone.get("fee_cents", 0)), lead))  # type: ignore[arg-type]
    if shop.colissimo_fee_cents is not None:
        offers.append((COLISSIMO, shop.colissimo_fee_cents, LEAD_WORKING_DAYS[COLISSIMO]))
    today = now.astimezone(REUNION).date()
    return [
        DeliveryOption(
            carrier=carrier,
            fee_cents=totals.delivery_fee(
                fee, subtotal_cents, shop.free_delivery_always, shop.free_delivery_over_cents
            ),
            regular_fee_cents=fee,
            estimate=DeliveryEstimate(
                add_working_days(today, lead[0]), add_working_days(today, lead[1])
            ),
            estimated_date=delivery_slots.estimated_delivery_date(carrier, now),
        )
        for carrier, fee, lead in offers
    ]


def _shop_view(
    settings: Settings,
    shop: Shop,
    shop_lines: list[tuple[CartItem, Product]],
    promotions: list[ActivePromotion],
    fulfilment: CartFulfilment | None,
    postcode: str | None,
    now: datetime,
    slots: list[Occurrence] | None = None,
) -> ShopView:
    prices = [
        (item, product, best_offer(product, promotions).price_cents) for item, product in shop_lines
    ]
    # The free-delivery threshold reads the shop's own (catalogue) prices.
    subtotal = sum(price * item.quantity for item, _, price in prices)
    options = delivery_options(settings, shop, postcode, subtotal, now)
    delivered = fulfilment is not None and fulfilment.mode == FulfilmentMode.DELIVERY
    # Goods leaving La Réunion are sold without its VAT (CGI art. 262 I): each unit price
    # and the fee lose their VAT, unless the seller charges none (franchise, art. 293 B).
    outside = delivered and totals.leaves_reunion(postcode)
    strip = totals.leaves_reunion(postcode) and not shop.vat_franchise
    if totals.leaves_reunion(postcode):
        options = [
            replace(
                o,
                fee_cents=totals.without_vat(o.fee_cents, totals.NORMAL_VAT_BP)
                if strip
                else o.fee_cents,
                regular_fee_cents=totals.without_vat(o.regular_fee_cents, totals.NORMAL_VAT_BP)
                if strip
                else o.regular_fee_cents,
                outside_reunion=True,
            )
            for o in options
        ]
    lines = [
        totals.Line(
            product_id=product.id,  # type: ignore[arg-type]
            shop_id=shop.id,  # type: ignore[arg-type]
            unit_cents=totals.without_vat(price, product.vat_bp) if outside and strip else price,
            quantity=item.quantity,
            vat_bp=product.vat_bp,
        )
        for item, product, price in prices
    ]
    chosen_slot = None
    if slots is not None:  # the merchant delivers in slots: its option's day is a slot's
        if fulfilment is not None and fulfilment.carrier == MERCHANT:
            chosen_slot = delivery_slots.find(
                slots, fulfilment.delivery_slot_id, fulfilment.delivery_slot_date
            )
        first = chosen_slot or next((o for o in slots if not o.full), None)
        options = [
            replace(o, estimated_date=first.day if first else None) if o.carrier == MERCHANT else o
            for o in options
        ]
    fee = 0
    if delivered:
        fee = next((o.fee_cents for o in options if o.carrier == fulfilment.carrier), 0)  # type: ignore[union-attr]
    return ShopView(
        shop=shop,
        products={product.id: product for _, product in shop_lines},  # type: ignore[misc]
        totals=totals.shop_totals(
            shop.id,  # type: ignore[arg-type]
            lines,
            fee,
            vat_charged=not (outside or shop.vat_franchise),
            outside_reunion=outside,
        ),
        fulfilment=fulfilment,
        delivery_options=options,
        ready_at=pickup.ready_at(now, shop.pickup_hours, shop.closures),
        deliverable=all(product.deliverable for _, product in shop_lines),
        slots_published=slots is not None,
        delivery_slots=tuple(slots or ()),
        delivery_slot=chosen_slot,
    )


async def _sellable(session: AsyncSession, product_id: int) -> Product:
    row = (
        await session.execute(
            select(Product, Shop.is_active)
            .join(Shop, Shop.id == Product.shop_id)
            .where(Product.id == product_id)
        )
    ).one_or_none()
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, "Produit introuvable.", ["productId"])
    product, shop_active = row
    if not product.is_online or not shop_active:
        raise DomainError(
            ErrorCode.PRODUCT_UNAVAILABLE, "Ce produit n'est plus en vente.", ["productId"]
        )
    return product


def _check_quantity(asked: int, wanted: int, product: Product) -> None:
    if asked <= 0:
        raise DomainError(
            ErrorCode.INVALID_QUANTITY, "La quantité doit être positive.", ["quantity"]
        )
    if wanted > product.stock:
        raise DomainError(
            ErrorCode.INSUFFICIENT_STOCK,
            f"Il ne reste que {product.stock} exemplaire(s) de ce produit.",
            ["quantity"],
        )


async def _item(
    session: AsyncSession, owner: Owner, product_id: int, now: datetime
) -> tuple[Cart, CartItem]:
    cart = await find_cart(session, owner)
    item = await session.get(CartItem, (cart.id, product_id)) if cart else None
    if cart is None or item is None:
        raise DomainError(
            ErrorCode.NOT_IN_CART, "Ce produit n'est pas dans le panier.", ["productId"]
        )
    cart.updated_at = now
    return cart, item
