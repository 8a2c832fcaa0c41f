"""``otesaintjo seed --scale N --towns``: the whole island in one go, on a database once.

The plan (:mod:`.plan`) is made first, so every table's id range is known and taken from the
table's own sequence before a row is written; the app goes on inserting after it. Then:

* **PostgreSQL** — one transaction: the user triggers of the written tables are disabled
  (``ALTER TABLE … DISABLE TRIGGER USER``), every table is loaded by binary ``COPY``, the
  ratings are computed in SQL from the reviews, the triggers are enabled again and
  ``catalogue_versions.mark_everything_changed`` moves the response cache's versions (the
  bump triggers were off). ``ALTER TABLE`` is transactional in PostgreSQL: on any failure,
  the rollback puts the triggers back on with the rest. ``VACUUM (ANALYZE)`` follows.
  The search vectors are generated columns: ``COPY`` fills them.
* **SQLite** — one ``BEGIN IMMEDIATE`` transaction of ``executemany``; the triggers stay on
  (they index the FTS5 tables and bump the catalogue version).

Refused (:class:`IslandAlreadySeeded`) when the database already holds a seeded island: the
generated accounts' domain says so. Nothing is written then, not even a picture.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from otesaintjo.catalogue_versions import mark_everything_changed
from otesaintjo.clock import utcnow
from otesaintjo.demo.island import COMMUNES
from otesaintjo.security import hash_password
from otesaintjo.seeding import rows
from otesaintjo.seeding.pictures import store_pictures
from otesaintjo.seeding.plan import DOMAIN, PRODUCTS_PER_SHOP, IslandPlan, Taken, make_plan
from otesaintjo.seeding.writers import CopyWriter, InsertWriter, Writer
from otesaintjo.storage import BlobStore

# Our own table names, never input: S608 does not apply to the statements built from them.
# ruff: noqa: S608

ADVISORY_LOCK = 974_012_006  # one island seed at a time per PostgreSQL database
WRITTEN = tuple(rows.COLUMNS)  # in load order: parents before children
DERIVED = ("shop_rating",)


class IslandAlreadySeeded(Exception):
    def __init__(self) -> None:
        super().__init__(
            "L'île est déjà dans cette base (comptes @" + DOMAIN + ") : rien n'a été ajouté."
            " Pour la recréer, partez d'une base neuve (otesaintjo migrate puis seed)."
        )


class Progress(Protocol):
    def start(self, totals: dict[str, int]) -> None: ...
    def advance(self, table: str, rows: int) -> None: ...
    def step(self, label: str) -> None: ...


class _Silent:
    def start(self, totals: dict[str, int]) -> None:
        pass

    def advance(self, table: str, rows: int) -> None:
        pass

    def step(self, label: str) -> None:
        pass


@dataclass(frozen=True)
class IslandSummary:
    shops: int
    products: int
    communes: int
    rows: dict[str, int]


def totals(plan: IslandPlan) -> dict[str, int]:
    """Rows per table the plan will write (promotion links are known only while writing)."""
    counts = rows.id_counts(plan)
    members = len(plan.shops)
    categories = len(plan.shops) + sum(1 for s in plan.shops if s.extra_trade)
    return {
        "user_account": counts["user_account"],
        "shop": counts["shop"],
        "shop_member": members,
        "shop_category": categories,
        "product": counts["product"],
        "product_image": counts["product_image"],
        "product_price": counts["product"],
        "promotion": counts["promotion"],
        "shop_review": counts["shop_review"],
        "platform_review": counts["platform_review"],
    }


async def seed_island(
    engine: AsyncEngine,
    store: BlobStore,
    shop_count: int,
    *,
    products_per_shop: int = PRODUCTS_PER_SHOP,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> IslandSummary:
    """Seed ``shop_count`` shops × ``products_per_shop`` products (on average) over the island."""
    if shop_count < 1:
        raise ValueError("at least one shop")
    progress = progress or _Silent()
    postgres = engine.dialect.name == "postgresql"
    async with engine.connect() as connection:
        if postgres:
            async with connection.begin():
                await connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": ADVISORY_LOCK})
        try:
            async with connection.begin():
                await _refuse_if_seeded(connection)
                taken = await _taken(connection)
            progress.step("Plan de l'île")
            plan = make_plan(shop_count, now or utcnow(), taken, products_per_shop)
            progress.start(totals(plan))
            progress.step("Photos partagées")
            keys = await store_pictures(store)
            password_hash = await hash_password(secrets.token_urlsafe(24))  # nobody signs in
            load = _load_postgres if postgres else _load_sqlite
            written = await load(connection, plan, keys, password_hash, progress)
        finally:
            if postgres:
                async with connection.begin():
                    await connection.execute(
                        text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK}
                    )
    return IslandSummary(len(plan.shops), plan.products, len(COMMUNES), written)


async def _refuse_if_seeded(connection: AsyncConnection) -> None:
    found = await connection.scalar(
        text("SELECT 1 FROM user_account WHERE email LIKE :pattern LIMIT 1"),
        {"pattern": f"%@{DOMAIN}"},
    )
    if found:
        raise IslandAlreadySeeded


async def _taken(connection: AsyncConnection) -> Taken:
    result = await connection.execute(text("SELECT slug, name_skeleton, order_code FROM shop"))
    taken = Taken()
    for slug, skeleton, code in result:
        taken.slugs.add(slug)
        taken.codes.add(code)
        if skeleton:
            taken.skeletons.add(skeleton)
    return taken


async def _write_all(
    writer: Writer, plan: IslandPlan, ids: rows.Ids, keys: list[str], password_hash: str
) -> None:
    """Every table, parents first (the foreign keys stay checked)."""
    columns = rows.COLUMNS
    catalogue = rows.Catalogue()
    await writer.write(
        "user_account", columns["user_account"], rows.users(plan, ids, password_hash)
    )
    await writer.write("shop", columns["shop"], rows.shops(plan, ids))
    await writer.write("shop_member", columns["shop_member"], rows.shop_members(plan, ids))
    await writer.write("shop_category", columns["shop_category"], rows.shop_categories(plan, ids))
    await writer.write("product", columns["product"], rows.products(plan, ids, catalogue))
    await writer.write(
        "product_image", columns["product_image"], rows.product_images(ids, catalogue, keys)
    )
    await writer.write(
        "product_price", columns["product_price"], rows.product_prices(ids, catalogue)
    )
    promotions, links = rows.promotions(plan, ids, catalogue)
    await writer.write("promotion", columns["promotion"], promotions)
    await writer.write("promotion_product", columns["promotion_product"], links)
    await writer.write("shop_review", columns["shop_review"], rows.shop_reviews(plan, ids))
    await writer.write(
        "platform_review", columns["platform_review"], rows.platform_reviews(plan, ids)
    )


async def _rate_shops(connection: AsyncConnection, plan: IslandPlan, ids: rows.Ids) -> int:
    """Each shop's (count, total) of visible reviews, as ``reviews.move_rating`` keeps them."""
    result = await connection.execute(
        text(
            "INSERT INTO shop_rating (shop_id, count, total)"
            " SELECT shop_id, count(*), sum(rating) FROM shop_review"
            " WHERE shop_id BETWEEN :first AND :last AND hidden_at IS NULL GROUP BY shop_id"
        ),
        {"first": ids.shop, "last": ids.shop + len(plan.shops) - 1},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def _load_postgres(
    connection: AsyncConnection,
    plan: IslandPlan,
    keys: list[str],
    password_hash: str,
    progress: Progress,
) -> dict[str, int]:
    # The ranges come from the sequences, with the tables locked for the moment it takes: an
    # insert running meanwhile has its id already, the next ones get ids after the ranges.
    id_tables = [f.name for f in rows.Ids.__dataclass_fields__.values()]
    async with connection.begin():
        await connection.execute(
            text(f"LOCK TABLE {', '.join(id_tables)} IN SHARE ROW EXCLUSIVE MODE")
        )
        first_ids = {
            table: await _reserve(connection, table, count)
            for table, count in rows.id_counts(plan).items()
        }
    ids = rows.Ids(**first_ids)
    async with connection.begin():
        triggered = await _tables_with_user_triggers(connection, (*WRITTEN, *DERIVED))
        for table in triggered:
            await connection.execute(text(f'ALTER TABLE "{table}" DISABLE TRIGGER USER'))
        driver = (await connection.get_raw_connection()).driver_connection
        writer = CopyWriter(driver, progress.advance)
        await _write_all(writer, plan, ids, keys, password_hash)
        progress.step("Notes des boutiques")
        rated = await _rate_shops(connection, plan, ids)
        for table in triggered:
            await connection.execute(text(f'ALTER TABLE "{table}" ENABLE TRIGGER USER'))
        await mark_everything_changed(connection)
    progress.step("VACUUM ANALYZE")
    driver = (await connection.get_raw_connection()).driver_connection
    await driver.execute(f"VACUUM (ANALYZE) {', '.join((*WRITTEN, *DERIVED))}")
    return {**writer.written, "shop_rating": rated}


async def _reserve(connection: AsyncConnection, table: str, count: int) -> int:
    """The first of ``count`` ids taken from ``table``'s sequence at once."""
    sequence = await connection.scalar(
        text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table}
    )
    if count == 0:
        return 1
    first = int(await connection.scalar(text("SELECT nextval(:s)"), {"s": sequence}))
    await connection.execute(
        text("SELECT setval(:s, :last)"), {"s": sequence, "last": first + count - 1}
    )
    return first


async def _tables_with_user_triggers(
    connection: AsyncConnection, tables: tuple[str, ...]
) -> list[str]:
    result = await connection.execute(
        text(
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE NOT t.tgisinternal AND pg_table_is_visible(c.oid)"
            " AND c.relname = ANY(:tables) ORDER BY c.relname"
        ),
        {"tables": list(tables)},
    )
    return list(result.scalars())


async def _load_sqlite(
    connection: AsyncConnection,
    plan: IslandPlan,
    keys: list[str],
    password_hash: str,
    progress: Progress,
) -> dict[str, int]:
    async with connection.begin():
        # The write lock first: the ids below stay ours until the commit.
        await connection.exec_driver_sql("BEGIN IMMEDIATE")
        await _refuse_if_seeded(connection)
        first_ids = {}
        for table in rows.id_counts(plan):
            last = await connection.scalar(text(f'SELECT max(id) FROM "{table}"'))
            first_ids[table] = int(last or 0) + 1
        ids = rows.Ids(**first_ids)
        writer = InsertWriter(connection, progress.advance)
        await _write_all(writer, plan, ids, keys, password_hash)
        progress.step("Notes des boutiques")
        rated = await _rate_shops(connection, plan, ids)
        await mark_everything_changed(connection)
    return {**writer.written, "shop_rating": rated}
