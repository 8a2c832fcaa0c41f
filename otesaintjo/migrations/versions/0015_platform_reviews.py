"""platform reviews: one per customer (editable), moderated by staff

A customer could leave several reviews of the marketplace; only the latest of each is kept.
The unique index replaces the plain one on ``user_id``; ``hidden_at``/``hidden_reason`` are
the staff's moderation, ``updated_at`` the last edit.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

from otesaintjo.models.base import UTCDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "DELETE FROM platform_review WHERE id NOT IN"
        " (SELECT max(id) FROM platform_review GROUP BY user_id)"
    )
    op.add_column(
        "platform_review", sa.Column("hidden_reason", AutoString(length=500), nullable=True)
    )
    op.add_column(
        "platform_review", sa.Column("hidden_at", UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "platform_review", sa.Column("updated_at", UTCDateTime(timezone=True), nullable=True)
    )
    op.execute("UPDATE platform_review SET updated_at = created_at")
    with op.batch_alter_table("platform_review") as batch:
        batch.alter_column("updated_at", existing_type=UTCDateTime(timezone=True), nullable=False)
        batch.drop_index("ix_platform_review_user_id")
        batch.create_index("uq_platform_review_user", ["user_id"], unique=True)
        batch.create_index("ix_platform_review_visible", ["hidden_at", "id"])


def downgrade() -> None:
    with op.batch_alter_table("platform_review") as batch:
        batch.drop_index("ix_platform_review_visible")
        batch.drop_index("uq_platform_review_user")
        batch.create_index("ix_platform_review_user_id", ["user_id"], unique=False)
        batch.drop_column("updated_at")
        batch.drop_column("hidden_at")
        batch.drop_column("hidden_reason")
