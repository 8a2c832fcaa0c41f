"""The outbox's dead letters: the jobs that failed ``jobs_max_attempts`` times stay in the table
with ``failed_at``; staff list them and replay them (audited).

What staff see of a job is what it is about — its kind, its attempts, its last error, the
recipient or the order it concerns — never what it carries: an email's body holds sign-in,
reset and confirmation links, an SMS its text, an attachment an invoice. Errors are shown with
anything that looks like a credential masked.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.errors import DomainError, ErrorCode, forbidden
from otesaintjo.models import Job, User
from otesaintjo.services import audit, pages

# The payload keys staff may read (every job kind's "who" and "what about"), in this order.
SAFE_DETAILS = (
    "to",  # an email's or an SMS's recipient
    "subject",
    "email",  # the account a password reset is for (the token is drawn when it is sent)
    "message_id",
    "order_id",
    "purchase_id",
    "refund_id",
    "payment_intent_id",
    "amount_cents",
    "type",  # a Stripe event's type
    "object_id",
    "account",
)
MASK = "[masqué]"
_CREDENTIALS = (
    # key=value in URLs, forms and messages
    re.compile(
        r"(?i)\b((?:access_|refresh_|reset_)?token|password|passwd|secret|api_key|apikey|key"
        r"|signature|sig|code)=([^&\s'\"<>]+)"
    ),
    re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/\s:@]+:[^/\s@]+)@"),  # user:password@host
    re.compile(r"(?i)\b(bearer)\s+([A-Za-z0-9._~+/=-]+)"),
    re.compile(r"\b(sk|rk|whsec|pk)_(?:live|test)?_?([A-Za-z0-9]{6,})"),  # Stripe keys
)


def masked_error(error: str | None) -> str | None:
    """A job's last error with what looks like a credential replaced by ``[masqué]``."""
    if error is None:
        return None
    for pattern in _CREDENTIALS:
        error = pattern.sub(_mask_second_group, error)
    return error


def _mask_second_group(match: re.Match[str]) -> str:
    whole, start = match.group(0), match.start(0)
    return whole[: match.start(2) - start] + MASK + whole[match.end(2) - start :]


def safe_details(payload: dict[str, Any]) -> list[tuple[str, str]]:
    """The readable part of a payload: ``SAFE_DETAILS`` keys with a plain value, nothing else."""
    return [
        (key, str(payload[key]))
        for key in SAFE_DETAILS
        if isinstance(payload.get(key), str | int) and not isinstance(payload.get(key), bool)
    ]


async def failed_jobs_page(factory: pages.Factory, *, limit: int, after: str | None) -> pages.Page:
    """The dead letters, newest first."""
    return await pages.newest_first(
        factory,
        Job,
        [Job.failed_at.is_not(None)],  # type: ignore[union-attr]
        limit=limit,
        after=after,
    )


async def replay(session: AsyncSession, staff: User, job_id: int, now: datetime) -> Job:
    """Staff give a dead letter a fresh start (audited): due now, ``attempts`` back to 0 (the
    whole retry schedule again, backoff from 1 s), its last error kept until the next attempt.
    The caller's commit wakes the workers (``jobs_enqueued``)."""
    if not staff.is_staff:
        raise forbidden("Réservé au personnel de la plateforme.")
    job = await session.get(Job, job_id)
    if job is None:
        raise DomainError(ErrorCode.NOT_FOUND, "Tâche introuvable.", ["jobId"])
    previous = {
        "kind": job.kind,
        "attempts": job.attempts,
        "failed_at": job.failed_at.isoformat() if job.failed_at else None,
        "last_error": masked_error(job.last_error),
    }
    replayed = await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.failed_at.is_not(None))  # type: ignore[arg-type, union-attr]
        .values(failed_at=None, attempts=0, run_at=now, locked_until=None)
    )
    if replayed.rowcount != 1:  # type: ignore[attr-defined]
        raise DomainError(
            ErrorCode.INVALID_STATUS_TRANSITION,
            "Seule une tâche abandonnée (en échec définitif) peut être relancée.",
            ["jobId"],
        )
    audit.record(session, staff, "replay_job", "Job", job_id, **previous)
    session.info["jobs_enqueued"] = True
    await session.refresh(job)
    return job
