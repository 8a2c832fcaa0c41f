"""SQLModel tables only (no strawberry, no stripe). Importing this registers every table."""

from otesaintjo.models.accounts import (
    AuthSession,
    LoginThrottle,
    NewsletterStatus,
    NewsletterSubscription,
    PasswordResetToken,
    RefreshToken,
    User,
)
from otesaintjo.models.base import metadata
from otesaintjo.models.jobs import Job

__all__ = [
    "AuthSession",
    "Job",
    "LoginThrottle",
    "NewsletterStatus",
    "NewsletterSubscription",
    "PasswordResetToken",
    "RefreshToken",
    "User",
    "metadata",
]
