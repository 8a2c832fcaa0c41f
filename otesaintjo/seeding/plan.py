"""The island's plan: which shops, where, called what, with how many products, promotions and
reviews — decided before a row is written, so that every id range can be reserved up front.

Deterministic: the same ``shop_count`` and already-taken names give the same island. Every
random choice comes from :func:`rng` (one stream per purpose and number), so the row
generators can draw a shop's details again from its number without keeping them in memory.

Names, slugs and order codes follow the app's own rules: a name whose *skeleton*
(:func:`services.shop_names.skeleton`) no shop has, a slug unique like ``_free_slug`` makes
it, an order code from :func:`services.order_numbers.code_candidates` that no shop has.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from otesaintjo.demo import SHOPS as DEMO_SHOPS
from otesaintjo.demo.island import COMMUNES, Commune, shops_per_commune
from otesaintjo.demo.island_words import (
    FIRST_NAMES,
    NAME_SUFFIXES,
    SHOP_NAMES,
    SURNAMES,
    of_place,
)
from otesaintjo.services.order_numbers import code_candidates
from otesaintjo.services.shop_names import skeleton
from otesaintjo.services.shop_rules import slugify

SEED = 974
DOMAIN = "ile.demo.otesaintjo.re"  # every generated account: how a seeded island is recognised
PRODUCTS_PER_SHOP = 50
CUSTOMERS_PER_SHOP = 3
MIN_CUSTOMERS = 480
SECOND_SHOP_SHARE = 0.04  # merchants who run a second shop of their commune
MAX_CODE_DIGITS = 4  # order numbers read back as [A-Z]{2,4}[0-9]{0,4}-NNNN

# Shares of shops per trade (in percent), from what a town's high street looks like.
TRADE_SHARES: dict[str, int] = {
    "epicerie": 18,
    "boulangerie": 12,
    "vetements": 12,
    "cafe": 12,
    "artisanat": 11,
    "pharmacie": 6,
    "boucherie": 6,
    "quincaillerie": 6,
    "fleuriste": 5,
    "librairie": 4,
    "poissonnerie": 4,
    "velos": 4,
}
RELATED_TRADE: dict[str, str] = {
    "boulangerie": "cafe",
    "epicerie": "cafe",
    "boucherie": "epicerie",
    "fleuriste": "artisanat",
    "librairie": "artisanat",
    "quincaillerie": "velos",
    "poissonnerie": "epicerie",
    "vetements": "artisanat",
    "cafe": "boulangerie",
    "artisanat": "vetements",
    "velos": "quincaillerie",
}

# Random streams, one per purpose (a shop's name and its products never share draws).
NAME, SHOP, PRODUCTS, PROMOTIONS, REVIEWS, MERCHANT, CUSTOMER, COUNTS = range(1, 9)


def rng(purpose: int, number: int) -> random.Random:
    """Made-up data, reproducible: no secret comes from these streams."""
    return random.Random(  # noqa: S311
        SEED * 10**12 + purpose * 10**9 + number
    )


def person(purpose: int, number: int) -> tuple[str, str]:
    """(first name, surname) of generated merchant or customer ``number``."""
    draw = rng(purpose, number)
    return draw.choice(FIRST_NAMES), draw.choice(SURNAMES)


def merchant_email(number: int) -> str:
    return f"commercant-{number + 1:05d}@{DOMAIN}"


def customer_email(number: int) -> str:
    return f"client-{number + 1:06d}@{DOMAIN}"


@dataclass(frozen=True)
class Taken:
    """What the shops already in the database use: the island never reuses any of it."""

    slugs: set[str] = field(default_factory=set)
    skeletons: set[str] = field(default_factory=set)
    codes: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class PlannedShop:
    number: int  # 0-based, in commune order
    commune: int  # index in COMMUNES
    trade: str
    extra_trade: str | None
    name: str
    skeleton: str
    slug: str
    order_code: str
    merchant: int  # 0-based merchant number
    created_at: datetime
    products: int
    first_product: int  # 0-based position of its first product among the island's
    reviews: int
    promotions: tuple[str, ...]  # "running", "future", "past"


@dataclass(frozen=True)
class IslandPlan:
    now: datetime
    shops: list[PlannedShop]
    merchants: int
    customers: int
    customer_pools: list[tuple[int, int]]  # per commune: (first customer number, how many)

    @property
    def products(self) -> int:
        return sum(s.products for s in self.shops)

    @property
    def promotions(self) -> int:
        return sum(len(s.promotions) for s in self.shops)

    @property
    def reviews(self) -> int:
        return sum(s.reviews for s in self.shops)

    @property
    def platform_reviews(self) -> int:
        return len(range(0, self.customers, 50))

    def commune(self, shop: PlannedShop) -> Commune:
        return COMMUNES[shop.commune]


class CodeBook:
    """Order codes as ``choose_shop_code`` picks them, without a query per shop."""

    def __init__(self, taken: Iterable[str]) -> None:
        self.taken = set(taken)
        self.next_suffix: dict[str, int] = {}

    def choose(self, name: str) -> str:
        candidates = code_candidates(name)
        first = next(candidates)
        code = first
        if code in self.taken:
            for code in candidates:
                digits = code[len(first) :]
                if code.startswith(first) and digits.isdigit():
                    suffix = max(int(digits), self.next_suffix.get(first, 2))
                    while f"{first}{suffix}" in self.taken:
                        suffix += 1
                    self.next_suffix[first] = suffix + 1
                    code = f"{first}{suffix}"
                    if len(str(suffix)) > MAX_CODE_DIGITS:
                        raise ValueError(f"no order code left for {name!r}")
                    break
                if code not in self.taken:
                    break
        self.taken.add(code)
        return code


def _free_slug(name: str, taken: set[str]) -> str:
    base = slugify(name)
    slug, n = base, 2
    while slug in taken:
        slug = f"{base[:64]}-{n}"
        n += 1
    taken.add(slug)
    return slug


def _shop_name(
    draw: random.Random, trade: str, commune: Commune, merchant: tuple[str, str], taken: set[str]
) -> tuple[str, str]:
    """A name whose skeleton is free, and that skeleton. A name taken already gets the
    place (« Boulangerie Payet de Saint-Leu »), then a family word (« Boulangerie Payet &
    Fils »), or the merchant (« Le Four de Saint-Pierre, chez Payet »); a number last."""
    first, surname = merchant
    places = (commune.name, commune.name, *commune.quarters)
    tried: list[str] = []
    for attempt in range(12):
        pattern = draw.choice(SHOP_NAMES[trade])
        place = draw.choice(places)
        name = pattern.format(
            surname=surname, first=first, of_first=of_place(first), of=of_place(place)
        )
        about_a_place = "{of}" in pattern
        if attempt >= 8:
            name += f", chez {surname}" if about_a_place else f" {draw.choice(NAME_SUFFIXES)}"
        elif attempt >= 4 and not about_a_place:
            name += f" {of_place(place)}"
        tried.append(name)
        value = skeleton(name)
        if value not in taken:
            taken.add(value)
            return name, value
    base, n = tried[0], 2
    while skeleton(f"{base} {n}") in taken:
        n += 1
    name = f"{base} {n}"
    taken.add(skeleton(name))
    return name, skeleton(name)


def _product_counts(shop_count: int, per_shop: int) -> list[int]:
    """Between 30 % and 170 % of ``per_shop`` each, in pairs that add up to twice it: the
    island has exactly ``shop_count × per_shop`` products."""
    counts = []
    spread = int(per_shop * 0.7)
    for pair in range(shop_count // 2):
        delta = rng(COUNTS, pair).randint(0, spread)
        counts += [per_shop + delta, per_shop - delta]
    if shop_count % 2:
        counts.append(per_shop)
    return counts


def _trades(draw: random.Random) -> tuple[str, str | None]:
    trade = draw.choices(list(TRADE_SHARES), weights=list(TRADE_SHARES.values()))[0]
    extra = RELATED_TRADE.get(trade) if draw.random() < 0.25 else None
    return trade, extra


def _promotions(draw: random.Random) -> tuple[str, ...]:
    chosen = []
    if draw.random() < 0.25:
        chosen.append("running")
    if draw.random() < 0.08:
        chosen.append("future")
    if draw.random() < 0.15:
        chosen.append("past")
    return tuple(chosen)


def make_plan(
    shop_count: int,
    now: datetime,
    taken: Taken | None = None,
    products_per_shop: int = PRODUCTS_PER_SHOP,
) -> IslandPlan:
    taken = taken or Taken()
    slugs, skeletons, codes = set(taken.slugs), set(taken.skeletons), CodeBook(taken.codes)
    customers = max(shop_count * CUSTOMERS_PER_SHOP, MIN_CUSTOMERS)
    pools, start = [], 0
    for size in shops_per_commune(customers):  # customers live where people live
        pools.append((start, size))
        start += size
    product_counts = _product_counts(shop_count, products_per_shop)
    shops: list[PlannedShop] = []
    merchants = 0
    first_product = 0
    for commune_index, count in enumerate(shops_per_commune(shop_count)):
        commune = COMMUNES[commune_index]
        for i in range(count):
            number = len(shops)
            draw = rng(NAME, number)
            if i and draw.random() < SECOND_SHOP_SHARE:
                merchant = shops[-1].merchant
            else:
                merchant, merchants = merchants, merchants + 1
            trade, extra = _trades(draw)
            name, value = _shop_name(draw, trade, commune, person(MERCHANT, merchant), skeletons)
            pool = pools[commune_index][1]
            reviews = 0 if draw.random() < 0.25 else int(draw.expovariate(1 / 8)) + 1
            shops.append(
                PlannedShop(
                    number=number,
                    commune=commune_index,
                    trade=trade,
                    extra_trade=extra,
                    name=name,
                    skeleton=value,
                    slug=_free_slug(name, slugs),
                    order_code=codes.choose(name),
                    merchant=merchant,
                    created_at=now - timedelta(days=draw.uniform(30, 4 * 365)),
                    products=product_counts[number],
                    first_product=first_product,
                    reviews=min(reviews, pool, 60),
                    promotions=_promotions(draw),
                )
            )
            first_product += product_counts[number]
    return IslandPlan(now, shops, merchants, customers, pools)


def templates_by_trade() -> dict[str, list]:
    """The demo town's products (``DemoProduct``), by the trade of the shop selling them."""
    found: dict[str, list] = {}
    for shop in DEMO_SHOPS:
        found.setdefault(shop.category, []).extend(shop.products)
    return found
