"""Products, their photos and the shops' promotions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from otesaintjo.models.base import UTCDateTime, timestamp_field

DEFAULT_STOCK = 100


class WithdrawalExclusion:
    """Why a product is excluded from the withdrawal right (Code de la consommation L221-28).

    A product whose ``withdrawal_exclusion`` is null is returnable within the withdrawal period.
    The rules (category defaults, which exclusions refuse a return) live in
    ``services/withdrawal_exclusions.py``; the French words in ``labels.py``.
    """

    CUSTOM_MADE = "CUSTOM_MADE"  # 3°: made to the customer's specification, personalised
    PERISHABLE = "PERISHABLE"  # 4°: deteriorates or expires rapidly
    SEALED_HYGIENE = "SEALED_HYGIENE"  # 5°: sealed, not returnable once unsealed (hygiene)
    SEALED_RECORDING = "SEALED_RECORDING"  # 8°: sealed audio, video or software, unsealed
    PRESS = "PRESS"  # 9°: newspapers, periodicals, magazines (not subscriptions)
    ALL = (CUSTOM_MADE, PERISHABLE, SEALED_HYGIENE, SEALED_RECORDING, PRESS)


class Product(SQLModel, table=True):
    """A product of a shop. Price is tax included, in cents; VAT in basis points (850 = 8.5 %)."""

    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("vat_bp IN (850, 210, 105)", name="vat_rate_of_reunion"),
        Index("ix_product_online_created", "is_online", "created_at", "id"),
        Index("ix_product_online_price", "is_online", "price_cents", "id"),
        Index("ix_product_shop_online", "shop_id", "is_online", "created_at", "id"),
        Index("ix_product_shop_stock", "shop_id", "stock", "id"),
        Index("ix_product_category", "category", "is_online"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(
        sa_column=Column(Integer, ForeignKey("shop.id", ondelete="CASCADE"), nullable=False)
    )
    name: str = Field(max_length=120)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    price_cents: int
    vat_bp: int = Field(default=850)
    category: str = Field(default="divers", max_length=40)
    deliverable: bool = Field(default=True)
    stock: int = Field(default=DEFAULT_STOCK)
    is_online: bool = Field(default=True)
    # The merchant's stock alert (services/stock_alerts.py): an email when the stock falls to
    # this or below (null: no alert); with offline_at_zero, offline as the last unit is sold.
    low_stock_threshold: int | None = Field(default=None)
    offline_at_zero: bool = Field(default=False)
    # Taken offline by offline_at_zero (not by hand): back online when stock comes back.
    offline_since_empty: bool = Field(default=False)
    # null: returnable; else a WithdrawalExclusion (L221-28), shown before buying
    withdrawal_exclusion: str | None = Field(
        default=None, sa_column=Column(String(20), nullable=True)
    )
    created_at: datetime = timestamp_field(default_now=True)
    updated_at: datetime = timestamp_field(default_now=True)


class ProductPrice(SQLModel, table=True):
    """One regular price of a product and the instant it started to apply: a row per change
    (the last row is the current price). The history the reference price of a reduction is
    read from (Code de la consommation L112-1-1; ``services/reference_prices.py``)."""

    __tablename__ = "product_price"

    product_id: int = Field(
        sa_column=Column(Integer, ForeignKey("product.id", ondelete="CASCADE"), primary_key=True)
    )
    since: datetime = Field(sa_type=UTCDateTime(), primary_key=True)
    price_cents: int


class ProductImage(SQLModel, table=True):
    """A normalised 400×400 JPEG of a product, stored in the blob store under ``key``."""

    __tablename__ = "product_image"
    __table_args__ = (Index("ix_product_image_product_position", "product_id", "position", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(
        sa_column=Column(Integer, ForeignKey("product.id", ondelete="CASCADE"), nullable=False)
    )
    key: str = Field(max_length=200)
    position: int = Field(default=0)
    created_at: datetime = timestamp_field(default_now=True)


class PromotionKind:
    PERCENT = "PERCENT"
    AMOUNT = "AMOUNT"


class Promotion(SQLModel, table=True):
    """A price cut on all of a shop's products or a list, until ``ends_at`` (read-time rule)."""

    __tablename__ = "promotion"
    __table_args__ = (
        CheckConstraint("value > 0", name="value_positive"),
        Index("ix_promotion_shop_ends", "shop_id", "ends_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(
        sa_column=Column(Integer, ForeignKey("shop.id", ondelete="CASCADE"), nullable=False)
    )
    name: str = Field(max_length=120)
    kind: str = Field(sa_column=Column(String(10), nullable=False))
    value: int = Field(description="basis points for PERCENT, cents for AMOUNT")
    all_products: bool = Field(default=True)
    starts_at: datetime = timestamp_field(default_now=True)
    ends_at: datetime = timestamp_field()
    ended_at: datetime | None = timestamp_field(nullable=True)
    created_at: datetime = timestamp_field(default_now=True)


class PromotionProduct(SQLModel, table=True):
    __tablename__ = "promotion_product"

    promotion_id: int = Field(
        sa_column=Column(Integer, ForeignKey("promotion.id", ondelete="CASCADE"), primary_key=True)
    )
    product_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("product.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )


LISTING_SHARDS = 64
"""How many rows the listing version is spread over (a shop writes to ``shop_id % 64``)."""


class ShopCatalogueVersion(SQLModel, table=True):
    """Bumped by database triggers at the commit of any write to a shop's public catalogue:
    the shop, its categories, products (stock included), photos, promotions, reviews and
    rating (migration 0012). A cached answer that showed this shop is stale once it moved."""

    __tablename__ = "shop_catalogue_version"

    shop_id: int = Field(primary_key=True)  # no foreign key: the row outlives nothing
    version: int = Field(sa_type=BigInteger)


class CatalogueListingVersion(SQLModel, table=True):
    """Bumped by any catalogue write that can change which rows a listing holds, or their
    order: everything but a stock move (a sale). Spread over ``LISTING_SHARDS`` rows so that
    writers at different shops rarely share a row; the listing version is their sum."""

    __tablename__ = "catalogue_listing_version"

    shard: int = Field(primary_key=True)
    version: int = Field(sa_type=BigInteger)
