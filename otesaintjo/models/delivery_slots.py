"""Delivery slots of a merchant who delivers by itself: weekly templates, and one booking
counter per dated occurrence (slot, day)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

from otesaintjo.models.base import timestamp_field


class DeliverySlot(SQLModel, table=True):
    """Every ``weekday``, from ``starts`` to ``ends`` (HH:MM, Réunion time), the shop delivers
    at most ``capacity`` orders; booking closes ``cutoff_hours`` before the start."""

    __tablename__ = "delivery_slot"
    __table_args__ = (
        Index("ix_delivery_slot_shop_id_weekday", "shop_id", "weekday", "starts"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("cutoff_hours >= 0", name="cutoff_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(
        sa_column=Column(Integer, ForeignKey("shop.id", ondelete="CASCADE"), nullable=False)
    )
    weekday: str = Field(sa_column=Column(String(3), nullable=False))  # mon … sun
    starts: str = Field(sa_column=Column(String(5), nullable=False))  # HH:MM
    ends: str = Field(sa_column=Column(String(5), nullable=False))
    capacity: int
    cutoff_hours: int
    created_at: datetime = timestamp_field(default_now=True)
    updated_at: datetime = timestamp_field(default_now=True)


class DeliverySlotBooking(SQLModel, table=True):
    """How many orders hold the occurrence of ``slot_id`` on ``day``: taken by a conditional
    ``UPDATE … WHERE booked < capacity`` at checkout, given back when the order is cancelled.
    One row per occurrence: no global hot row."""

    __tablename__ = "delivery_slot_booking"
    __table_args__ = (CheckConstraint("booked >= 0", name="booked_not_negative"),)

    slot_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("delivery_slot.id", ondelete="CASCADE"), primary_key=True
        )
    )
    day: date = Field(sa_column=Column(Date, primary_key=True))
    booked: int = Field(default=0)
