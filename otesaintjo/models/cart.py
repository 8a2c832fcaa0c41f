"""Carts: one per signed-in customer, or per anonymous cart token; lines; per-shop fulfilment."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

from otesaintjo.models.base import timestamp_field


class Cart(SQLModel, table=True):
    __tablename__ = "cart"
    # The retention job deletes carts left untouched (services/retention.py).
    __table_args__ = (Index("ix_cart_updated_at", "updated_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("user_account.id", ondelete="CASCADE"), unique=True, nullable=True
        ),
    )
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    delivery_postcode: str | None = Field(default=None, max_length=10)
    created_at: datetime = timestamp_field(default_now=True)
    updated_at: datetime = timestamp_field(default_now=True)


class CartItem(SQLModel, table=True):
    __tablename__ = "cart_item"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    cart_id: int = Field(
        sa_column=Column(Integer, ForeignKey("cart.id", ondelete="CASCADE"), primary_key=True)
    )
    product_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("product.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    quantity: int
    added_at: datetime = timestamp_field(default_now=True)


class FulfilmentMode:
    PICKUP = "PICKUP"
    DELIVERY = "DELIVERY"


class CartFulfilment(SQLModel, table=True):
    """How the customer receives the goods of one shop of the cart."""

    __tablename__ = "cart_fulfilment"

    cart_id: int = Field(
        sa_column=Column(Integer, ForeignKey("cart.id", ondelete="CASCADE"), primary_key=True)
    )
    shop_id: int = Field(
        sa_column=Column(Integer, ForeignKey("shop.id", ondelete="CASCADE"), primary_key=True)
    )
    mode: str = Field(sa_column=Column(String(10), nullable=False))
    carrier: str | None = Field(default=None, max_length=20)
    # The merchant's delivery slot chosen (DeliverySlot.id and the day of its occurrence).
    delivery_slot_id: int | None = Field(default=None)
    delivery_slot_date: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
