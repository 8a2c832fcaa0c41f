"""the seller's legal identity on invoices, invoices held until it is complete, exports

``shop`` gets the legal identity an invoice must show (CGI art. 242 nonies A): legal name,
legal form, registration (RCS with its city, RM, or none), VAT number, VAT franchise
(art. 293 B). ``held_invoice`` keeps the documents a shop owes while that identity is
incomplete (issued as soon as it is). ``shop_order.outside_reunion`` marks an order delivered
outside La Réunion: charged and invoiced without Réunion VAT (art. 262 I).

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

from otesaintjo.models.base import UTCDateTime

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE ... ADD COLUMN, no batch: on SQLite a batch copies the table and drops
    # its triggers (the shop's full-text index and its cache versions).
    op.add_column("shop", sa.Column("legal_name", AutoString(length=200), nullable=True))
    op.add_column("shop", sa.Column("legal_form", sa.String(length=20), nullable=True))
    op.add_column("shop", sa.Column("registration", sa.String(length=10), nullable=True))
    op.add_column("shop", sa.Column("registration_city", AutoString(length=100), nullable=True))
    op.add_column("shop", sa.Column("vat_number", AutoString(length=13), nullable=True))
    op.add_column(
        "shop",
        sa.Column("vat_franchise", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "shop_order",
        sa.Column("outside_reunion", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "held_invoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("refund_id", sa.Integer(), nullable=True),
        sa.Column("return_id", sa.Integer(), nullable=True),
        sa.Column("held_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shop.id"], name=op.f("fk_held_invoice_shop_id_shop"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["shop_order.id"],
            name=op.f("fk_held_invoice_order_id_shop_order"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"],
            ["refund.id"],
            name=op.f("fk_held_invoice_refund_id_refund"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_invoice")),
        sa.UniqueConstraint("refund_id", name=op.f("uq_held_invoice_refund_id")),
    )
    op.create_index(op.f("ix_held_invoice_shop_id"), "held_invoice", ["shop_id"])
    op.create_index(op.f("ix_held_invoice_order_id"), "held_invoice", ["order_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_held_invoice_order_id"), table_name="held_invoice")
    op.drop_index(op.f("ix_held_invoice_shop_id"), table_name="held_invoice")
    op.drop_table("held_invoice")
    with op.batch_alter_table("shop_order") as batch:
        batch.drop_column("outside_reunion")
    with op.batch_alter_table("shop") as batch:
        for column in (
            "vat_franchise",
            "vat_number",
            "registration_city",
            "registration",
            "legal_name",
            "legal_form",
        ):
            batch.drop_column(column)
