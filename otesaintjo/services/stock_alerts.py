"""Stock alerts (issue 14, point 7): the merchant's low-stock threshold and "offline at 0".

A product is *low* when its threshold is set and its stock is at or below it. The shop is told
when a write takes a product from not low to low — a sale, or its merchant's edit (of the stock
or of the threshold) —, never while it stays low: ten sales below the threshold send one email.
The alert re-arms when the stock goes back above the threshold (a restock, or the stock of an
unpaid checkout given back), and fires again at the next fall. Creating a product never alerts.

With ``offline_at_zero``, a product whose stock reaches 0 goes offline in the transaction of the
sale that sold its last unit (the catalogue triggers of migration 0012 then move its shop's
version and its listing shard at that commit: no cached page keeps showing it), and is marked
``offline_since_empty``; it comes back online as soon as stock comes back (a restock by hand, or
a release), unless its merchant put it online or offline by hand meanwhile.

Each alert is one durable job (the outbox, as ``pickup_promises``) written in the transaction of
the write: it exists only if the sale commits. The job sends one email to the shop's address
(the one the merchant gave at onboarding to be reached, as the new-order recap), with a
``Message-ID`` chosen with the job: a send repeated after a worker died is the same message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import make_msgid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otesaintjo.errors import DomainError, ErrorCode
from otesaintjo.models import Product, Shop
from otesaintjo.notifications.email import MESSAGE_ID_DOMAIN, Mailer, render_email
from otesaintjo.services import links
from otesaintjo.services.outbox import enqueue
from otesaintjo.settings import Settings

STOCK_ALERT_JOB = "stock.alert"
MAX_THRESHOLD = 1_000_000


@dataclass(frozen=True, slots=True)
class StockMove:
    """A product's stock before and after one write, with its alert settings after it."""

    product_id: int
    before: int
    after: int
    threshold: int | None
    offline_at_zero: bool
    threshold_before: int | None = None  # a sale leaves the threshold as it was
    threshold_changed: bool = False


def check_threshold(threshold: int | None, field: list[str]) -> int | None:
    if threshold is not None and not 0 <= threshold <= MAX_THRESHOLD:
        raise DomainError(
            ErrorCode.INVALID_STOCK,
            "Le seuil d'alerte va de 0 à 1 000 000 (ou vide : pas d'alerte).",
            field,
        )
    return threshold


def is_low(stock: int, threshold: int | None) -> bool:
    return threshold is not None and stock <= threshold


def went_low(move: StockMove) -> bool:
    before = move.threshold_before if move.threshold_changed else move.threshold
    return not is_low(move.before, before) and is_low(move.after, move.threshold)


async def after_sale(session: AsyncSession, moves: Iterable[StockMove]) -> None:
    """What the stock just taken by a sale sets off, from the rows its statements returned (no
    query per line): the emptied products with the switch on go offline (one statement, for
    rows this transaction already holds), and each product that went low or offline gets its
    alert job."""
    moves = list(moves)
    emptied = [m.product_id for m in moves if m.after == 0 and m.offline_at_zero]
    if emptied:
        await session.execute(
            update(Product)
            .where(Product.id.in_(emptied), Product.stock == 0)  # type: ignore[union-attr]
            .values(is_online=False, offline_since_empty=True)
            .execution_options(synchronize_session=False)
        )
    for move in moves:
        _alert(session, move, offline=move.product_id in emptied)


def after_edit(session: AsyncSession, product: Product, move: StockMove) -> None:
    """A merchant's edit (``catalogue.update_product``) of a product loaded in the session:
    the same rules as a sale, and a restock brings back a product emptied offline."""
    offline = product.is_online and move.after == 0 and move.offline_at_zero
    if offline:
        product.is_online = False
        product.offline_since_empty = True
    elif move.after > 0 and product.offline_since_empty:
        product.is_online = True
        product.offline_since_empty = False
    _alert(session, move, offline=offline)


async def back_in_stock(session: AsyncSession, product_ids: list[int]) -> None:
    """Stock given back (an unpaid checkout expired, an order cancelled): the products it had
    taken offline at 0 come back online."""
    if product_ids:
        await session.execute(
            update(Product)
            .where(
                Product.id.in_(product_ids),  # type: ignore[union-attr]
                Product.offline_since_empty.is_(True),  # type: ignore[attr-defined]
                Product.stock > 0,
            )
            .values(is_online=True, offline_since_empty=False)
            .execution_options(synchronize_session=False)
        )


def by_hand(product: Product) -> None:
    """Online or offline by the merchant's hand: no longer ours to bring back."""
    product.offline_since_empty = False


def _alert(session: AsyncSession, move: StockMove, *, offline: bool) -> None:
    low = went_low(move)
    if low or offline:
        enqueue(
            session,
            STOCK_ALERT_JOB,
            {
                "product_id": move.product_id,
                "stock": move.after,
                "threshold": move.threshold,
                "offline": offline,
                "message_id": make_msgid(domain=MESSAGE_ID_DOMAIN),
            },
        )


async def send_alert(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    mailer: Mailer,
    payload: dict[str, Any],
) -> None:
    """The job: « Stock bas : <produit>, il en reste N » to the shop (the product's current
    name; the stock figure of the write that set it off)."""
    async with factory() as session:
        found = (
            await session.execute(
                select(Product, Shop)
                .join(Shop, Shop.id == Product.shop_id)  # type: ignore[arg-type]
                .where(Product.id == payload["product_id"])
            )
        ).first()
    if found is None:  # the product was deleted since
        return
    product, shop = found
    email = render_email(
        "stock_low",
        shop.email,
        product=product,
        shop=shop,
        stock=payload["stock"],
        threshold=payload["threshold"],
        offline=payload["offline"],
        link=links.merchant_home_url(settings),
    )
    await mailer.send({**email.as_payload(), "message_id": payload["message_id"]})


def handlers(
    factory: async_sessionmaker[AsyncSession], settings: Settings, mailer: Mailer
) -> dict[str, Any]:
    return {STOCK_ALERT_JOB: lambda p: send_alert(factory, settings, mailer, p)}
