"""The SQLite triggers of migrations 0003 (search) and 0004 (catalogue version).

A SQLite *batch* migration recreates its table and drops that table's triggers: a later
migration altering ``shop`` or ``product`` calls these again after its batch block.
"""

# Table and column names below are our own constants, never input: S608 does not apply.
# ruff: noqa: S608
from __future__ import annotations

from alembic import op

SEARCH_COLUMNS = {
    "product": ("name", "description", "category"),
    "shop": ("name", "description", "town"),
}
BUMP = "UPDATE catalogue_state SET version = version + 1 WHERE id = 1"


def create_search_triggers(table: str) -> None:
    """Keep ``<table>_fts`` (FTS5, external content) in step with the table."""
    columns = SEARCH_COLUMNS[table]
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    fts = f"{table}_fts"
    op.execute(
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN"
        f" INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"
    )
    op.execute(
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN"
        f" INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END"
    )
    op.execute(
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {cols} ON {table} BEGIN"
        f" INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old});"
        f" INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"
    )


def create_bump_triggers(table: str) -> None:
    """Every write to ``table`` bumps the catalogue version (the response cache's key)."""
    for event in ("INSERT", "UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_bump_{event.lower()} AFTER {event} ON {table}"
            f" BEGIN {BUMP}; END"
        )


# Since 0012 the response cache is keyed per shop (see migration 0012 and response_cache.py).
# ``create_bump_triggers`` above is what 0004 and 0010 created; a batch migration from 0012 on
# re-creates the shop's and the product's triggers with ``create_version_triggers`` instead.

LISTING_SHARDS = 64

# How each watched table names the shop a row belongs to, and whether a write to it can change
# a listing (which rows, in which order) or only the shop's content.
VERSIONED_TABLES: dict[str, tuple[str, bool]] = {
    "shop": ("{row}.id", True),
    "shop_category": ("{row}.shop_id", True),
    "product": ("{row}.shop_id", True),  # a stock-only update: content only (see below)
    "product_image": ("(SELECT shop_id FROM product WHERE id = {row}.product_id)", True),
    "promotion": ("{row}.shop_id", True),
    "promotion_product": ("(SELECT shop_id FROM promotion WHERE id = {row}.promotion_id)", True),
    "shop_rating": ("{row}.shop_id", False),
    "shop_review": ("{row}.shop_id", False),
}
# A sale moves stock and nothing else: it must not empty the cached listings of other shops.
CONTENT_ONLY_COLUMNS = {"product": {"stock"}}


def _bump_shop(shop: str) -> str:
    return (
        "INSERT INTO shop_catalogue_version (shop_id, version)"
        f" SELECT s, 1 FROM (SELECT {shop} AS s) WHERE s IS NOT NULL"
        " ON CONFLICT (shop_id) DO UPDATE SET version = version + 1;"
    )


def _bump_listing(shop: str) -> str:
    return (
        "UPDATE catalogue_listing_version SET version = version + 1"
        f" WHERE shard = ({shop}) % {LISTING_SHARDS};"
    )


def drop_version_triggers(table: str) -> None:
    for suffix in ("ai", "ad", "au", "au_listing"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_version_{suffix}")


def create_version_triggers(table: str) -> None:
    """Every write to ``table`` bumps its shop's version; all but stock moves bump the
    listing shard too. SQLite has one writer at a time: plain immediate triggers."""
    shop, listing = VERSIONED_TABLES[table]
    for event, row in (("INSERT", "new"), ("DELETE", "old")):
        bumps = _bump_shop(shop.format(row=row))
        if listing:
            bumps += " " + _bump_listing(shop.format(row=row))
        op.execute(
            f"CREATE TRIGGER {table}_version_a{event[0].lower()} AFTER {event} ON {table}"
            f" BEGIN {bumps} END"
        )
    op.execute(
        f"CREATE TRIGGER {table}_version_au AFTER UPDATE ON {table}"
        f" BEGIN {_bump_shop(shop.format(row='new'))} {_bump_shop(shop.format(row='old'))} END"
    )
    if not listing:
        return
    content_only = CONTENT_ONLY_COLUMNS.get(table, set())
    columns = [
        name
        for (name,) in op.get_bind().exec_driver_sql(
            f"SELECT name FROM pragma_table_info('{table}')"
        )
        if name not in content_only
    ]
    op.execute(
        f"CREATE TRIGGER {table}_version_au_listing AFTER UPDATE OF {', '.join(columns)}"
        f" ON {table} BEGIN {_bump_listing(shop.format(row='new'))}"
        f" {_bump_listing(shop.format(row='old'))} END"
    )
