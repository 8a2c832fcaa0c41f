"""Invoices in the shop's name (billing mandate) and credit notes for refunds.

``number`` counts per shop without gaps: it is taken from ``ShopInvoiceCounter`` under its row
lock in the transaction that issues the document (a rollback gives the number back). The
document's content is frozen in ``snapshot`` at issue time; the PDF is drawn from it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from otesaintjo.models.base import timestamp_field


class InvoiceKind:
    INVOICE = "INVOICE"
    CREDIT_NOTE = "CREDIT_NOTE"


class Invoice(SQLModel, table=True):
    __tablename__ = "invoice"
    __table_args__ = (UniqueConstraint("shop_id", "number", name="uq_invoice_shop_number"),)

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(
        sa_column=Column(Integer, ForeignKey("shop.id", ondelete="RESTRICT"), nullable=False)
    )
    number: int
    kind: str = Field(sa_column=Column(String(12), nullable=False))
    order_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("shop_order.id", ondelete="RESTRICT"), nullable=False, index=True
        )
    )
    refund_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("refund.id", ondelete="RESTRICT"), unique=True),
    )
    issued_at: datetime = timestamp_field(default_now=True)
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ShopInvoiceCounter(SQLModel, table=True):
    __tablename__ = "shop_invoice_counter"

    shop_id: int = Field(
        sa_column=Column(Integer, ForeignKey("shop.id", ondelete="CASCADE"), primary_key=True)
    )
    last_number: int = Field(default=0)


class HeldInvoice(SQLModel, table=True):
    """A document the shop owes but cannot issue yet: its legal identity is incomplete.

    The sale goes on (paid, served, refunded as usual); the invoice or credit note waits here,
    in the order it was due, and is issued (numbered, then emailed to the customer) as soon as
    the identity is complete (``services/legal_identity.py``). Never an invoice without the
    seller's legal mentions (CGI art. 242 nonies A)."""

    __tablename__ = "held_invoice"

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("shop.id", ondelete="RESTRICT"), nullable=False, index=True
        )
    )
    order_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("shop_order.id", ondelete="RESTRICT"), nullable=False, index=True
        )
    )
    kind: str = Field(sa_column=Column(String(12), nullable=False))
    refund_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("refund.id", ondelete="RESTRICT"), unique=True),
    )
    return_id: int | None = Field(default=None)
    held_at: datetime = timestamp_field(default_now=True)
