"""delivery slots: a merchant's weekly slots, one booking counter per occurrence, the slot
chosen in the cart and the slot (or a carrier's estimated day) kept on the order

``delivery_slot``: the templates (weekday, HH:MM–HH:MM in Réunion time, capacity, cut-off in
hours), listed per shop. ``delivery_slot_booking``: (slot, day) → orders booked, taken by a
conditional update at checkout and given back on cancellation. ``cart_fulfilment`` remembers
the occurrence chosen; ``shop_order`` keeps it (with its hours as booked) or the carrier's
estimated delivery day. Plain columns on the existing tables (no foreign key): SQLite adds
them in place, and a slot deleted later leaves its orders their hours.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from otesaintjo.models.base import UTCDateTime

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "delivery_slot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.String(length=3), nullable=False),
        sa.Column("starts", sa.String(length=5), nullable=False),
        sa.Column("ends", sa.String(length=5), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("cutoff_hours", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_delivery_slot_capacity_positive")),
        sa.CheckConstraint(
            "cutoff_hours >= 0", name=op.f("ck_delivery_slot_cutoff_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shop.id"],
            name=op.f("fk_delivery_slot_shop_id_shop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_slot")),
    )
    op.create_index(
        "ix_delivery_slot_shop_id_weekday",
        "delivery_slot",
        ["shop_id", "weekday", "starts"],
        unique=False,
    )
    op.create_table(
        "delivery_slot_booking",
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "booked >= 0", name=op.f("ck_delivery_slot_booking_booked_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"],
            ["delivery_slot.id"],
            name=op.f("fk_delivery_slot_booking_slot_id_delivery_slot"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("slot_id", "day", name=op.f("pk_delivery_slot_booking")),
    )
    # add_column needs no batch on SQLite: the tables' triggers stay.
    op.add_column("cart_fulfilment", sa.Column("delivery_slot_id", sa.Integer(), nullable=True))
    op.add_column("cart_fulfilment", sa.Column("delivery_slot_date", sa.Date(), nullable=True))
    op.add_column("shop_order", sa.Column("delivery_slot_id", sa.Integer(), nullable=True))
    op.add_column("shop_order", sa.Column("delivery_slot_date", sa.Date(), nullable=True))
    op.add_column(
        "shop_order", sa.Column("delivery_starts_at", UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "shop_order", sa.Column("delivery_ends_at", UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column("shop_order", sa.Column("estimated_delivery_on", sa.Date(), nullable=True))
    # How many slots the shop publishes: a cart (and checkout) looks slots up only for shops
    # that have some, so a checkout without slots costs no extra round trip.
    op.add_column(
        "shop",
        sa.Column("delivery_slot_count", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_column("shop", "delivery_slot_count")
    for column in (
        "estimated_delivery_on",
        "delivery_ends_at",
        "delivery_starts_at",
        "delivery_slot_date",
        "delivery_slot_id",
    ):
        op.drop_column("shop_order", column)
    op.drop_column("cart_fulfilment", "delivery_slot_date")
    op.drop_column("cart_fulfilment", "delivery_slot_id")
    op.drop_table("delivery_slot_booking")
    op.drop_index("ix_delivery_slot_shop_id_weekday", table_name="delivery_slot")
    op.drop_table("delivery_slot")
