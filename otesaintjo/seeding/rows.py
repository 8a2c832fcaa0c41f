"""The island's rows, table by table, as streams of tuples in :data:`COLUMNS` order.

Generators, never lists (but for the few promotions): a million products go by without a
million objects in memory. Values are what the columns hold — aware UTC datetimes, JSON
columns as Python lists and dicts — and each writer turns them into its driver's form.

Every value follows the app's rules: mobile phones and Luhn-valid SIRETs that
``create_shop`` accepts, pickup hours as ``check_pickup_hours`` stores them, prices of at
least 1 cent, stock between 0 and 200 (most at the default 100, out-of-stock products mostly
offline), promotions as ``create_promotion`` allows (90 % off at most, an amount below the
cheapest covered price, 100 listed products at most), one review per customer and shop.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache

from otesaintjo.demo.island import COMMUNES, Commune
from otesaintjo.demo.island_words import (
    CLOSURE_REASONS,
    HIDDEN_REASONS,
    PLATFORM_COMMENTS,
    PRODUCT_VARIANTS,
    PROMOTION_NAMES,
    REVIEW_COMMENTS,
    REVIEW_REPLIES,
    SHOP_LEADS,
    SHOP_SERVICES,
    SHOP_SPECIALITIES,
    STREETS,
    in_place,
)
from otesaintjo.models import PromotionKind, ShopRole
from otesaintjo.seeding.plan import (
    CUSTOMER,
    MERCHANT,
    PRODUCTS,
    PROMOTIONS,
    REVIEWS,
    SHOP,
    IslandPlan,
    customer_email,
    merchant_email,
    person,
    rng,
    templates_by_trade,
)
from otesaintjo.services import legal_identity, withdrawal_exclusions
from otesaintjo.services.shop_rules import LA_POSTE_SIREN, WEEKDAYS, luhn_valid

COLUMNS: dict[str, tuple[str, ...]] = {
    "user_account": (
        "id", "email", "password_hash", "first_name", "last_name", "phone", "is_staff",
        "created_at", "updated_at",
    ),
    "shop": (
        "id", "slug", "name", "order_code", "name_skeleton", "description",
        "manager_first_name", "manager_last_name", "street", "postcode", "town", "latitude",
        "longitude", "email", "phone", "siret", "website", "pickup_hours", "closures",
        "delivery_postcodes", "delivery_fee_cents", "free_delivery_always",
        "free_delivery_over_cents", "colissimo_fee_cents", "is_active", "payouts_enabled",
        "payout_requirements", "created_at", "updated_at", "legal_name", "legal_form",
        "registration", "registration_city", "vat_number", "share_capital_cents",
    ),
    "shop_member": ("shop_id", "user_id", "role", "created_at"),
    "shop_category": ("shop_id", "category"),
    "product": (
        "id", "shop_id", "name", "description", "price_cents", "vat_bp", "category",
        "deliverable", "stock", "is_online", "created_at", "updated_at", "withdrawal_exclusion",
    ),
    "product_image": ("id", "product_id", "key", "position", "created_at"),
    "product_price": ("product_id", "since", "price_cents"),
    "promotion": (
        "id", "shop_id", "name", "kind", "value", "all_products", "starts_at", "ends_at",
        "ended_at", "created_at",
    ),
    "promotion_product": ("promotion_id", "product_id"),
    "shop_review": (
        "id", "shop_id", "user_id", "rating", "comment", "reply", "replied_at",
        "hidden_reason", "hidden_at", "created_at", "updated_at",
    ),
    "platform_review": ("id", "user_id", "rating", "comment", "created_at", "updated_at"),
}  # fmt: skip

# The communes whose businesses register at the RCS of Saint-Pierre (the others: Saint-Denis).
SOUTH = frozenset(
    {
        "Saint-Pierre",
        "Saint-Joseph",
        "Saint-Philippe",
        "Le Tampon",
        "Petite-Île",
        "Entre-Deux",
        "Saint-Louis",
        "Cilaos",
        "L'Étang-Salé",
        "Les Avirons",
    }
)
REUNION = timedelta(hours=4)  # Indian/Reunion, no daylight saving
PERCENTS_BP = (1000, 1000, 1500, 2000, 2000, 2500, 3000, 4000, 5000)
AMOUNTS_CENTS = (50, 100, 150, 200, 300, 500, 1000)
NOT_SHIPPED = frozenset({"boulangerie", "boucherie", "poissonnerie", "fleuriste", "cafe"})

# Pickup hours per trade: (days, ranges); a shop may shift its whole week by half an hour.
_WEEKDAYS_MON_FRI = WEEKDAYS[:5]
_Week = tuple[tuple[tuple[str, ...], tuple[tuple[str, str], ...]], ...]  # (days, ranges)…
HOURS: dict[str, _Week] = {
    "baker": (
        (WEEKDAYS[1:6], (("06:00", "12:30"), ("15:00", "19:00"))),
        (("sun",), (("06:00", "12:00"),)),
    ),
    "shop": (
        (_WEEKDAYS_MON_FRI, (("08:30", "12:00"), ("14:00", "18:00"))),
        (("sat",), (("08:30", "12:30"),)),
    ),
    "continuous": ((WEEKDAYS[:6], (("09:00", "18:00"),)),),
    "pharmacy": (
        (_WEEKDAYS_MON_FRI, (("08:00", "12:30"), ("14:00", "19:00"))),
        (("sat",), (("08:00", "12:30"),)),
    ),
    "cafe": ((WEEKDAYS[:6], (("07:00", "17:00"),)), (("sun",), (("07:30", "12:00"),))),
    "market": ((WEEKDAYS[1:], (("07:00", "13:00"),)),),
}
TRADE_HOURS: dict[str, tuple[str, ...]] = {
    "boulangerie": ("baker",),
    "boucherie": ("market", "shop"),
    "poissonnerie": ("market",),
    "pharmacie": ("pharmacy",),
    "cafe": ("cafe",),
}


@dataclass(frozen=True)
class Ids:
    """The first id of each table's reserved range."""

    user_account: int
    shop: int
    product: int
    product_image: int
    promotion: int
    shop_review: int
    platform_review: int


def id_counts(plan: IslandPlan) -> dict[str, int]:
    """How many ids each table needs (the ranges to reserve)."""
    return {
        "user_account": plan.merchants + plan.customers,
        "shop": len(plan.shops),
        "product": plan.products,
        "product_image": plan.products,
        "promotion": plan.promotions,
        "shop_review": plan.reviews,
        "platform_review": plan.platform_reviews,
    }


@dataclass
class Catalogue:
    """What later tables need of each product, in compact arrays (index: island position)."""

    prices: array = field(default_factory=lambda: array("i"))
    pictures: array = field(default_factory=lambda: array("H"))
    created: array = field(default_factory=lambda: array("d"))  # POSIX seconds


def _mobile(draw) -> str:
    if draw.random() < 0.7:
        return f"+262692{draw.randint(0, 999_999):06d}"
    return f"+2626934{draw.randint(0, 99_999):05d}"


def _siret(draw) -> str:
    while True:
        body = f"{draw.randint(1, 9)}{draw.randint(0, 10**12 - 1):012d}"
        for check in "0123456789":
            if luhn_valid(body + check):
                siret = body + check
                break
        if not siret.startswith(LA_POSTE_SIREN):
            return siret


def _between(draw, start: datetime, end: datetime) -> datetime:
    return start + (end - start) * draw.random() if end > start else start


def customer_joined(now: datetime, customer: int) -> datetime:
    """When customer ``customer`` signed up: spread over three years, without a draw."""
    return now - timedelta(days=1 + (customer * 7919) % 1095, minutes=(customer * 104_729) % 1440)


def users(plan: IslandPlan, ids: Ids, password_hash: str) -> Iterator[tuple]:
    """Merchants first (in the order of their first shop), then customers."""
    seen = -1
    for shop in plan.shops:
        if shop.merchant <= seen:
            continue
        seen = shop.merchant
        first, last = person(MERCHANT, shop.merchant)
        joined = shop.created_at - timedelta(hours=rng(MERCHANT, shop.merchant).uniform(1, 72))
        yield (
            ids.user_account + shop.merchant,
            merchant_email(shop.merchant),
            password_hash,
            first,
            last,
            _mobile(rng(MERCHANT, shop.merchant)),
            False,
            joined,
            joined,
        )
    base = ids.user_account + plan.merchants
    for customer in range(plan.customers):
        first, last = person(CUSTOMER, customer)
        draw = rng(CUSTOMER, customer)
        joined = customer_joined(plan.now, customer)
        phone = _mobile(draw) if draw.random() < 0.7 else None
        yield (
            base + customer,
            customer_email(customer),
            password_hash,
            first,
            last,
            phone,
            False,
            joined,
            joined,
        )


def _pickup_hours(draw, trade: str) -> dict[str, list[list[str]]]:
    style = draw.choice(TRADE_HOURS.get(trade, ("shop", "continuous")))
    shift = draw.choice((-30, 0, 0, 30))
    week: dict[str, list[list[str]]] = {day: [] for day in WEEKDAYS}
    for days, ranges in HOURS[style]:
        for day in days:
            week[day] = [[_shifted(o, shift), _shifted(c, shift)] for o, c in ranges]
    return week


def _shifted(hhmm: str, minutes: int) -> str:
    total = int(hhmm[:2]) * 60 + int(hhmm[3:]) + minutes
    return f"{total // 60:02d}:{total % 60:02d}"


@cache
def _nearest_postcodes(commune: Commune, count: int) -> list[str]:
    others = sorted(
        (c for c in COMMUNES if c is not commune),
        key=lambda c: math.hypot(c.latitude - commune.latitude, c.longitude - commune.longitude),
    )
    return [c.postcode for c in others[:count]]


def shops(plan: IslandPlan, ids: Ids) -> Iterator[tuple]:
    today = (plan.now + REUNION).date()
    for shop in plan.shops:
        commune = plan.commune(shop)
        draw = rng(SHOP, shop.number)
        first, last = person(MERCHANT, shop.merchant)
        place = draw.choice((commune.name, *commune.quarters))
        description = " ".join(
            part
            for part in (
                f"{draw.choice(SHOP_LEADS[shop.trade])} {in_place(place)}, {commune.name}."
                if place != commune.name
                else f"{draw.choice(SHOP_LEADS[shop.trade])} {in_place(place)}.",
                draw.choice(SHOP_SPECIALITIES[shop.trade]),
                draw.choice(SHOP_SERVICES),
            )
            if part
        )
        postcode = commune.postcode if draw.random() < 0.7 else draw.choice(commune.postcodes)
        own_delivery = draw.random() < 0.45
        free_always = own_delivery and draw.random() < 0.1
        fee = free_over = None
        if own_delivery:
            fee = 0 if free_always else draw.choice((200, 250, 300, 400, 500))
            free_over = draw.choice((2000, 2500, 3000, 5000)) if draw.random() < 0.4 else None
        closures = []
        if draw.random() < 0.05:
            day = today + timedelta(days=draw.randint(3, 60))
            closures = [{"date": day.isoformat(), "reason": draw.choice(CLOSURE_REASONS)}]
        yield (
            ids.shop + shop.number,
            shop.slug,
            shop.name,
            shop.order_code,
            shop.skeleton,
            description,
            first,
            last,
            f"{draw.randint(1, 180)} {draw.choice(STREETS)}",
            postcode,
            commune.name,
            round(commune.latitude + draw.gauss(0, 0.006), 5),
            round(commune.longitude + draw.gauss(0, 0.006), 5),
            merchant_email(shop.merchant),
            _mobile(rng(MERCHANT, shop.merchant)),
            (siret := _siret(draw)),
            f"https://{shop.slug}.example" if draw.random() < 0.25 else None,
            _pickup_hours(draw, shop.trade),
            closures,
            sorted({*commune.postcodes, *_nearest_postcodes(commune, 2)}) if own_delivery else [],
            fee,
            free_always,
            free_over,
            draw.choice((690, 890, 1290))
            if shop.trade not in NOT_SHIPPED and draw.random() < 0.3
            else None,
            True,
            False,
            [],
            shop.created_at,
            _between(draw, shop.created_at, plan.now),
            # A complete legal identity: its invoices are issued at payment (CGI 242 nonies A).
            shop.name,
            "SARL",
            "RCS",
            "Saint-Pierre" if commune.name in SOUTH else "Saint-Denis",
            legal_identity.vat_number_for(siret[:9]),
            draw.choice((100_000, 500_000, 750_000, 1_000_000, 1_500_000)),  # share capital
        )


def shop_members(plan: IslandPlan, ids: Ids) -> Iterator[tuple]:
    for shop in plan.shops:
        yield (
            ids.shop + shop.number,
            ids.user_account + shop.merchant,
            ShopRole.OWNER,
            shop.created_at,
        )


def shop_categories(plan: IslandPlan, ids: Ids) -> Iterator[tuple]:
    for shop in plan.shops:
        yield (ids.shop + shop.number, shop.trade)
        if shop.extra_trade:
            yield (ids.shop + shop.number, shop.extra_trade)


def _price(draw, raw: float) -> int:
    """Shop prices: to 10 cents under 10 €, 50 cents under 100 €, whole euros above; some
    end in 9. Never under 10 cents."""
    step = 10 if raw < 1000 else 50 if raw < 10_000 else 100
    cents = max(10, round(raw / step) * step)
    return cents - 1 if draw.random() < 0.35 else cents


def _stock(draw, usual: int) -> tuple[int, bool]:
    """(stock, online): most at the default 100, a few low or out (and then mostly offline)."""
    roll = draw.random()
    if roll < 0.04:
        stock = 0
    elif roll < 0.12:
        stock = draw.randint(1, 9)
    elif roll < 0.45:
        stock = 100
    else:
        stock = draw.randint(10, 200)
    if usual < 100:  # handmade and rare items: a few pieces
        stock = min(stock, usual)
    online = draw.random() < (0.2 if stock == 0 else 0.98)
    return stock, online


def picture_slots() -> dict[tuple[str, str], int]:
    """One shared picture per (trade, product category) of the demo town: its index."""
    slots: dict[tuple[str, str], int] = {}
    for trade, templates in templates_by_trade().items():
        for template in templates:
            slots.setdefault((trade, template.category), len(slots))
    return slots


def products(plan: IslandPlan, ids: Ids, catalogue: Catalogue) -> Iterator[tuple]:
    """Each shop sells its trade's demo products, shuffled; past the list, the same products
    again in variants (« …, lot de 2 », « …, bio »): names are unique within a shop."""
    templates = templates_by_trade()
    slots = picture_slots()
    now = plan.now
    product_id = ids.product
    for shop in plan.shops:
        draw = rng(PRODUCTS, shop.number)
        own = templates[shop.trade]
        order = list(range(len(own)))
        draw.shuffle(order)
        variants = list(PRODUCT_VARIANTS)
        draw.shuffle(variants)
        level = draw.uniform(0.9, 1.15)
        shop_id = ids.shop + shop.number
        trades = [t for t in (shop.trade, shop.extra_trade) if t]
        for k in range(shop.products):
            template = own[order[k % len(order)]]
            cycle = k // len(order)
            name, description, factor = template.name, template.description, 1.0
            if cycle:
                label, factor = variants[(cycle - 1) % len(variants)]
                name = f"{template.name}, {label}"[:120]
                description = f"{template.description} {label[0].upper()}{label[1:]}."
            price = _price(draw, template.price_cents * factor * level * draw.uniform(0.95, 1.05))
            stock, online = _stock(draw, template.stock)
            created = _between(draw, shop.created_at, now)
            catalogue.prices.append(price)
            catalogue.pictures.append(slots[(shop.trade, template.category)])
            catalogue.created.append(created.timestamp())
            yield (
                product_id,
                shop_id,
                name,
                description,
                price,
                template.vat_bp,
                template.category,
                template.deliverable,
                stock,
                online,
                created,
                _between(draw, created, now) if draw.random() < 0.3 else created,
                withdrawal_exclusions.resolve(template.withdrawal, template.category, trades),
            )
            product_id += 1


def product_images(ids: Ids, catalogue: Catalogue, keys: list[str]) -> Iterator[tuple]:
    """One photo per product, a shared picture of its kind (stored once in the blob store)."""
    for position, (picture, created) in enumerate(
        zip(catalogue.pictures, catalogue.created, strict=True)
    ):
        yield (
            ids.product_image + position,
            ids.product + position,
            keys[picture],
            0,
            datetime.fromtimestamp(created, UTC),
        )


def product_prices(ids: Ids, catalogue: Catalogue) -> Iterator[tuple]:
    """Each product's price history: its one price, since it was put on sale (the reference
    price of its promotions is read from it, L112-1-1)."""
    for position, (price, created) in enumerate(
        zip(catalogue.prices, catalogue.created, strict=True)
    ):
        yield (ids.product + position, datetime.fromtimestamp(created, UTC), price)


def _promotion_dates(
    draw, timing: str, now: datetime
) -> tuple[datetime, datetime, datetime | None]:
    """(starts_at, ends_at, ended_at) of a promotion running now, to come, or over."""
    day = timedelta(days=1)
    if timing == "running":
        return now - draw.uniform(0.5, 20) * day, now + draw.uniform(2, 30) * day, None
    if timing == "future":
        starts = now + draw.uniform(3, 30) * day
        return starts, starts + draw.uniform(7, 21) * day, None
    if draw.random() < 0.3:  # ended early by the merchant
        starts = now - draw.uniform(10, 40) * day
        return starts, now + draw.uniform(1, 20) * day, now - draw.uniform(1, 9) * day
    ends = now - draw.uniform(5, 120) * day
    return ends - draw.uniform(7, 30) * day, ends, None


def promotions(plan: IslandPlan, ids: Ids, catalogue: Catalogue) -> tuple[list[tuple], list[tuple]]:
    """The promotion rows and their product links (a few per cent of the products)."""
    rows: list[tuple] = []
    links: list[tuple] = []
    promotion_id = ids.promotion
    for shop in plan.shops:
        if not shop.promotions:
            continue
        draw = rng(PROMOTIONS, shop.number)
        for timing in shop.promotions:
            starts, ends, ended = _promotion_dates(draw, timing, plan.now)
            every = draw.random() < 0.45
            listed = min(shop.products, draw.randint(3, 20))
            covered = (
                range(shop.products) if every else sorted(draw.sample(range(shop.products), listed))
            )
            cheapest = min(catalogue.prices[shop.first_product + i] for i in covered)
            amounts = [a for a in AMOUNTS_CENTS if 2 * a <= cheapest]
            if amounts and draw.random() < 0.25:
                kind, value = PromotionKind.AMOUNT, draw.choice(amounts)
            else:
                kind, value = PromotionKind.PERCENT, draw.choice(PERCENTS_BP)
            created = min(starts, plan.now) - timedelta(hours=draw.uniform(1, 72))
            name = draw.choice(PROMOTION_NAMES)
            shop_id = ids.shop + shop.number
            rows.append(
                (promotion_id, shop_id, name, kind, value, every, starts, ends, ended, created)
            )
            if not every:
                links += [(promotion_id, ids.product + shop.first_product + i) for i in covered]
            promotion_id += 1
    return rows, links


def shop_reviews(plan: IslandPlan, ids: Ids) -> Iterator[tuple]:
    """Reviews by customers of the shop's commune, around the shop's own quality; a quarter
    answered by the merchant, one in a hundred hidden by the staff (out of the rating)."""
    customers = ids.user_account + plan.merchants
    review_id = ids.shop_review
    now = plan.now
    for shop in plan.shops:
        if not shop.reviews:
            continue
        draw = rng(REVIEWS, shop.number)
        first, size = plan.customer_pools[shop.commune]
        quality = draw.uniform(3.0, 4.9)
        for customer in draw.sample(range(first, first + size), shop.reviews):
            rating = min(5, max(1, round(draw.gauss(quality, 0.9))))
            created = _between(draw, max(shop.created_at, customer_joined(now, customer)), now)
            reply = replied = hidden = hidden_at = None
            if draw.random() < 0.25:
                reply, replied = draw.choice(REVIEW_REPLIES), _between(draw, created, now)
            if draw.random() < 0.01:
                hidden, hidden_at = draw.choice(HIDDEN_REASONS), _between(draw, created, now)
            yield (
                review_id,
                ids.shop + shop.number,
                customers + customer,
                rating,
                draw.choice(REVIEW_COMMENTS[rating]),
                reply,
                replied,
                hidden,
                hidden_at,
                created,
                created,
            )
            review_id += 1


def platform_reviews(plan: IslandPlan, ids: Ids) -> Iterator[tuple]:
    """One customer in fifty reviews the marketplace itself."""
    customers = ids.user_account + plan.merchants
    for position, customer in enumerate(range(0, plan.customers, 50)):
        draw = rng(CUSTOMER, customer)
        joined = customer_joined(plan.now, customer)
        written = _between(draw, joined, plan.now)
        yield (
            ids.platform_review + position,
            customers + customer,
            draw.choice((3, 4, 4, 5, 5)),
            draw.choice(PLATFORM_COMMENTS),
            written,
            written,
        )
