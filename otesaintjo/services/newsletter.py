"""Newsletter with double opt-in: an address receives nothing until its owner confirms it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.errors import DomainError, ErrorCode
from otesaintjo.models import NewsletterStatus, NewsletterSubscription
from otesaintjo.security import new_token, read_signed_token, signed_token, token_digest
from otesaintjo.services import links
from otesaintjo.services.outbox import queue_email
from otesaintjo.services.validation import normalize_email
from otesaintjo.settings import Settings

UNSUBSCRIBE = "newsletter-unsubscribe"


def unsubscribe_token(settings: Settings, subscription_id: int) -> str:
    """Stateless, so every newsletter can carry it without storing one token per mailing."""
    return signed_token(settings.secret_key, UNSUBSCRIBE, str(subscription_id))


async def subscribe(session: AsyncSession, settings: Settings, email: str) -> None:
    """Send a confirmation link unless already confirmed; the answer never tells which."""
    address = normalize_email(email, ["email"])
    subscription = await _by_email(session, address)
    if subscription is None:
        subscription = NewsletterSubscription(email=address)
        session.add(subscription)
    elif subscription.status == NewsletterStatus.CONFIRMED:
        return
    token = new_token()
    subscription.status = NewsletterStatus.PENDING
    subscription.confirm_token_hash = token_digest(token)
    await session.flush()
    queue_email(
        session,
        "newsletter_confirm",
        address,
        confirm_link=links.newsletter_confirm_url(settings, token),
        unsubscribe_link=links.newsletter_unsubscribe_url(
            settings,
            unsubscribe_token(settings, subscription.id),  # type: ignore[arg-type]
        ),
    )


async def confirm(session: AsyncSession, token: str, now: datetime) -> NewsletterSubscription:
    subscription = (
        await session.execute(
            select(NewsletterSubscription).where(
                NewsletterSubscription.confirm_token_hash == token_digest(token)
            )
        )
    ).scalar_one_or_none()
    if subscription is None:
        raise DomainError(ErrorCode.INVALID_TOKEN, "Lien de confirmation invalide.", ["token"])
    subscription.status = NewsletterStatus.CONFIRMED
    subscription.confirmed_at = now
    subscription.confirm_token_hash = None
    return subscription


async def unsubscribe(session: AsyncSession, settings: Settings, token: str, now: datetime) -> None:
    """Works from the link in any email, without an account."""
    value = read_signed_token(settings.secret_key, UNSUBSCRIBE, token)
    subscription = (
        await session.get(NewsletterSubscription, int(value)) if value and value.isdigit() else None
    )
    if subscription is None:
        raise DomainError(ErrorCode.INVALID_TOKEN, "Lien de désinscription invalide.", ["token"])
    subscription.status = NewsletterStatus.UNSUBSCRIBED
    subscription.unsubscribed_at = now
    subscription.confirm_token_hash = None


async def recipients(session: AsyncSession) -> list[str]:
    """Who a newsletter goes to: confirmed addresses only."""
    rows = await session.execute(
        select(NewsletterSubscription.email)
        .where(NewsletterSubscription.status == NewsletterStatus.CONFIRMED)
        .order_by(NewsletterSubscription.id)  # type: ignore[arg-type]
    )
    return list(rows.scalars())


async def _by_email(session: AsyncSession, email: str) -> NewsletterSubscription | None:
    return (
        await session.execute(
            select(NewsletterSubscription).where(NewsletterSubscription.email == email)
        )
    ).scalar_one_or_none()
