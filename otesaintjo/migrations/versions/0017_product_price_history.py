"""product price history: the reference price of a reduction (Omnibus, L112-1-1)

``product_price`` keeps one row per regular price of a product and the instant it started to
apply; during a promotion the crossed-out reference is the lowest price charged in the 30 days
before the reduction began (``services/reference_prices.py``). The primary key
(product_id, since) is the index every read of the history uses.

The app kept no history before this revision: each existing product gets one row, its current
price since its creation. That is what the crossed-out price showed until now (the current
regular price), so running promotions keep their reference; every change from here on is
recorded as it happens.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from otesaintjo.models.base import UTCDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "product_price",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("since", UTCDateTime(timezone=True), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_product_price_product_id_product"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", "since", name=op.f("pk_product_price")),
    )
    op.execute(
        "INSERT INTO product_price (product_id, since, price_cents)"
        " SELECT id, created_at, price_cents FROM product"
    )


def downgrade() -> None:
    op.drop_table("product_price")
