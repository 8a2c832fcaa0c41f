"""The in-process outbox worker: runs due jobs, retries failures with exponential backoff.

Claims are short transactions that set ``locked_until``; on PostgreSQL they use
``FOR UPDATE SKIP LOCKED`` so several processes never take the same job.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otesaintjo.clock import utcnow
from otesaintjo.models import Job

log = structlog.get_logger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[None]]
LOCK_FOR = timedelta(minutes=5)
MAX_BACKOFF_SECONDS = 3600


def backoff(attempts: int) -> timedelta:
    """1 s, 2 s, 4 s … capped at one hour."""
    return timedelta(seconds=min(2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


class JobWorker:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        handlers: dict[str, Handler],
        *,
        poll_seconds: float = 2.0,
        max_attempts: int = 50,
        batch_size: int = 20,
    ) -> None:
        self.session_factory = session_factory
        self.handlers = handlers
        self.poll_seconds = poll_seconds
        self.max_attempts = max_attempts
        self.batch_size = batch_size
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def wake(self) -> None:
        """Run now instead of at the next poll (called after a commit that enqueued jobs)."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run_forever(), name="otesaintjo-job-worker")

    async def stop(self, grace_seconds: float = 10) -> None:
        """Let the current job finish (a cancelled send would be sent twice), then stop."""
        if self._task is None:
            return
        self._stopping = True
        self.wake()
        try:
            await asyncio.wait_for(self._task, grace_seconds)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    async def _run_forever(self) -> None:
        while not self._stopping:
            try:
                ran = await self.run_due()
            except Exception:
                log.exception("job worker: claiming jobs failed")
                ran = 0
            if ran or self._stopping:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()

    async def _claim(self) -> list[Job]:
        now = utcnow()
        async with self.session_factory() as session, session.begin():
            query = (
                select(Job)
                .where(
                    Job.done_at.is_(None),  # type: ignore[union-attr]
                    Job.failed_at.is_(None),  # type: ignore[union-attr]
                    Job.run_at <= now,
                    or_(Job.locked_until.is_(None), Job.locked_until < now),  # type: ignore[union-attr]
                )
                .order_by(Job.run_at, Job.id)  # type: ignore[arg-type]
                .limit(self.batch_size)
            )
            if session.bind.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            jobs = list((await session.execute(query)).scalars())
            if jobs:
                await session.execute(
                    update(Job)
                    .where(Job.id.in_([j.id for j in jobs]))  # type: ignore[union-attr]
                    .values(locked_until=now + LOCK_FOR)
                )
        return jobs

    async def run_due(self) -> int:
        """Run the jobs due now; returns how many were attempted."""
        jobs = await self._claim()
        for job in jobs:
            await self._run_one(job)
        return len(jobs)

    async def _run_one(self, job: Job) -> None:
        handler = self.handlers.get(job.kind)
        error: str | None = None
        try:
            if handler is None:
                raise LookupError(f"no handler for job kind {job.kind!r}")
            await handler(job.payload)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:1000]
        now = utcnow()
        attempts = job.attempts + 1
        values: dict[str, Any] = {"attempts": attempts, "locked_until": None}
        if error is None:
            values["done_at"] = now
        else:
            values["last_error"] = error
            values["run_at"] = now + backoff(attempts)
            if attempts >= self.max_attempts:
                values["failed_at"] = now
            log.warning(
                "job failed, will retry" if attempts < self.max_attempts else "job failed for good",
                job_id=job.id,
                kind=job.kind,
                attempts=attempts,
                error=error,
            )
        async with self.session_factory() as session, session.begin():
            await session.execute(update(Job).where(Job.id == job.id).values(**values))  # type: ignore[arg-type]
