"""a company's share capital on its invoices

``shop.share_capital_cents``: the share capital of a commercial company (EURL, SARL, SAS,
SASU, SA, SNC, SCOP), which its invoices and its legal notice state (Code de commerce
R123-237 2°); null for individual entrepreneurs and associations. Until a company gives it, its
legal identity lacks ``SHARE_CAPITAL`` and its new invoices are held (services/held_invoices.py).

Added in place (no batch copy on SQLite: ``shop`` has triggers).

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("shop", sa.Column("share_capital_cents", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("shop", "share_capital_cents")
