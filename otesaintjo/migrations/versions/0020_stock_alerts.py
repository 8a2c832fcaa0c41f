"""stock alerts: a low-stock threshold and an "offline at 0" switch per product; the
payment claim of a purchase

``product.low_stock_threshold``: null (no alert) or the stock at or below which the shop gets
one email (services/stock_alerts.py); ``product.offline_at_zero``: the product goes offline in
the transaction of the sale that sells its last unit; ``product.offline_since_empty``: it went
offline that way (not by hand), and comes back online when stock comes back.

None of them changes what a listing shows: on SQLite the columns are added in place, and
``product_version_au_listing`` (which names the columns of migration 0014) does not name them;
it is re-created without them before they go (SQLite refuses to drop a column a trigger names).

``purchase.payment_claimed_until``: the call creating the purchase's PaymentIntent holds it
until then (services/checkout.py); it is only read by the purchase's id: no index.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from otesaintjo.migrations.sqlite_triggers import create_version_triggers, drop_version_triggers
from otesaintjo.models.base import UTCDateTime

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("low_stock_threshold", "offline_at_zero", "offline_since_empty")


def upgrade() -> None:
    op.add_column(
        "purchase",
        sa.Column("payment_claimed_until", UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column("product", sa.Column("low_stock_threshold", sa.Integer(), nullable=True))
    for name in COLUMNS[1:]:
        op.add_column(
            "product",
            sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false()),
        )
    if op.get_bind().dialect.name == "sqlite":  # the listing trigger names every column
        drop_version_triggers("product")
        create_version_triggers("product")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # a later migration may have re-created the trigger with these columns
        drop_version_triggers("product")
    for name in reversed(COLUMNS):
        op.drop_column("product", name)
    if sqlite:
        create_version_triggers("product")
    op.drop_column("purchase", "payment_claimed_until")
