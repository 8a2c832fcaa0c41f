"""catalogue version: a counter every catalogue write bumps, in the writer's transaction

The public response cache (``response_cache.py``) serves a cached page only while this
counter is unchanged. Triggers, not application code, bump it: no write path can forget.

On PostgreSQL the triggers are deferred to commit: every writer then takes the lock on the
counter row last, after its row locks. Bumping it at each statement would deadlock two
checkouts that decrement the stock of different products in the same order (A holds the
counter and waits for B's product; B waits for the counter).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from otesaintjo.migrations.sqlite_triggers import BUMP, create_bump_triggers

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WATCHED = ("shop", "shop_category", "product", "product_image", "promotion", "promotion_product")


def upgrade() -> None:
    op.create_table(
        "catalogue_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_state")),
    )
    op.execute("INSERT INTO catalogue_state (id, version) VALUES (1, 1)")
    if op.get_bind().dialect.name == "sqlite":
        for table in WATCHED:
            create_bump_triggers(table)
        return
    op.execute(
        "CREATE FUNCTION bump_catalogue_version() RETURNS trigger LANGUAGE plpgsql AS"
        f" $$ BEGIN {BUMP}; RETURN NULL; END $$"
    )
    for table in WATCHED:
        op.execute(
            f"CREATE CONSTRAINT TRIGGER {table}_bump AFTER INSERT OR UPDATE OR DELETE ON {table}"
            " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_catalogue_version()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_bump_truncate AFTER TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_version()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in WATCHED:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_{event}")
    else:
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_bump ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS bump_catalogue_version()")
    op.drop_table("catalogue_state")
