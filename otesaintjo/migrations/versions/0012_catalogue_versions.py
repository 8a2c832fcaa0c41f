"""catalogue versions per shop and per listing shard, instead of one global row

0004 kept one ``catalogue_state`` row that every catalogue write bumped, stock decrements
included: each sale emptied every cached page, and every writer on the platform took that
row's lock at commit. Now:

- ``shop_catalogue_version``: one row per shop, bumped by any write to that shop's public
  catalogue (a sale too);
- ``catalogue_listing_version``: 64 shard rows, bumped (shard ``shop_id % 64``) by any write
  that can change a listing — everything but a stock move.

On PostgreSQL, immediate row triggers only note the shops a transaction touched (in a
transaction-local setting); a deferred trigger, at commit, bumps their rows once each, in
shop order then shard order. Every transaction takes these locks last and in the same order:
two multi-shop checkouts cannot deadlock on them, and checkouts at different shops share no
row. SQLite has one writer at a time: plain immediate triggers
(``sqlite_triggers.create_version_triggers``).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 22:00:00
"""

# Table names below are our own constants, never input: S608 does not apply.
# ruff: noqa: S608
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from otesaintjo.migrations.sqlite_triggers import (
    CONTENT_ONLY_COLUMNS,
    LISTING_SHARDS,
    VERSIONED_TABLES,
    create_bump_triggers,
    create_version_triggers,
    drop_version_triggers,
)

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_WATCHED = (
    "shop",
    "shop_category",
    "product",
    "product_image",
    "promotion",
    "promotion_product",
)

NOTE_SHOP = """
CREATE FUNCTION catalogue_note(shop bigint, listing boolean) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  name text;
  noted text;
BEGIN
  IF shop IS NULL THEN RETURN; END IF;
  FOREACH name IN ARRAY CASE WHEN listing
      THEN ARRAY['otesaintjo.catalogue_shops', 'otesaintjo.catalogue_listings']
      ELSE ARRAY['otesaintjo.catalogue_shops'] END LOOP
    noted := coalesce(current_setting(name, true), '');
    IF position(',' || shop || ',' IN noted) = 0 THEN
      PERFORM set_config(name, CASE WHEN noted = '' THEN ',' ELSE noted END || shop || ',', true);
    END IF;
  END LOOP;
END $$
"""

FLUSH = f"""
CREATE FUNCTION catalogue_flush() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  shops text := coalesce(current_setting('otesaintjo.catalogue_shops', true), '');
  listings text := coalesce(current_setting('otesaintjo.catalogue_listings', true), '');
  item bigint;
BEGIN
  IF shops = '' AND listings = '' THEN RETURN NULL; END IF;
  PERFORM set_config('otesaintjo.catalogue_shops', '', true);
  PERFORM set_config('otesaintjo.catalogue_listings', '', true);
  FOR item IN SELECT DISTINCT s::bigint FROM unnest(string_to_array(shops, ',')) AS s
      WHERE s <> '' ORDER BY 1 LOOP
    INSERT INTO shop_catalogue_version AS v (shop_id, version) VALUES (item, 1)
      ON CONFLICT (shop_id) DO UPDATE SET version = v.version + 1;
  END LOOP;
  FOR item IN SELECT DISTINCT s::bigint % {LISTING_SHARDS}
      FROM unnest(string_to_array(listings, ',')) AS s WHERE s <> '' ORDER BY 1 LOOP
    UPDATE catalogue_listing_version SET version = version + 1 WHERE shard = item;
  END LOOP;
  RETURN NULL;
END $$
"""

EVERYTHING = f"""
CREATE FUNCTION catalogue_everything_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE catalogue_listing_version SET version = version + 1
    WHERE shard BETWEEN 0 AND {LISTING_SHARDS - 1};
  RETURN NULL;
END $$
"""


def _postgres_note_function(table: str) -> str:
    shop, listing = VERSIONED_TABLES[table]
    listing_on_update = "true" if listing else "false"
    ignored = CONTENT_ONLY_COLUMNS.get(table)
    if listing and ignored:
        minus = " - ".join(f"'{c}'" for c in sorted(ignored))
        listing_on_update = f"(to_jsonb(NEW) - {minus}) IS DISTINCT FROM (to_jsonb(OLD) - {minus})"
    return f"""
CREATE FUNCTION {table}_catalogue_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM catalogue_note({shop.format(row="OLD")}, {str(listing).lower()});
  ELSIF TG_OP = 'INSERT' THEN
    PERFORM catalogue_note({shop.format(row="NEW")}, {str(listing).lower()});
  ELSE
    PERFORM catalogue_note({shop.format(row="NEW")}, {listing_on_update});
    PERFORM catalogue_note({shop.format(row="OLD")}, {listing_on_update});
  END IF;
  RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "shop_catalogue_version",
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("shop_id", name=op.f("pk_shop_catalogue_version")),
    )
    op.create_table(
        "catalogue_listing_version",
        sa.Column("shard", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("shard", name=op.f("pk_catalogue_listing_version")),
    )
    op.execute(
        "INSERT INTO catalogue_listing_version (shard, version) VALUES "
        + ", ".join(f"({shard}, 1)" for shard in range(LISTING_SHARDS))
    )
    op.execute("INSERT INTO shop_catalogue_version (shop_id, version) SELECT id, 1 FROM shop")
    if op.get_bind().dialect.name == "sqlite":
        for table in OLD_WATCHED:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_{event}")
        for table in VERSIONED_TABLES:
            create_version_triggers(table)
    else:
        for table in OLD_WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_bump ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS bump_catalogue_version()")
        op.execute(NOTE_SHOP)
        op.execute(FLUSH)
        op.execute(EVERYTHING)
        for table in VERSIONED_TABLES:
            op.execute(_postgres_note_function(table))
            op.execute(
                f"CREATE TRIGGER {table}_catalogue_note AFTER INSERT OR UPDATE OR DELETE"
                f" ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_catalogue_note()"
            )
            op.execute(
                f"CREATE CONSTRAINT TRIGGER {table}_catalogue_flush"
                f" AFTER INSERT OR UPDATE OR DELETE ON {table}"
                " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION catalogue_flush()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_catalogue_truncate AFTER TRUNCATE ON {table}"
                " FOR EACH STATEMENT EXECUTE FUNCTION catalogue_everything_changed()"
            )
    op.drop_table("catalogue_state")


def downgrade() -> None:
    op.create_table(
        "catalogue_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_state")),
    )
    op.execute("INSERT INTO catalogue_state (id, version) VALUES (1, 1)")
    if op.get_bind().dialect.name == "sqlite":
        for table in VERSIONED_TABLES:
            drop_version_triggers(table)
        for table in OLD_WATCHED:
            create_bump_triggers(table)
    else:
        for table in VERSIONED_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_catalogue_note ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_catalogue_flush ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_catalogue_truncate ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_catalogue_note()")
        for function in ("catalogue_flush()", "catalogue_everything_changed()"):
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
        op.execute("DROP FUNCTION IF EXISTS catalogue_note(bigint, boolean)")
        op.execute(
            "CREATE FUNCTION bump_catalogue_version() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN UPDATE catalogue_state SET version = version + 1 WHERE id = 1;"
            " RETURN NULL; END $$"
        )
        for table in OLD_WATCHED:
            op.execute(
                f"CREATE CONSTRAINT TRIGGER {table}_bump AFTER INSERT OR UPDATE OR DELETE"
                f" ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
                " EXECUTE FUNCTION bump_catalogue_version()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_bump_truncate AFTER TRUNCATE ON {table}"
                " FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_version()"
            )
    op.drop_table("catalogue_listing_version")
    op.drop_table("shop_catalogue_version")
