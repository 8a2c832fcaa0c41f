"""Writing work to the outbox inside the caller's transaction."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.clock import utcnow
from otesaintjo.models import Job
from otesaintjo.notifications.email import render_email

EMAIL_JOB = "email.send"


def enqueue(
    session: AsyncSession, kind: str, payload: dict[str, Any], run_at: datetime | None = None
) -> Job:
    """Add a job to the current transaction: it exists if and only if the change commits."""
    job = Job(kind=kind, payload=payload, run_at=run_at or utcnow())
    session.add(job)
    session.info["jobs_enqueued"] = True
    return job


def queue_email(
    session: AsyncSession,
    template: str,
    to: str,
    attachments: list[tuple[str, bytes, str]] | None = None,
    **context: Any,
) -> Job:
    """Render a French email now and hand it to the outbox (with ``(filename, bytes, mime)``
    attachments, kept in the job as base64)."""
    payload: dict[str, Any] = render_email(template, to, **context).as_payload()
    if attachments:
        payload["attachments"] = [
            {"filename": name, "content": base64.b64encode(data).decode(), "mime": mime}
            for name, data, mime in attachments
        ]
    return enqueue(session, EMAIL_JOB, payload)
