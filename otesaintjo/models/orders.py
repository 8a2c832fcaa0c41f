"""Purchases (one payment), their orders (one per shop), and the money ledger around them.

The unique constraints here are the real guard against doubles: one purchase per
(customer, idempotency key), one PaymentIntent per purchase, one transfer per order, one
processing per Stripe event, one refund per refund key. localstripe ignores idempotency keys,
so nothing may rely on Stripe alone.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlmodel import Field, SQLModel

from otesaintjo.models.base import timestamp_field


class PurchaseStatus:
    PENDING_PAYMENT = "PENDING_PAYMENT"
    PAID = "PAID"
    CANCELLED = "CANCELLED"


class OrderStatus:
    PENDING_PAYMENT = "PENDING_PAYMENT"
    PAID = "PAID"
    READY_FOR_PICKUP = "READY_FOR_PICKUP"
    COLLECTED = "COLLECTED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


class Purchase(SQLModel, table=True):
    """What one checkout bought, from one or several shops, paid by one PaymentIntent."""

    __tablename__ = "purchase"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key", name="uq_purchase_user_key"),
        Index("ix_purchase_user_id_id", "user_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False)
    )
    idempotency_key: str = Field(max_length=100)
    cart_fingerprint: str = Field(max_length=64)
    status: str = Field(
        default=PurchaseStatus.PENDING_PAYMENT, sa_column=Column(String(20), nullable=False)
    )
    total_cents: int
    currency: str = Field(default="eur", max_length=3)
    contact_phone: str = Field(max_length=20)
    delivery_address: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    payment_intent_id: str | None = Field(default=None, max_length=100, unique=True)
    client_secret: str | None = Field(default=None, max_length=300)
    charge_id: str | None = Field(default=None, max_length=100)
    payment_error: str | None = Field(default=None, max_length=300)
    expires_at: datetime = timestamp_field(index=True)
    paid_at: datetime | None = timestamp_field(nullable=True)
    cancelled_at: datetime | None = timestamp_field(nullable=True)
    created_at: datetime = timestamp_field(default_now=True)
    # Who is creating its PaymentIntent holds it until then (services/checkout.py): same-key
    # callers wait instead of asking Stripe for another; a claim left by a dead call lapses.
    payment_claimed_until: datetime | None = timestamp_field(nullable=True)


class Order(SQLModel, table=True):
    """One shop's part of a purchase, with its own fulfilment and status."""

    __tablename__ = "shop_order"
    __table_args__ = (
        Index("ix_shop_order_shop_id_id", "shop_id", "id"),
        Index("ix_shop_order_user_id_id", "user_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20, unique=True)  # FOU-0007: the shop's code and count
    purchase_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("purchase.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    shop_id: int = Field(
        sa_column=Column(Integer, ForeignKey("shop.id", ondelete="RESTRICT"), nullable=False)
    )
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False)
    )
    status: str = Field(
        default=OrderStatus.PENDING_PAYMENT, sa_column=Column(String(20), nullable=False)
    )
    mode: str = Field(sa_column=Column(String(10), nullable=False))
    carrier: str | None = Field(default=None, max_length=20)
    subtotal_cents: int
    delivery_fee_cents: int
    total_cents: int
    vat_cents: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Delivered outside La Réunion: charged and invoiced without Réunion VAT (CGI art. 262 I).
    outside_reunion: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    ready_by: datetime | None = timestamp_field(nullable=True)
    pickup_code: str | None = Field(default=None, max_length=12)
    # Merchant delivery in a slot: the occurrence booked (its counter key) and its hours as
    # they were when booked; a carrier's estimated day instead (services/delivery_slots.py).
    delivery_slot_id: int | None = Field(default=None)
    delivery_slot_date: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    delivery_starts_at: datetime | None = timestamp_field(nullable=True)
    delivery_ends_at: datetime | None = timestamp_field(nullable=True)
    estimated_delivery_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    tracking_carrier: str | None = Field(default=None, max_length=50)
    tracking_number: str | None = Field(default=None, max_length=100)
    problem: str | None = Field(default=None, max_length=1000)
    paid_at: datetime | None = timestamp_field(nullable=True)
    received_at: datetime | None = timestamp_field(nullable=True)  # delivered or collected
    cancelled_at: datetime | None = timestamp_field(nullable=True)
    created_at: datetime = timestamp_field(default_now=True)
    updated_at: datetime = timestamp_field(default_now=True)


class OrderLine(SQLModel, table=True):
    """A product as it was sold: name, unit price, VAT and withdrawal exclusion (what the
    customer was told before buying, L221-28) copied at checkout."""

    __tablename__ = "order_line"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("shop_order.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    product_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("product.id", ondelete="SET NULL"), index=True),
    )
    product_name: str = Field(max_length=200)
    unit_cents: int
    quantity: int
    vat_bp: int
    total_cents: int
    withdrawal_exclusion: str | None = Field(
        default=None, sa_column=Column(String(20), nullable=True)
    )


class TransferStatus:
    PENDING = "PENDING"  # waiting for the payment, or for the shop's payouts to be enabled
    SENT = "SENT"
    CANCELLED = "CANCELLED"


class ShopTransfer(SQLModel, table=True):
    """The shop's share of a paid order, sent to its connected account (one per order)."""

    __tablename__ = "shop_transfer"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("shop_order.id", ondelete="CASCADE"), nullable=False, unique=True
        )
    )
    shop_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("shop.id", ondelete="RESTRICT"), nullable=False, index=True
        )
    )
    amount_cents: int
    commission_cents: int
    status: str = Field(
        default=TransferStatus.PENDING, sa_column=Column(String(10), nullable=False)
    )
    stripe_transfer_id: str | None = Field(default=None, max_length=100)
    reversed_cents: int = Field(default=0)
    created_at: datetime = timestamp_field(default_now=True)
    sent_at: datetime | None = timestamp_field(nullable=True)


class Refund(SQLModel, table=True):
    """Money given back to the customer; ``key`` names why, so a refund happens once."""

    __tablename__ = "refund"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=100, unique=True)
    order_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("shop_order.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    amount_cents: int
    stripe_refund_id: str | None = Field(default=None, max_length=100)
    created_at: datetime = timestamp_field(default_now=True)
    done_at: datetime | None = timestamp_field(nullable=True)


class StripeEvent(SQLModel, table=True):
    """Each Stripe event id is processed once: the primary key refuses the second delivery."""

    __tablename__ = "stripe_event"

    id: str = Field(primary_key=True, max_length=100)
    type: str = Field(max_length=100)
    received_at: datetime = timestamp_field(default_now=True)


class OrderEventKind:
    PLACED = "PLACED"  # the order became PAID: the shop has a new order
    UPDATED = "UPDATED"  # any later status change


class OrderEvent(SQLModel, table=True):
    """Every status change of an order, written in the transaction that makes it.

    ``sequence`` counts per shop and is taken from ``ShopEventCounter`` under its row lock, so
    a shop's events commit in sequence order: a client catching up ``after`` k misses none.
    """

    __tablename__ = "order_event"
    __table_args__ = (UniqueConstraint("shop_id", "sequence", name="uq_order_event_shop_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(
        sa_column=Column(Integer, ForeignKey("shop.id", ondelete="CASCADE"), nullable=False)
    )
    sequence: int
    order_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("shop_order.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    kind: str = Field(sa_column=Column(String(10), nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    created_at: datetime = timestamp_field(default_now=True)


class ShopEventCounter(SQLModel, table=True):
    """The last event sequence of a shop (its row lock orders the shop's events)."""

    __tablename__ = "shop_event_counter"

    shop_id: int = Field(
        sa_column=Column(Integer, ForeignKey("shop.id", ondelete="CASCADE"), primary_key=True)
    )
    last_sequence: int = Field(default=0)


class ShopOrderCounter(SQLModel, table=True):
    """The last order number of a shop (its row lock keeps the numbers gap-free)."""

    __tablename__ = "shop_order_counter"

    shop_id: int = Field(
        sa_column=Column(Integer, ForeignKey("shop.id", ondelete="CASCADE"), primary_key=True)
    )
    last_number: int = Field(default=0)


class ReturnStatus:
    REQUESTED = "REQUESTED"
    RECEIVED = "RECEIVED"  # came back in good condition: the refund is on its way
    REFUNDED = "REFUNDED"
    REFUSED = "REFUSED"  # came back damaged: no refund


class OrderReturn(SQLModel, table=True):
    """A withdrawal (within 14 days of receipt): some or all lines of an order sent back."""

    __tablename__ = "order_return"
    __table_args__ = (Index("ix_order_return_shop_id_id", "shop_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("shop_order.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    shop_id: int = Field(
        sa_column=Column(Integer, ForeignKey("shop.id", ondelete="RESTRICT"), nullable=False)
    )
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False)
    )
    status: str = Field(
        default=ReturnStatus.REQUESTED, sa_column=Column(String(10), nullable=False)
    )
    reason: str | None = Field(default=None, max_length=1000)
    condition: str | None = Field(default=None, max_length=10)
    merchant_note: str | None = Field(default=None, max_length=1000)
    lines_cents: int = Field(default=0)
    delivery_fee_cents: int = Field(default=0)  # refunded with the return that completes the order
    refund_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("refund.id", ondelete="SET NULL"))
    )
    created_at: datetime = timestamp_field(default_now=True)
    received_at: datetime | None = timestamp_field(nullable=True)
    refunded_at: datetime | None = timestamp_field(nullable=True)

    @property
    def refund_cents(self) -> int:
        return self.lines_cents + self.delivery_fee_cents


class ReturnLine(SQLModel, table=True):
    __tablename__ = "return_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    return_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("order_return.id", ondelete="CASCADE"), primary_key=True
        )
    )
    order_line_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("order_line.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    quantity: int
