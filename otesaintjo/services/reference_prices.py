"""The reference price of a reduction: the crossed-out price a promotion is announced against.

Code de la consommation L112-1-1 I (Omnibus directive 2019/2161; décret n° 2022-1347): an
announced reduction shows the price charged before it, which is **the lowest price charged to
every customer during the 30 days before the reduction began**. Read here as:

- *charged*: the regular price (one ``ProductPrice`` row per change, with its instant) and, while
  an earlier promotion ran, the promotion's price — a product sold at -20 % ten days ago has
  that price as its reference, not its regular price;
- *began*: the start instant of the promotion (UTC; Réunion time is UTC+4, so the 30 days are
  the same); a promotion beginning while another one covers the product, or at the very
  instant it ends, continues the same reduction: **successive reductions** keep the reference
  of the first one (L112-1-1 I, third paragraph). A moment without any reduction between two
  promotions starts a new reduction, whose 30 days include the earlier promotion's prices;
- *history shorter than 30 days*: the lowest price of the part the history covers — a product
  put on sale 10 days before the reduction has the lowest price of those 10 days. A product
  never sold before the reduction began has no reference: no crossed-out price;
- **perishable goods** (``withdrawal_exclusion`` PERISHABLE, the L221-28 4° flag): L112-1-1 I
  does not apply to « produits périssables menacés d'une altération rapide », so no 30 days:
  the reference is the regular price charged just before the reduction began (the bakery's
  evening -50 % shows yesterday's price, not last evening's);
- a reduction may be announced only from a higher price: when the reference is not above the
  current price (a deeper promotion ran within the 30 days), nothing is crossed out — the
  promotional price still applies.

The rule is read at request time, for a whole page at once (``reference_prices``: two queries
whatever the page size, only for products a promotion prices down), so it never goes stale:
nothing has to run when a promotion starts or ends.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from otesaintjo.db import one_of
from otesaintjo.models import Product, ProductPrice, Promotion, PromotionProduct
from otesaintjo.models import WithdrawalExclusion as Exclusion
from otesaintjo.services.pricing import discounted

REFERENCE_PERIOD = timedelta(days=30)  # L112-1-1 I, second paragraph
FIRST_LOOK_BACK = timedelta(days=90)  # promotions read at first; longer chains read again


@dataclass(frozen=True, slots=True)
class Priced:
    """A product whose reference is asked (a loader's key)."""

    product_id: int
    shop_id: int
    perishable: bool

    @classmethod
    def of(cls, product: Product) -> Priced:
        return cls(
            product.id,  # type: ignore[arg-type]
            product.shop_id,
            product.withdrawal_exclusion == Exclusion.PERISHABLE,
        )


@dataclass(frozen=True, slots=True)
class Reduction:
    """A promotion as it ran: from ``starts_at`` until ``runs_until`` (its end, or the instant
    it was ended early)."""

    starts_at: datetime
    runs_until: datetime
    kind: str
    value: int
    product_ids: frozenset[int] | None  # None: every product of the shop

    def covers(self, product_id: int) -> bool:
        return self.product_ids is None or product_id in self.product_ids

    def runs_during(self, start: datetime, end: datetime) -> bool:
        return self.starts_at < end and self.runs_until > start


async def record_price(
    session: AsyncSession, product: Product, at: datetime, *, first: bool = False
) -> None:
    """Keep the product's regular price from ``at`` on (``first``: a new product's, nothing to
    look up). Two prices given at one instant keep the last: a price applied for no time at
    all was never charged."""
    row = None if first else await session.get(ProductPrice, (product.id, at))
    if row is None:
        session.add(ProductPrice(product_id=product.id, since=at, price_cents=product.price_cents))  # type: ignore[arg-type]
    else:
        row.price_cents = product.price_cents


def reduction_start(reductions: Iterable[Reduction], now: datetime) -> datetime | None:
    """When the reduction running now began: the earliest start among the promotions running
    now, moved back while another promotion ran up to that instant (successive reductions).
    None when no promotion runs now."""
    reductions = list(reductions)
    running = [r.starts_at for r in reductions if r.starts_at <= now < r.runs_until]
    if not running:
        return None
    start = min(running)
    while earlier := [r.starts_at for r in reductions if r.starts_at < start <= r.runs_until]:
        start = min(earlier)
    return start


def reference_price(
    history: Sequence[tuple[datetime, int]],
    reductions: Iterable[Reduction],
    start: datetime,
    perishable: bool,
) -> int | None:
    """The price a reduction that began at ``start`` is announced against (see the module).
    ``history``: (since, regular price) in order; ``reductions``: the promotions that covered
    the product."""
    before = [(since, price) for since, price in history if since < start]
    if not before:
        return None  # never sold before the reduction: nothing to cross out
    if perishable:  # L112-1-1 I, last paragraph: the 30 days do not apply
        return before[-1][1]
    opens = start - REFERENCE_PERIOD
    reductions = list(reductions)
    lowest: int | None = None
    for index, (since, price) in enumerate(before):
        until = before[index + 1][0] if index + 1 < len(before) else start
        applied_from = max(since, opens)
        if applied_from >= until:
            continue  # replaced before the 30 days opened
        charged = [price] + [
            discounted(price, r.kind, r.value)
            for r in reductions
            if r.runs_during(applied_from, until)
        ]
        lowest = min(charged) if lowest is None else min(lowest, *charged)
    return lowest


def announced(reference: int | None, price_cents: int) -> int | None:
    """The crossed-out price to show beside ``price_cents``: the reference, only if higher."""
    return reference if reference is not None and reference > price_cents else None


async def reference_prices(
    session: AsyncSession, products: Sequence[Priced], now: datetime
) -> dict[int, int | None]:
    """The reference of each product's running reduction (None: no reduction, or nothing to
    cross out), for a whole page: the promotions of its shops, then the price histories."""
    dialect = session.bind.dialect.name
    shop_ids = sorted({p.shop_id for p in products})
    product_ids = sorted({p.product_id for p in products})
    horizon = now - FIRST_LOOK_BACK
    while True:
        by_shop = await _reductions(session, dialect, shop_ids, product_ids, now, horizon)
        covering = {
            p.product_id: [r for r in by_shop[p.shop_id] if r.covers(p.product_id)]
            for p in products
        }
        starts = {p.product_id: reduction_start(covering[p.product_id], now) for p in products}
        known = [s for s in starts.values() if s is not None]
        if not known:
            return {p.product_id: None for p in products}
        if min(known) - REFERENCE_PERIOD >= horizon:
            break
        horizon = min(known) - REFERENCE_PERIOD  # a long run of reductions: read further back
    histories = await _histories(
        session,
        dialect,
        [pid for pid, start in starts.items() if start is not None],
        opens=min(known) - REFERENCE_PERIOD,
        closes=max(known),
    )
    found: dict[int, int | None] = {}
    for p in products:
        start = starts[p.product_id]
        found[p.product_id] = (
            None
            if start is None
            else reference_price(
                histories[p.product_id], covering[p.product_id], start, p.perishable
            )
        )
    return found


async def _reductions(
    session: AsyncSession,
    dialect: str,
    shop_ids: list[int],
    product_ids: list[int],
    now: datetime,
    horizon: datetime,
) -> dict[int, list[Reduction]]:
    """The promotions of these shops that began by ``now`` and ran after ``horizon``, each
    with those of ``product_ids`` it lists: one query."""
    rows = await session.execute(
        select(
            Promotion.id,
            Promotion.shop_id,
            Promotion.kind,
            Promotion.value,
            Promotion.all_products,
            Promotion.starts_at,
            Promotion.ends_at,
            Promotion.ended_at,
            PromotionProduct.product_id,
        )
        .outerjoin(
            PromotionProduct,
            and_(
                PromotionProduct.promotion_id == Promotion.id,
                one_of(dialect, PromotionProduct.product_id, product_ids),
            ),
        )
        .where(
            one_of(dialect, Promotion.shop_id, shop_ids),
            Promotion.starts_at <= now,
            Promotion.ends_at > horizon,
            or_(Promotion.ended_at.is_(None), Promotion.ended_at > horizon),  # type: ignore[union-attr]
        )
    )
    promotions: dict[int, tuple] = {}
    listed: dict[int, set[int]] = defaultdict(set)
    for promotion_id, *fields, product_id in rows:
        promotions[promotion_id] = tuple(fields)
        if product_id is not None:
            listed[promotion_id].add(product_id)
    by_shop: dict[int, list[Reduction]] = {shop_id: [] for shop_id in shop_ids}
    for promotion_id, (shop_id, kind, value, every, starts, ends, ended) in promotions.items():
        runs_until = min(ends, ended) if ended is not None else ends
        if runs_until <= starts:
            continue  # ended before it began: it never ran
        products = None if every else frozenset(listed[promotion_id])
        by_shop[shop_id].append(Reduction(starts, runs_until, kind, value, products))
    return by_shop


async def _histories(
    session: AsyncSession, dialect: str, product_ids: list[int], opens: datetime, closes: datetime
) -> dict[int, list[tuple[datetime, int]]]:
    """Each product's prices from the one in force at ``opens`` to those set before ``closes``,
    in order: one query (the primary key is its index)."""
    histories: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    if not product_ids:
        return histories
    earlier = aliased(ProductPrice)
    in_force = (
        select(func.max(earlier.since))
        .where(earlier.product_id == ProductPrice.product_id, earlier.since <= opens)
        .correlate(ProductPrice)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(ProductPrice.product_id, ProductPrice.since, ProductPrice.price_cents)
        .where(
            one_of(dialect, ProductPrice.product_id, product_ids),
            ProductPrice.since < closes,
            or_(ProductPrice.since >= opens, ProductPrice.since == in_force),
        )
        .order_by(ProductPrice.product_id, ProductPrice.since)
    )
    for product_id, since, price in rows:
        histories[product_id].append((since, price))
    return histories
