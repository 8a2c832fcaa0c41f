"""Accounts: users, their sign-in sessions, reset links, newsletter, login throttling."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

from otesaintjo.models.base import timestamp_field


class User(SQLModel, table=True):
    """A person with an account. Merchants are users who also run a shop."""

    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    first_name: str = Field(max_length=100)
    last_name: str = Field(max_length=100)
    phone: str | None = Field(default=None, max_length=20)
    is_staff: bool = Field(default=False)
    created_at: datetime = timestamp_field(default_now=True)
    updated_at: datetime = timestamp_field(default_now=True)
    # Set by ``deleteMyAccount`` (services/personal_data.py): the row stays, pseudonymised,
    # because the orders kept for 10 years (Code de commerce L123-22) point at it.
    erased_at: datetime | None = timestamp_field(nullable=True)


class AuthSession(SQLModel, table=True):
    """One sign-in on one device: the family of its rotating refresh tokens."""

    __tablename__ = "auth_session"
    __table_args__ = (Index("ix_auth_session_user_created", "user_id", "created_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False)
    )
    created_at: datetime = timestamp_field(default_now=True)
    last_used_at: datetime = timestamp_field(default_now=True)
    expires_at: datetime = timestamp_field()
    revoked_at: datetime | None = timestamp_field(nullable=True)
    revoked_reason: str | None = Field(default=None, max_length=40)
    user_agent: str | None = Field(default=None, max_length=200)
    ip_address: str | None = Field(default=None, max_length=45)


class RefreshToken(SQLModel, table=True):
    """A refresh token, stored as its SHA-256 only. ``used_at`` set = rotated (reuse is theft)."""

    __tablename__ = "refresh_token"
    # The retention job deletes rotated tokens 30 days after use (services/retention.py).
    __table_args__ = (Index("ix_refresh_token_used_at", "used_at"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("auth_session.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = timestamp_field(default_now=True)
    used_at: datetime | None = timestamp_field(nullable=True)


class PasswordResetToken(SQLModel, table=True):
    """A single-use password reset link, stored as its SHA-256."""

    __tablename__ = "password_reset_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = timestamp_field(default_now=True)
    expires_at: datetime = timestamp_field()
    used_at: datetime | None = timestamp_field(nullable=True)


class NewsletterStatus(StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    UNSUBSCRIBED = "UNSUBSCRIBED"


class NewsletterSubscription(SQLModel, table=True):
    """An address on the newsletter list; only ``CONFIRMED`` ones ever receive it."""

    __tablename__ = "newsletter_subscription"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    status: NewsletterStatus = Field(
        default=NewsletterStatus.PENDING, sa_column=Column(String(20), nullable=False, index=True)
    )
    confirm_token_hash: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime = timestamp_field(default_now=True)
    confirmed_at: datetime | None = timestamp_field(nullable=True)
    unsubscribed_at: datetime | None = timestamp_field(nullable=True)


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins per key (``account:<email>`` or ``ip:<address>``) and the lock they earn."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=300)
    failures: int = Field(default=0)
    last_failure_at: datetime | None = timestamp_field(nullable=True)
    locked_until: datetime | None = timestamp_field(nullable=True)
