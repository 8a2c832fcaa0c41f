"""Shops, the merchants who run them, and their categories."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlmodel import Field, SQLModel

from otesaintjo.models.base import timestamp_field


class Shop(SQLModel, table=True):
    """A shop of the town. Contact, legal and delivery details are set at onboarding."""

    __tablename__ = "shop"
    __table_args__ = (
        Index("ix_shop_active_name", "is_active", "name", "id"),
        Index("ix_shop_name_skeleton", "name_skeleton", unique=True),
        Index("ix_shop_location", "latitude", "longitude"),
    )

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    name: str = Field(max_length=120)
    order_code: str = Field(max_length=8, unique=True)  # prefix of its order numbers: FOU-0001
    # What the name looks like (services/shop_names.py): no two shops may look alike.
    name_skeleton: str | None = Field(default=None, max_length=120)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    manager_first_name: str = Field(max_length=100)
    manager_last_name: str = Field(max_length=100)
    street: str = Field(max_length=200)
    postcode: str = Field(max_length=10, index=True)
    town: str = Field(max_length=100)
    latitude: float | None = Field(default=None)
    longitude: float | None = Field(default=None)
    email: str = Field(max_length=254)
    phone: str = Field(max_length=20)
    siret: str = Field(max_length=14, index=True)
    website: str | None = Field(default=None, max_length=300)
    cover_image_key: str | None = Field(default=None, max_length=200)
    pickup_hours: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, default=dict)
    )
    closures: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, default=list)
    )
    delivery_postcodes: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, default=list)
    )
    delivery_fee_cents: int | None = Field(default=None)
    free_delivery_always: bool = Field(default=False)
    free_delivery_over_cents: int | None = Field(default=None)
    colissimo_fee_cents: int | None = Field(default=None)
    is_active: bool = Field(default=True)
    # Stripe Connect: the shop's connected account; KYC only holds back payouts, never sales.
    stripe_account_id: str | None = Field(default=None, max_length=100, unique=True, index=True)
    payouts_enabled: bool = Field(default=False)
    payout_requirements: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, default=list)
    )
    # The seller's legal identity, printed on its invoices (CGI art. 242 nonies A); optional at
    # creation, needed before an invoice is issued (services/legal_identity.py).
    legal_name: str | None = Field(default=None, max_length=200)
    legal_form: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    registration: str | None = Field(default=None, sa_column=Column(String(10), nullable=True))
    registration_city: str | None = Field(default=None, max_length=100)
    vat_number: str | None = Field(default=None, max_length=13)
    # A company's share capital (Code de commerce R123-237 2°), in cents; None for others.
    share_capital_cents: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True)
    )
    vat_franchise: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    # Kept by services/delivery_slots.py: carts look slots up only where there are some.
    delivery_slot_count: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    created_at: datetime = timestamp_field(default_now=True)
    updated_at: datetime = timestamp_field(default_now=True)


class LegalForm:
    """The seller's legal form (``Shop.legal_form``)."""

    EI = "EI"  # entreprise individuelle, micro-entrepreneurs included
    EURL = "EURL"
    SARL = "SARL"
    SAS = "SAS"
    SASU = "SASU"
    SA = "SA"
    SNC = "SNC"
    SCOP = "SCOP"
    ASSOCIATION = "ASSOCIATION"


class Registration:
    """Where the seller is registered (``Shop.registration``)."""

    RCS = "RCS"  # registre du commerce et des sociétés, at a city's court
    RM = "RM"  # répertoire des métiers (craftspeople)
    NONE = "NONE"  # not registered (some micro-entrepreneurs, associations)


class ShopRole:
    OWNER = "OWNER"
    STAFF = "STAFF"


class ShopMember(SQLModel, table=True):
    """A user who may run a shop: its owner, or a staff member the owner added."""

    __tablename__ = "shop_member"

    shop_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("shop.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )
    user_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("user_account.id", ondelete="CASCADE"),
            primary_key=True,
            nullable=False,
            index=True,
        )
    )
    role: str = Field(default=ShopRole.OWNER, sa_column=Column(String(10), nullable=False))
    created_at: datetime = timestamp_field(default_now=True)


class ShopCategory(SQLModel, table=True):
    """The categories a shop is listed under (``shops(category:)`` filters on it)."""

    __tablename__ = "shop_category"

    shop_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("shop.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )
    category: str = Field(
        sa_column=Column(String(40), primary_key=True, nullable=False, index=True)
    )
