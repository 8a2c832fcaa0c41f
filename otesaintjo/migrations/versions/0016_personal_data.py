"""personal data: exports, erased accounts, and the indexes of the retention job

``data_export`` records each ``requestMyDataExport`` (its archive lives in the private store
until the link expires). ``user_account.erased_at`` marks an account erased by
``deleteMyAccount``: the row stays, pseudonymised, for the orders kept 10 years. The retention
job (services/retention.py) finds old carts and rotated refresh tokens through two indexes.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

from otesaintjo.models.base import UTCDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_export",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("blob_key", AutoString(length=200), nullable=False),
        sa.Column("requested_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("ready_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_data_export_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_export")),
    )
    with op.batch_alter_table("data_export") as batch:
        batch.create_index("ix_data_export_user_requested", ["user_id", "requested_at"])
        batch.create_index(batch.f("ix_data_export_expires_at"), ["expires_at"])
    op.add_column("user_account", sa.Column("erased_at", UTCDateTime(timezone=True), nullable=True))
    op.create_index("ix_cart_updated_at", "cart", ["updated_at"])
    op.create_index("ix_refresh_token_used_at", "refresh_token", ["used_at"])


def downgrade() -> None:
    op.drop_index("ix_refresh_token_used_at", table_name="refresh_token")
    op.drop_index("ix_cart_updated_at", table_name="cart")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("erased_at")
    op.drop_table("data_export")
