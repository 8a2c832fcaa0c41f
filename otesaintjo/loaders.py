"""Every DataLoader, built per request (aiodataloader binds the running event loop).

Batch functions take a session from ``reads`` for each batch: on HTTP, a fresh session on the
request's one connection (``request_reads``), handed out one batch at a time since sibling
resolvers run concurrently; on a WebSocket, a short session from the pool. Each loader costs
one query per batch, whatever the page size.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import cached_property
from typing import Any, TypeVar

from aiodataloader import DataLoader
from sqlalchemy import func, select

from otesaintjo.db import one_of_parameter
from otesaintjo.direct_reads import read
from otesaintjo.models import (
    DeliverySlot,
    HeldInvoice,
    Invoice,
    Order,
    OrderLine,
    OrderReturn,
    PlatformReview,
    Product,
    ProductImage,
    Purchase,
    Shop,
    ShopCategory,
    ShopMember,
    ShopRating,
    ShopReview,
    SupportTicket,
    TicketMessage,
    User,
)
from otesaintjo.request_reads import SessionSource as Factory
from otesaintjo.response_cache import VIEWER_FACT
from otesaintjo.services.pricing import ActivePromotion
from otesaintjo.services.promotions import active_promotions
from otesaintjo.services.reference_prices import Priced, reference_prices

RowT = TypeVar("RowT")


KEYS = "keys"
"""The parameter every loader's statement takes: the keys of one batch (a list)."""

_STATEMENTS: dict[tuple[str, str], Any] = {}


def once(name: str, dialect: str, build: Callable[[Callable[[Any], Any]], Any]) -> Any:
    """The statement of loader ``name``, built on its first use in the process: ``build``
    gets the condition "this column is one of the batch's keys" (the ``KEYS`` parameter).
    Building a statement and its cache key costs ~0.1 ms, once per batch before."""
    statement = _STATEMENTS.get((name, dialect))
    if statement is None:
        statement = build(lambda column: one_of_parameter(dialect, column, KEYS))
        _STATEMENTS[name, dialect] = statement
    return statement


def rows_by_id(
    session_factory: Factory, model: type[RowT], dialect: str
) -> Callable[[Sequence[int]], Awaitable[list[RowT | None]]]:
    """A batch function: one ``WHERE id IN (…)`` for all the ids asked in a tick."""
    statement = once(
        f"{model.__name__} by id",
        dialect,
        lambda keys_in: select(model).where(keys_in(model.id)),  # type: ignore[attr-defined]
    )

    async def load(ids: Sequence[int]) -> list[RowT | None]:
        rows = await read(session_factory, statement, {KEYS: list(ids)})
        by_id: dict[int, Any] = {row[0].id: row[0] for row in rows}
        return [by_id.get(i) for i in ids]

    return load


def grouped(
    session_factory: Factory,
    statement: Any,
    default: Any = list,
    row: Callable[[Any], Any] = lambda r: r[1],
) -> Callable[[Sequence[int]], Awaitable[list[Any]]]:
    """A batch function for one-to-many data: ``statement`` (from ``once``) yields rows whose
    first column is the key; ``row`` picks the value from each."""

    async def load(keys: Sequence[int]) -> list[Any]:
        found: dict[int, Any] = defaultdict(default)
        for result in await read(session_factory, statement, {KEYS: list(keys)}):
            key, value = result[0], row(result)
            if default is list:
                found[key].append(value)
            else:
                found[key] = value
        return [found[key] if key in found else default() for key in keys]

    return load


def _same(key: Any) -> Any:
    return key


def loader(batch_load_fn: Callable[[list[Any]], Awaitable[list[Any]]]) -> DataLoader:
    """``DataLoader(batch_load_fn)`` without its constructor's checks (``inspect`` asks
    whether the function is a coroutine function, the loop is looked up): a request builds
    several, ~1 % of an executed page. The same attributes as aiodataloader's ``__init__``
    (tests/test_loaders.py compares them)."""
    made = DataLoader.__new__(DataLoader)
    made.loop = asyncio.get_running_loop()
    made.batch_load_fn = batch_load_fn
    made.get_cache_key = _same
    made._cache = {}
    made._queue = []
    return made


class Loaders:
    @staticmethod
    async def fill(loader: DataLoader, keys: Sequence[Any]) -> None:
        """Load ``keys`` in one batch now, as ``load_many`` would, and keep the values:
        without a future and a gathering per key, a scheduled dispatch and a task per batch
        (a listing fills three loaders with ~20 keys each). Keys asked before are left."""
        missing = [key for key in dict.fromkeys(keys) if key not in loader._cache]
        if missing:
            for key, value in zip(missing, await loader.batch_load_fn(missing), strict=True):
                loader.prime(key, value)

    def forget(self) -> None:
        """Drop every cached row: a live subscription reads each push afresh."""
        for loader in vars(self).values():
            if isinstance(loader, DataLoader):
                loader.clear_all()

    def _by_id(self, model: type[RowT]) -> DataLoader[int, RowT | None]:
        return loader(rows_by_id(self._factory, model, self._dialect))

    def _grouped(self, name: str, build: Callable[[Any], Any], **options: Any) -> DataLoader:
        """A one-to-many loader (``grouped``) on the statement ``build`` makes (``once``). Its
        batch function closes over the factory and the statement, not over ``self``."""
        return loader(grouped(self._factory, once(name, self._dialect, build), **options))

    def _counted(self, name: str, key: Any, *conditions: Any) -> DataLoader[int, int]:
        """How many rows each key has (``key``'s column), among those matching ``conditions``;
        0 for a key without any."""
        return self._grouped(
            name,
            lambda keys_in: (
                select(key, func.count()).where(keys_in(key), *conditions).group_by(key)
            ),
            default=int,
        )

    def __init__(self, session_factory: Factory, now: datetime, dialect: str = "") -> None:
        # Each loader is built on first use: a request uses a few of the twenty. Their batch
        # functions close over these values, never over ``self``: no reference cycle.
        self._factory, self._now, self._dialect = session_factory, now, dialect

    @cached_property
    def user_by_id(self) -> DataLoader[int, User | None]:
        return self._by_id(User)

    @cached_property
    def shop_by_id(self) -> DataLoader[int, Shop | None]:
        return self._by_id(Shop)

    @cached_property
    def product_by_id(self) -> DataLoader[int, Product | None]:
        return self._by_id(Product)

    @cached_property
    def product_and_shop_by_id(self) -> DataLoader[int, tuple[Product, Shop] | None]:
        """A product with its shop, in one statement (a product page needs both before
        anything else: is it online in an active shop?); both other loaders are primed."""
        factory, dialect = self._factory, self._dialect
        products, shops = self.product_by_id, self.shop_by_id
        statement = once(
            "product and shop by id",
            dialect,
            lambda keys_in: (
                select(Product, Shop)
                .join(Shop, Shop.id == Product.shop_id)
                .where(keys_in(Product.id))  # type: ignore[arg-type]
            ),
        )

        async def load(ids: Sequence[int]) -> list[tuple[Product, Shop] | None]:
            rows = await read(factory, statement, {KEYS: list(ids)})
            found = {product.id: (product, shop) for product, shop in rows}
            for product, shop in found.values():
                products.prime(product.id, product)
                shops.prime(shop.id, shop)
            return [found.get(i) for i in ids]

        return loader(load)

    @cached_property
    def images_by_product_id(self) -> DataLoader[int, list[Any]]:
        """Each product's photos as plain rows (``id``, ``key``, ``position``): all a page
        shows of them, without an ORM object per photo (a listing shows ~20). A photo is
        reached through its product, whose shop the response cache records."""
        images = ProductImage.__table__.c  # type: ignore[attr-defined]
        return self._grouped(
            "images_by_product_id",
            lambda keys_in: (
                select(images.product_id, images.id, images.key, images.position)
                .where(keys_in(images.product_id))
                .order_by(images.position, images.id)
            ),
            row=lambda r: r,
        )

    @cached_property
    def delivery_slot_by_id(self) -> DataLoader[int, DeliverySlot | None]:
        return self._by_id(DeliverySlot)

    @cached_property
    def delivery_slots_by_shop_id(self) -> DataLoader[int, list[DeliverySlot]]:
        return self._grouped(
            "delivery_slots_by_shop_id",
            lambda keys_in: (
                select(DeliverySlot.shop_id, DeliverySlot)
                .where(keys_in(DeliverySlot.shop_id))  # type: ignore[attr-defined]
                .order_by(DeliverySlot.shop_id, DeliverySlot.starts, DeliverySlot.id)
            ),
        )

    @cached_property
    def categories_by_shop_id(self) -> DataLoader[int, list[str]]:
        return self._grouped(
            "categories_by_shop_id",
            lambda keys_in: (
                select(ShopCategory.shop_id, ShopCategory.category)
                .where(keys_in(ShopCategory.shop_id))  # type: ignore[attr-defined]
                .order_by(ShopCategory.category)
            ),
        )

    @cached_property
    def online_products_by_shop_id(self) -> DataLoader[int, int]:
        return self._counted(
            "online_products_by_shop_id",
            Product.shop_id,
            Product.is_online.is_(True),  # type: ignore[attr-defined]
        )

    @cached_property
    def held_invoices_by_shop_id(self) -> DataLoader[int, int]:
        """How many documents each shop owes until its legal identity is complete."""
        return self._counted("held_invoices_by_shop_id", HeldInvoice.shop_id)

    @cached_property
    def held_invoices_by_order_id(self) -> DataLoader[int, int]:
        """How many of each order's documents wait for its shop's legal identity."""
        return self._counted("held_invoices_by_order_id", HeldInvoice.order_id)

    @cached_property
    def members_by_shop_id(self) -> DataLoader[int, list[Any]]:
        return self._grouped(
            "members_by_shop_id",
            lambda keys_in: (
                select(ShopMember.shop_id, ShopMember, User)
                .join(User, User.id == ShopMember.user_id)
                .where(keys_in(ShopMember.shop_id))  # type: ignore[attr-defined]
                .order_by(ShopMember.created_at, ShopMember.user_id)
            ),
            row=lambda r: (r[1], r[2]),
        )

    @cached_property
    def shop_ids_by_user_id(self) -> DataLoader[int, list[int]]:
        return self._grouped(
            "shop_ids_by_user_id",
            lambda keys_in: (
                select(ShopMember.user_id, ShopMember.shop_id)
                .where(keys_in(ShopMember.user_id))  # type: ignore[attr-defined]
                .order_by(ShopMember.shop_id)
                .execution_options(**{VIEWER_FACT: True})
            ),
        )

    @cached_property
    def purchase_by_id(self) -> DataLoader[int, Purchase | None]:
        return self._by_id(Purchase)

    @cached_property
    def order_by_id(self) -> DataLoader[int, Order | None]:
        return self._by_id(Order)

    @cached_property
    def order_by_number(self) -> DataLoader[str, Order | None]:
        return self._grouped(
            "order_by_number",
            lambda keys_in: select(Order.number, Order).where(keys_in(Order.number)),
            default=lambda: None,
        )

    @cached_property
    def orders_by_purchase_id(self) -> DataLoader[int, list[Order]]:
        return self._grouped(
            "orders_by_purchase_id",
            lambda keys_in: (
                select(Order.purchase_id, Order)
                .where(keys_in(Order.purchase_id))  # type: ignore[attr-defined]
                .order_by(Order.id)
            ),
        )

    @cached_property
    def lines_by_order_id(self) -> DataLoader[int, list[OrderLine]]:
        return self._grouped(
            "lines_by_order_id",
            lambda keys_in: (
                select(OrderLine.order_id, OrderLine)
                .where(keys_in(OrderLine.order_id))  # type: ignore[attr-defined]
                .order_by(OrderLine.id)
            ),
        )

    @cached_property
    def return_by_id(self) -> DataLoader[int, OrderReturn | None]:
        return self._by_id(OrderReturn)

    @cached_property
    def returns_by_order_id(self) -> DataLoader[int, list[OrderReturn]]:
        return self._grouped(
            "returns_by_order_id",
            lambda keys_in: (
                select(OrderReturn.order_id, OrderReturn)
                .where(keys_in(OrderReturn.order_id))  # type: ignore[attr-defined]
                .order_by(OrderReturn.id)
            ),
        )

    @cached_property
    def review_by_id(self) -> DataLoader[int, ShopReview | None]:
        return self._by_id(ShopReview)

    @cached_property
    def platform_review_by_id(self) -> DataLoader[int, PlatformReview | None]:
        return self._by_id(PlatformReview)

    @cached_property
    def ticket_by_id(self) -> DataLoader[int, SupportTicket | None]:
        return self._by_id(SupportTicket)

    @cached_property
    def messages_by_ticket_id(self) -> DataLoader[int, list[TicketMessage]]:
        return self._grouped(
            "messages_by_ticket_id",
            lambda keys_in: (
                select(TicketMessage.ticket_id, TicketMessage)
                .where(keys_in(TicketMessage.ticket_id))  # type: ignore[attr-defined]
                .order_by(TicketMessage.id)
            ),
        )

    @cached_property
    def invoices_by_order_id(self) -> DataLoader[int, list[Invoice]]:
        return self._grouped(
            "invoices_by_order_id",
            lambda keys_in: (
                select(Invoice.order_id, Invoice)
                .where(keys_in(Invoice.order_id))  # type: ignore[attr-defined]
                .order_by(Invoice.id)
            ),
        )

    @cached_property
    def rating_by_shop_id(self) -> DataLoader[int, tuple[int, int]]:
        return self._grouped(
            "rating_by_shop_id",
            lambda keys_in: select(ShopRating.shop_id, ShopRating.count, ShopRating.total).where(
                keys_in(ShopRating.shop_id)  # type: ignore[attr-defined]
            ),
            default=lambda: (0, 0),
            row=lambda r: (r[1], r[2]),
        )

    @cached_property
    def promotions_by_shop_id(self) -> DataLoader[int, list[ActivePromotion]]:
        factory, now = self._factory, self._now

        async def load_promotions(shop_ids: Sequence[int]) -> list[list[ActivePromotion]]:
            by_shop = await active_promotions(factory, shop_ids, now)
            return [by_shop[shop_id] for shop_id in shop_ids]

        return loader(load_promotions)

    @cached_property
    def reference_price(self) -> DataLoader[Priced, int | None]:
        """The reference price (L112-1-1) of the products a promotion prices down: for a page,
        two queries — its shops' promotions of the last months, then the price histories."""
        factory, now = self._factory, self._now

        async def load_references(products: Sequence[Priced]) -> list[int | None]:
            async with factory() as session:
                found = await reference_prices(session, products, now)
            return [found[p.product_id] for p in products]

        return loader(load_references)
