"""Writing work to the outbox inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from email.utils import make_msgid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otesaintjo.models import Job
from otesaintjo.notifications.email import MESSAGE_ID_DOMAIN, Mailer, render_email
from otesaintjo.services import invoices

EMAIL_JOB = "email.send"


def enqueue(
    session: AsyncSession, kind: str, payload: dict[str, Any], run_at: datetime | None = None
) -> Job:
    """Add a job to the current transaction: it exists if and only if the change commits.

    A job due now wakes the workers at commit; one due later (``run_at``: a checkout's expiry,
    a reminder) is found by their poll — waking them for it cost every checkout a claim that
    found nothing (issue 13)."""
    job = Job(kind=kind, payload=payload, **({"run_at": run_at} if run_at else {}))
    session.add(job)
    if run_at is None:
        session.info["jobs_enqueued"] = True
    return job


def queue_email(
    session: AsyncSession,
    template: str,
    to: str,
    invoice_ids: list[int] | None = None,
    **context: Any,
) -> Job:
    """Render a French email now and hand it to the outbox. Invoices to attach go by id: the
    email job draws their PDFs when it sends (``email_sender``), outside this transaction.
    Its ``Message-ID`` is chosen now, with the job: a send repeated after a worker died
    mid-job is recognisably the same message (mail clients show it once)."""
    payload: dict[str, Any] = render_email(template, to, **context).as_payload()
    payload["message_id"] = make_msgid(domain=MESSAGE_ID_DOMAIN)
    if invoice_ids:
        payload["invoice_ids"] = list(invoice_ids)
    return enqueue(session, EMAIL_JOB, payload)


def email_sender(
    mailer: Mailer, session_factory: async_sessionmaker[AsyncSession]
) -> Callable[[dict[str, Any]], Awaitable[None]]:
    """The email job: attach the invoices it names (drawn now, in a thread), then send."""

    async def send(payload: dict[str, Any]) -> None:
        ids = payload.get("invoice_ids")
        if ids:
            payload = {
                **payload,
                "attachments": await invoices.pdf_attachments(session_factory, ids),
            }
        await mailer.send(payload)

    return send
