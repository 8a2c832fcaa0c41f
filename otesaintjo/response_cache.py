"""Whole-response cache for anonymous catalogue reads, exact, and scoped to what changed.

A response is reused only when all of these hold, so it is always what a fresh execution
would return:

- nothing in it depends on who asks: the execution never read the viewer
  (``Context.viewer`` records it in ``CacheScope.viewer_read``). Such an answer is the same
  for every visitor, signed in or not, with a valid token or a stale one, and is served to all
  of them (a customer browsing the catalogue costs what a visitor does). One question is
  allowed: "does the viewer run shop X?" (``Context.manages_shop``: a shop's merchants also see
  its offline products and stock alerts). Answered no, as for any visitor, the answer is kept
  with the shops asked, and serves a signed-in request only after one statement says its
  viewer is not staff and runs none of them (``auth.runs_any_shop``); answered yes, it is that
  merchant's alone. An answer that read the viewer otherwise is kept for anonymous requests
  only, and a signed-in request's is never kept;
- the document is one query whose root fields are all in ``CACHEABLE_ROOT_FIELDS``;
- its execution read only catalogue tables (``CacheScope`` watches every statement and every
  row loaded; a review's author, an order, anything else makes it uncacheable); reads that
  return plain rows instead of ORM objects (a products listing) report their shops
  themselves (``CacheScope.record_shops``);
- none of what it showed has changed since: it records the shops whose rows it loaded, and
  the versions of those shops plus the sum of the listing shards (migration 0012), read
  **in the same snapshot as the data** after the execution. A hit re-reads those versions
  (one statement) and compares. A sale bumps its shop's version only: pages of other shops
  stay cached; a catalogue edit also bumps one listing shard, so every listing (which rows,
  in which order) is recomputed;
- no promotion has started or ended since: each entry expires at the next such instant;
- the execution returned data without errors.

Entries live in each process (bounded LRU); versions are shared through the database, so a
write committed by any process or path is never served stale after its commit.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from graphql import FieldNode, GraphQLSyntaxError, OperationDefinitionNode, OperationType, parse
from sqlalchemy import (
    DateTime,
    Select,
    Table,
    bindparam,
    event,
    func,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql import Executable

from otesaintjo import direct_reads
from otesaintjo.clock import utcnow
from otesaintjo.db import one_of_parameter
from otesaintjo.models import (
    CatalogueListingVersion,
    Product,
    ProductImage,
    ProductPrice,
    Promotion,
    PromotionProduct,
    Shop,
    ShopCatalogueVersion,
    ShopCategory,
    ShopRating,
    ShopReview,
)

CACHEABLE_ROOT_FIELDS = frozenset({"products", "shops", "shop", "node", "nodes", "__typename"})
MAX_QUERY_LENGTH = 20_000
LISTING = -1  # the key of the listing shards' sum among the versions

# The catalogue tables (those migration 0012 versions) and the shop each row belongs to.
SHOP_OF: dict[type, Callable[[Any], int]] = {
    Shop: lambda row: row.id,
    Product: lambda row: row.shop_id,
    Promotion: lambda row: row.shop_id,
    ShopCategory: lambda row: row.shop_id,
    ShopRating: lambda row: row.shop_id,
    ShopReview: lambda row: row.shop_id,
}
# Reached only through a row above (a photo or a price history through its product, a
# promotion's products through the promotion), whose shop is then recorded. A price history
# row is written only with its product's price, which bumps the shop's version.
REACHED_THROUGH = frozenset({ProductImage, ProductPrice, PromotionProduct})
CATALOGUE = frozenset(SHOP_OF) | REACHED_THROUGH


@lru_cache(maxsize=1024)
def is_cacheable_document(query: str, operation_name: str | None) -> bool:
    """One query operation selecting only cacheable root fields (no fragments at the root)."""
    if len(query) > MAX_QUERY_LENGTH:
        return False
    try:
        document = parse(query, max_tokens=2000)
    except GraphQLSyntaxError:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation != OperationType.QUERY:
        return False
    selections = operations[0].selection_set.selections
    return all(
        isinstance(s, FieldNode) and s.name.value in CACHEABLE_ROOT_FIELDS for s in selections
    )


def request_key(payload: Any) -> str | None:
    """The cache key of a JSON request body, or None when it must not be cached."""
    if not isinstance(payload, dict):
        return None
    query, variables = payload.get("query"), payload.get("variables") or {}
    operation_name = payload.get("operationName")
    if not isinstance(query, str) or not isinstance(variables, dict):
        return None
    if operation_name is not None and not isinstance(operation_name, str):
        return None
    if not is_cacheable_document(query, operation_name):
        return None
    canonical = json.dumps([query, variables, operation_name], sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class CacheScope:
    """What one cacheable execution read: the shops it showed, or why it cannot be kept."""

    shops: set[int] = field(default_factory=set)
    refused: str | None = None
    now: datetime | None = None  # the request's instant, its prices' (set by the context)
    viewer_read: bool = False
    """A resolver asked who the viewer is: the answer may differ from one viewer to another."""
    asked_shops: set[int] = field(default_factory=set)
    """Shops asked "does the viewer run it?" and answered no, as for any visitor: the answer
    serves a signed-in viewer only after the same question gets the same no for them."""
    runs_a_shown_shop: bool = False
    """This viewer runs a shop the answer asked about: theirs alone."""
    recording: bool = True

    def refuse(self, reason: str) -> None:
        """This answer depends on more than the shops it shows (say, a stock order across
        every shop): execute it, never keep it."""
        self.refused = self.refused or reason

    def record_shops(self, shop_ids: Iterable[int]) -> None:
        """The shops of rows read as plain rows (no ORM object to report them)."""
        if self.recording:
            self.shops.update(shop_ids)

    def record_loaded(self, instance: Any) -> None:
        """An ORM object read: its shop is part of the answer; an object of no shop makes
        the answer uncacheable."""
        if not self.recording:
            return
        shop_of = SHOP_OF.get(type(instance))
        if shop_of is not None:
            self.shops.add(shop_of(instance))
        elif type(instance) not in REACHED_THROUGH:
            self.refuse(f"loads {type(instance).__name__}")

    def check_tables(self, tables: frozenset[Table], statement: Executable) -> None:
        """A read sent to the driver (``direct_reads``): what the session's check does for
        a statement (``_check_statement``), by the tables it reads."""
        if not self.recording or statement.get_execution_options().get(VIEWER_FACT):
            return
        outside = _outside_catalogue(tables)
        if outside:
            self.refuse(f"reads {outside}")

    @property
    def same_for_everyone(self) -> bool:
        """Nothing in the answer depends on who asks, nor was any question asked about them."""
        return not (self.viewer_read or self.asked_shops or self.runs_a_shown_shop)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Reads that are not part of the answer (the viewer's sign-in, checked before the
        execution starts): neither recorded nor refused."""
        self.recording = False
        try:
            yield
        finally:
            self.recording = True

    @property
    def session_options(self) -> dict[str, Any]:
        """For ``RequestReads``: sessions that report what they load to this scope."""
        return {"sync_session_class": CatalogueReadSession, "info": {"cache_scope": self}}


class CatalogueReadSession(Session):
    """The sessions of a cacheable execution: every statement and loaded row is checked."""


VIEWER_FACT = "otesaintjo_viewer_fact"
"""An execution option for a statement about who the viewer is (the shops they run), read to
decide what they may see, not shown: the scope neither records nor refuses it. What the
decision changes is the ``Context``'s business (``viewer_read``)."""


@lru_cache(maxsize=256)
def _outside_catalogue(tables: frozenset[Table]) -> str:
    """The tables not of the catalogue among ``tables``, named, or ""."""
    catalogue = {model.__table__ for model in CATALOGUE}  # type: ignore[attr-defined]
    return ", ".join(sorted(table.name for table in tables if table not in catalogue))


@event.listens_for(CatalogueReadSession, "do_orm_execute")
def _check_statement(state: ORMExecuteState) -> None:
    scope: CacheScope = state.session.info["cache_scope"]
    if not scope.recording or state.execution_options.get(VIEWER_FACT):
        return
    outside = [m.class_.__name__ for m in state.all_mappers if m.class_ not in CATALOGUE]
    if outside:
        scope.refuse(f"reads {', '.join(sorted(outside))}")


@event.listens_for(CatalogueReadSession, "loaded_as_persistent")
def _record_row(session: Session, instance: Any) -> None:
    session.info["cache_scope"].record_loaded(instance)


Versions = dict[int, int]
RunsAnyShop = Callable[[AsyncConnection, frozenset[int]], Awaitable[bool]]


async def read_versions(
    connection: AsyncConnection, shop_ids: Iterable[int], promotions_after: datetime | None = None
) -> tuple[Versions, datetime | None]:
    """In one statement: the listing shards' sum (key ``LISTING``), the version of each shop
    (0 for a shop without a row yet), and, if asked, the next instant after
    ``promotions_after`` a promotion starts or ends (prices change then, without a write).
    The statement is built once and goes straight to the driver (``direct_reads``): every
    cache hit runs it, and building and executing it through SQLAlchemy was a fifth of a
    hit's CPU."""
    ids = sorted(shop_ids)
    parameters: dict[str, Any] = {"shop_ids": ids}
    if promotions_after is not None:
        parameters["after"] = promotions_after
    statement = _versions(connection.dialect.name, promotions_after is not None)
    rows = await direct_reads.fetch_on(connection, statement, parameters)
    listing, change = (int(rows[0][0]), rows[0][1]) if rows else (0, None)
    found = {int(row[2]): int(row[3]) for row in rows if row[2] is not None}
    return {LISTING: listing} | {i: found.get(i, 0) for i in ids}, change


@lru_cache(maxsize=8)
def _versions(dialect: str, next_change: bool) -> Select[Any]:
    """(listing sum, next promotion change, shop id, shop version): one row per shop found,
    or one row with no shop (the listing sum joined to the shops' versions on true)."""
    change = _next_promotion_change(bindparam("after", type_=DateTime(timezone=True)))
    listing = select(
        func.coalesce(func.sum(CatalogueListingVersion.version), 0).label("listing"),
        (change if next_change else null()).label("next_change"),
    ).subquery("listing")
    shops = (
        select(ShopCatalogueVersion.shop_id, ShopCatalogueVersion.version)
        .where(one_of_parameter(dialect, ShopCatalogueVersion.shop_id, "shop_ids"))
        .subquery("shops")
    )
    return select(
        listing.c.listing, listing.c.next_change, shops.c.shop_id, shops.c.version
    ).select_from(listing.outerjoin(shops, true()))


def _next_promotion_change(now: Any) -> Any:
    pending = Promotion.ended_at.is_(None)  # type: ignore[union-attr]
    instants = union_all(
        select(Promotion.starts_at.label("at")).where(pending, Promotion.starts_at > now),
        select(Promotion.ends_at.label("at")).where(pending, Promotion.ends_at > now),
    ).subquery()
    return select(func.min(instants.c.at)).scalar_subquery()


def etag(body: bytes) -> str:
    """A strong entity tag of an answer's bytes (HTTP caches revalidate with it)."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@dataclass(frozen=True, slots=True)
class Entry:
    versions: Mapping[int, int]
    valid_until: datetime | None
    body: bytes
    etag: str
    shared: bool
    """The execution never read the viewer: the answer of every visitor, signed in or not
    (but those who run one of ``asked_shops``)."""
    asked_shops: frozenset[int] = frozenset()


class ResponseCache:
    def __init__(self, engine: AsyncEngine, max_entries: int = 1024) -> None:
        # A hit reads one statement: no transaction to begin and roll back around it.
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.max_entries = max_entries
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        # Keys whose signed-in execution was personal (it read the viewer) or read beyond the
        # catalogue: later signed-in requests for them skip the snapshot and its two extra
        # round trips (BEGIN, ROLLBACK), which can only be wasted there.
        self._personal: OrderedDict[str, None] = OrderedDict()
        self.hits = 0
        self.misses = 0
        self.uncacheable = 0

    def worth_trying(self, key: str, *, signed_in: bool) -> bool:
        """False for a signed-in request whose answer for this key was personal last time."""
        if signed_in and key in self._personal:
            self._personal.move_to_end(key)
            return False
        return True

    async def lookup(
        self, key: str, *, signed_in: bool = False, runs_any_shop: RunsAnyShop | None = None
    ) -> Entry | None:
        """The kept answer, if nothing it showed has changed since. For a signed-in request,
        only one that read no viewer, and, when it asked whether the viewer runs some shops,
        only if ``runs_any_shop(connection, shops)`` says this viewer runs none of them."""
        entry = self._entries.get(key)
        if (
            entry is None
            or (signed_in and not entry.shared)
            or (entry.valid_until is not None and utcnow() >= entry.valid_until)
        ):
            self.misses += 1
            return None
        async with self.engine.connect() as connection:
            current, _ = await read_versions(
                connection, (k for k in entry.versions if k != LISTING)
            )
            theirs = (
                current == entry.versions
                and signed_in
                and bool(entry.asked_shops)
                and (runs_any_shop is None or await runs_any_shop(connection, entry.asked_shops))
            )
        if current != entry.versions or theirs:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry

    async def store(
        self,
        key: str,
        scope: CacheScope,
        body: bytes,
        run: Callable[..., Any],
        *,
        signed_in: bool = False,
    ) -> None:
        """Keep ``body``; ``run(work)`` runs ``work(connection)`` in the execution's snapshot.
        A signed-in request's answer is kept only when it read no viewer: then it is the
        anonymous one."""
        personal = scope.viewer_read or scope.runs_a_shown_shop
        if scope.refused is not None or (signed_in and personal):
            self.uncacheable += 1
            # Not tried again for signed-in requests, unless this viewer's answer was only
            # theirs for running the shop (a merchant's own shop page: customers share theirs).
            only_theirs = scope.refused is None and not scope.viewer_read
            if signed_in and not only_theirs:
                self._personal[key] = None
                self._personal.move_to_end(key)
                while len(self._personal) > self.max_entries:
                    self._personal.popitem(last=False)
            return
        try:
            result = json.loads(body)
        except ValueError:
            return
        if not isinstance(result, dict) or result.get("errors") or result.get("data") is None:
            return

        async def snapshot(connection: AsyncConnection) -> tuple[Versions, datetime | None]:
            return await read_versions(connection, scope.shops, scope.now or utcnow())

        versions, valid_until = await run(snapshot)
        self._entries[key] = Entry(
            versions,
            valid_until,
            body,
            etag(body),
            shared=not scope.viewer_read,
            asked_shops=frozenset(scope.asked_shops),
        )
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
