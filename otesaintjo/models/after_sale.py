"""After the sale: reviews, customer service tickets, and the staff audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from otesaintjo.models.base import timestamp_field


def _user_fk(nullable: bool = False, index: bool = False) -> Any:
    return Field(
        default=None if nullable else ...,
        sa_column=Column(
            Integer,
            ForeignKey("user_account.id", ondelete="CASCADE"),
            nullable=nullable,
            index=index,
        ),
    )


class ShopReview(SQLModel, table=True):
    """A verified buyer's review of a shop: one per customer and shop, editable by its author."""

    __tablename__ = "shop_review"
    __table_args__ = (
        UniqueConstraint("shop_id", "user_id", name="uq_shop_review_shop_user"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        Index("ix_shop_review_shop_id_id", "shop_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(
        sa_column=Column(Integer, ForeignKey("shop.id", ondelete="CASCADE"), nullable=False)
    )
    user_id: int = _user_fk()
    rating: int
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    reply: str | None = Field(default=None, sa_column=Column(Text))
    replied_at: datetime | None = timestamp_field(nullable=True)
    hidden_reason: str | None = Field(default=None, max_length=500)
    hidden_at: datetime | None = timestamp_field(nullable=True)
    created_at: datetime = timestamp_field(default_now=True)
    updated_at: datetime = timestamp_field(default_now=True)


class ShopRating(SQLModel, table=True):
    """Count and sum of a shop's visible ratings, moved by one atomic UPDATE per change."""

    __tablename__ = "shop_rating"

    shop_id: int = Field(
        sa_column=Column(Integer, ForeignKey("shop.id", ondelete="CASCADE"), primary_key=True)
    )
    count: int = Field(default=0)
    total: int = Field(default=0)


class PlatformReview(SQLModel, table=True):
    """A customer's review of the marketplace itself: one per customer, editable, shown to
    everyone with the platform's average unless staff hid it (audited)."""

    __tablename__ = "platform_review"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        Index("uq_platform_review_user", "user_id", unique=True),
        Index("ix_platform_review_visible", "hidden_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = _user_fk()
    rating: int
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    hidden_reason: str | None = Field(default=None, max_length=500)
    hidden_at: datetime | None = timestamp_field(nullable=True)
    created_at: datetime = timestamp_field(default_now=True)
    updated_at: datetime = timestamp_field(default_now=True)


class TicketStatus:
    OPEN = "OPEN"
    ANSWERED = "ANSWERED"
    CLOSED = "CLOSED"


class SupportTicket(SQLModel, table=True):
    __tablename__ = "support_ticket"
    __table_args__ = (Index("ix_support_ticket_status_id", "status", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = _user_fk(index=True)
    order_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("shop_order.id", ondelete="SET NULL"), index=True),
    )
    subject: str = Field(max_length=200)
    status: str = Field(default=TicketStatus.OPEN, sa_column=Column(String(10), nullable=False))
    created_at: datetime = timestamp_field(default_now=True)
    closed_at: datetime | None = timestamp_field(nullable=True)


class TicketMessage(SQLModel, table=True):
    __tablename__ = "ticket_message"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("support_ticket.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    author_id: int = _user_fk()
    from_staff: bool = Field(default=False)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = timestamp_field(default_now=True)


class AuditEntry(SQLModel, table=True):
    """Every staff action: who, what, on what, when (never updated, never deleted by the API)."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    staff_user_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("user_account.id", ondelete="SET NULL"), index=True),
    )
    action: str = Field(max_length=50)
    target_type: str = Field(max_length=30)
    target_id: int
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = timestamp_field(default_now=True)
