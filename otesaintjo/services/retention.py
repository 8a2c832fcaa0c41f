"""Retention: how long what the platform no longer needs is kept, and the job that purges it.

A durable job of the outbox (``RETENTION_JOB``) runs once a day at 03:30, Réunion time: it
first schedules its next run, then deletes, rule by rule, in batches of ``BATCH`` rows (one
short transaction each: nobody waits long behind it). ``otesaintjo migrate`` (every
deployment, and ``serve`` on the embedded default) schedules it if no run is pending;
``otesaintjo retention`` runs the same purge at once and prints what it deleted.

Each duration and its reason (the README's « Personal data » repeats them):

- anonymous carts: 30 days untouched — a visitor's basket lives in their browser; a month
  covers "I'll order at the end of the month", beyond that the prices and stock have moved;
- a customer's cart: 90 days untouched — it is their list, kept for a season, not for ever;
- sign-in sessions: 30 days after they expired or were closed — the account holder (or staff)
  can still tell which device signed in when something looks wrong; their refresh tokens go
  with them;
- rotated refresh tokens: 30 days after use — their only use is spotting a stolen token
  replayed (``accounts.refresh``); a session idle for 30 days (``refresh_token_days``) has
  expired anyway;
- password reset links: 1 day after expiry — long enough to say "this link has expired"
  rather than "unknown link" to someone clicking late;
- login throttle rows: 1 day without a failure — the count starts again after an hour
  anyway (``login_throttle.FORGET_AFTER``); a day keeps the trace of an attack to look at;
- done jobs: 30 days — the outbox holds each email as rendered (address, name, sometimes a
  delivery address): a month answers "did the email go?", then it goes;
- dead letters (jobs failed for good): 90 days — a quarter for staff to replay or give up;
- newsletter subscriptions never confirmed: 30 days — an address without consent;
- closed support tickets: 24 months after closing — the legal guarantee of conformity runs
  2 years from delivery (Code de la consommation L217-3, L217-7): the exchange may be needed
  as evidence until then;
- data exports: the file 7 days (the link's life, ``export_links.LINK_DAYS``; a job at the
  expiry, and this job as a safety net); the row (dates only) 1 year — the record that an
  access request was answered (GDPR art. 5(2), accountability).

Orders, invoices, credit notes, refunds and the audit log are never purged here: accounting
records are kept 10 years (Code de commerce L123-22).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import structlog
from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otesaintjo.clock import REUNION
from otesaintjo.db import unit_of_work
from otesaintjo.models import (
    AuthSession,
    Cart,
    DataExport,
    DataExportStatus,
    Job,
    LoginThrottle,
    NewsletterStatus,
    NewsletterSubscription,
    PasswordResetToken,
    RefreshToken,
    SupportTicket,
    TicketStatus,
)
from otesaintjo.services import personal_data
from otesaintjo.services.outbox import enqueue
from otesaintjo.storage import BlobStore

log = structlog.get_logger(__name__)

RETENTION_JOB = "retention.daily"
RUN_AT = time(3, 30)  # Réunion time: the quietest hour of the marketplace
BATCH = 5000

ANONYMOUS_CART = timedelta(days=30)
CUSTOMER_CART = timedelta(days=90)
ENDED_SESSION = timedelta(days=30)
USED_REFRESH_TOKEN = timedelta(days=30)
EXPIRED_RESET_LINK = timedelta(days=1)
IDLE_THROTTLE = timedelta(days=1)
DONE_JOB = timedelta(days=30)
DEAD_LETTER = timedelta(days=90)
UNCONFIRMED_NEWSLETTER = timedelta(days=30)
CLOSED_TICKET = timedelta(days=730)  # 24 months
EXPORT_RECORD = timedelta(days=365)


@dataclass(frozen=True)
class Rule:
    """Rows of ``model`` (keyed by ``key``) that ``where(now)`` says are no longer needed."""

    name: str
    model: Any
    key: Any
    where: Callable[[datetime], Any]


RULES = (
    Rule(
        "anonymous_carts",
        Cart,
        Cart.id,
        lambda now: and_(Cart.user_id.is_(None), Cart.updated_at < now - ANONYMOUS_CART),  # type: ignore[union-attr]
    ),
    Rule(
        "customer_carts",
        Cart,
        Cart.id,
        lambda now: and_(Cart.user_id.is_not(None), Cart.updated_at < now - CUSTOMER_CART),  # type: ignore[union-attr]
    ),
    Rule(
        "sessions",
        AuthSession,
        AuthSession.id,
        lambda now: or_(
            AuthSession.expires_at < now - ENDED_SESSION,
            AuthSession.revoked_at < now - ENDED_SESSION,  # type: ignore[operator]
        ),
    ),
    Rule(
        "refresh_tokens",
        RefreshToken,
        RefreshToken.id,
        lambda now: RefreshToken.used_at < now - USED_REFRESH_TOKEN,  # type: ignore[operator]
    ),
    Rule(
        "password_reset_tokens",
        PasswordResetToken,
        PasswordResetToken.id,
        lambda now: PasswordResetToken.expires_at < now - EXPIRED_RESET_LINK,
    ),
    Rule(
        "login_throttle",
        LoginThrottle,
        LoginThrottle.key,
        lambda now: and_(
            or_(
                LoginThrottle.last_failure_at.is_(None),  # type: ignore[union-attr]
                LoginThrottle.last_failure_at < now - IDLE_THROTTLE,  # type: ignore[operator]
            ),
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now),  # type: ignore[union-attr, operator]
        ),
    ),
    Rule("done_jobs", Job, Job.id, lambda now: Job.done_at < now - DONE_JOB),  # type: ignore[operator]
    Rule("dead_letters", Job, Job.id, lambda now: Job.failed_at < now - DEAD_LETTER),  # type: ignore[operator]
    Rule(
        "unconfirmed_newsletter",
        NewsletterSubscription,
        NewsletterSubscription.id,
        lambda now: and_(
            NewsletterSubscription.status == NewsletterStatus.PENDING,
            NewsletterSubscription.created_at < now - UNCONFIRMED_NEWSLETTER,
        ),
    ),
    Rule(
        "closed_tickets",  # their messages go with them (ON DELETE CASCADE)
        SupportTicket,
        SupportTicket.id,
        lambda now: and_(
            SupportTicket.status == TicketStatus.CLOSED,
            SupportTicket.closed_at < now - CLOSED_TICKET,  # type: ignore[operator]
        ),
    ),
    Rule(
        "data_export_records",
        DataExport,
        DataExport.id,
        lambda now: and_(
            DataExport.status != DataExportStatus.READY,
            DataExport.requested_at < now - EXPORT_RECORD,
        ),
    ),
)


async def purge(
    factory: async_sessionmaker[AsyncSession], store: BlobStore, now: datetime
) -> dict[str, int]:
    """Apply every rule once; returns how many rows each deleted (and export files)."""
    counts = {"data_export_files": await _expired_export_files(factory, store, now)}
    for rule in RULES:
        counts[rule.name] = await _delete(factory, rule, now)
    return counts


async def run_daily(
    factory: async_sessionmaker[AsyncSession], store: BlobStore, now: datetime
) -> None:
    """The job: tomorrow's run first (a purge that fails is retried, the schedule holds)."""
    async with unit_of_work(factory) as session:
        if not await _pending(session, after=now):
            enqueue(session, RETENTION_JOB, {}, run_at=next_run(now))
    counts = await purge(factory, store, now)
    log.info("retention: purged", **counts)


async def ensure_scheduled(factory: async_sessionmaker[AsyncSession], now: datetime) -> bool:
    """Schedule the daily job unless a run is pending; True if this call scheduled it."""
    async with unit_of_work(factory) as session:
        if await _pending(session):
            return False
        enqueue(session, RETENTION_JOB, {}, run_at=next_run(now))
        return True


def next_run(now: datetime) -> datetime:
    """The next 03:30 in La Réunion strictly after ``now``, in UTC."""
    local = now.astimezone(REUNION)
    candidate = datetime.combine(local.date(), RUN_AT, REUNION)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate.astimezone(UTC)


async def _pending(session: AsyncSession, after: datetime | None = None) -> bool:
    query = select(Job.id).where(
        Job.kind == RETENTION_JOB,
        Job.done_at.is_(None),  # type: ignore[union-attr]
        Job.failed_at.is_(None),  # type: ignore[union-attr]
    )
    if after is not None:  # the run in progress is pending too: look past it
        query = query.where(Job.run_at > after)
    return (await session.execute(query.limit(1))).first() is not None


async def _delete(factory: async_sessionmaker[AsyncSession], rule: Rule, now: datetime) -> int:
    total = 0
    while True:
        async with unit_of_work(factory) as session:
            batch = select(rule.key).where(rule.where(now)).limit(BATCH)
            result = await session.execute(
                delete(rule.model)
                .where(rule.key.in_(batch))
                .execution_options(synchronize_session=False)
            )
        deleted = int(result.rowcount)  # type: ignore[attr-defined]
        total += deleted
        if deleted < BATCH:
            return total


async def _expired_export_files(
    factory: async_sessionmaker[AsyncSession], store: BlobStore, now: datetime
) -> int:
    """Files whose link ran out and are still there (their expiry job lost or late)."""
    async with factory() as session:
        keys = list(
            await session.scalars(
                select(DataExport.blob_key)
                .where(
                    DataExport.status == DataExportStatus.READY,
                    DataExport.expires_at < now,  # type: ignore[operator]
                )
                .limit(BATCH)
            )
        )
    if keys:
        await personal_data.delete_export_files(factory, store, keys)
    return len(keys)
