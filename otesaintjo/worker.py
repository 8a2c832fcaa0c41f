"""The outbox worker: claims due jobs, runs several at once, retries failures with backoff.

Who runs it (``OTESAINTJO_JOBS``):

- ``in-process`` (the default, and SQLite's only choice): each API process runs a ``JobWorker``
  of one slot on its own event loop, woken after its commits;
- ``external``: ``otesaintjo worker`` processes run a ``JobWorker`` of
  ``OTESAINTJO_WORKER_CONCURRENCY`` slots, woken through the event bus's jobs channel; API
  processes hold an ``ExternalWorker`` that only announces their commits there.

A claim is one statement: ``UPDATE job … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)`` on
PostgreSQL (concurrent claimers skip each other's rows), counting the attempt, setting a lease
(``locked_until``, ``OTESAINTJO_JOBS_LOCK_SECONDS``) and a token of that claim
(``claimed_by``). While a handler runs, its worker renews the lease every third of it. The
outcome (done, retry later with backoff, or dead letter after ``jobs_max_attempts``) is written
only where the token is still the worker's own.

What that guarantees:

- nothing is lost: a committed job is attempted until done or dead-lettered; a worker killed
  mid-job leaves its lease to expire, then another worker takes the job over (the
  interrupted attempt counts, its ``last_error`` says so);
- one holder at a time: a job is in one worker's hands while that worker lives and reaches the
  database (lease renewed); a worker that lost its lease can no longer write an outcome;
- the effect runs once unless a worker dies (or loses the database for a whole lease) after
  the effect and before the outcome is committed. Then the job runs again: money jobs are
  idempotent (Stripe idempotency keys, states re-read), an email goes again with the same
  ``Message-ID`` (recognisably the same message), an SMS goes twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from otesaintjo.clock import utcnow
from otesaintjo.events import EventBus
from otesaintjo.models import Job
from otesaintjo.settings import Settings

log = structlog.get_logger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[None]]
LOCK_FOR = timedelta(minutes=5)  # the default lease (``Settings.jobs_lock_seconds``)
MAX_BACKOFF_SECONDS = 3600
WORKER_LOST = (
    "WorkerLost: the worker running this attempt stopped before recording its outcome"
    " (its lease expired)"
)
RECORD_PAUSES = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0)  # retries of an outcome the database refused


def backoff(attempts: int) -> timedelta:
    """1 s, 2 s, 4 s … capped at one hour."""
    return timedelta(seconds=min(2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


def process_identity() -> str:
    """``host:pid``: how a claim names the process that made it."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class Claim:
    """A job this worker holds: its attempt number (counted at claim) and the claim's token."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    run_at: datetime
    token: str


@dataclass(slots=True)
class _Running:
    token: str
    task: asyncio.Task[None]


class JobWorker:
    """Runs due jobs, ``concurrency`` at a time, in this process's event loop."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        handlers: dict[str, Handler],
        *,
        poll_seconds: float = 2.0,
        max_attempts: int = 50,
        concurrency: int = 1,
        lock_seconds: float = LOCK_FOR.total_seconds(),
    ) -> None:
        self.session_factory = session_factory
        self.handlers = handlers
        self.poll_seconds = poll_seconds
        self.max_attempts = max_attempts
        self.concurrency = max(1, concurrency)
        self.lock_seconds = lock_seconds
        self.identity = process_identity()
        self._wake = asyncio.Event()
        self._claiming = asyncio.Lock()
        self._running: dict[int, _Running] = {}
        self._task: asyncio.Task[None] | None = None
        self._renewing: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def running(self) -> int:
        """Jobs in this worker's hands now."""
        return len(self._running)

    def wake(self) -> None:
        """Claim now instead of at the next poll (a commit wrote jobs, a slot freed)."""
        self._wake.set()

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run_forever(), name="otesaintjo-job-worker")
        if self._renewing is None or self._renewing.done():
            self._renewing = asyncio.create_task(
                self._renew_forever(), name="otesaintjo-job-leases"
            )

    async def stop(self, grace_seconds: float = 10) -> None:
        """Claim no more; let the running jobs finish within ``grace_seconds`` (a cancelled
        send might be sent twice), then cancel the rest: their leases expire, and they run
        again elsewhere."""
        self._stopping = True
        self.wake()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace_seconds
        if self._task is not None:
            _done, late = await asyncio.wait({self._task}, timeout=grace_seconds)
            for task in late:
                task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        tasks = [running.task for running in self._running.values()]
        if tasks:
            _done, late = await asyncio.wait(tasks, timeout=max(0.0, deadline - loop.time()))
            for task in late:
                task.cancel()
            if late:
                log.warning("job worker: jobs cancelled at shutdown", jobs=len(late))
                await asyncio.gather(*late, return_exceptions=True)
        if self._renewing is not None:
            self._renewing.cancel()
            await asyncio.gather(self._renewing, return_exceptions=True)
            self._renewing = None

    async def _run_forever(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                await self.run_round()
            except Exception:
                log.exception("job worker: claiming jobs failed")
            if self._stopping:
                break
            # Woken by a commit that wrote jobs, a job that finished (a free slot, maybe new
            # jobs it wrote), or the poll (jobs that became due, a lease that expired).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def run_round(self) -> int:
        """Claim due jobs into the free slots and start them; returns how many were claimed.

        The loop calls it at every wake-up and poll, slots full or not (``/metrics`` and
        ``/readyz`` watch it as the worker's heartbeat)."""
        async with self._claiming:
            free = self.concurrency - len(self._running)
            if free <= 0 or self._stopping:
                return 0
            claims = await self._claim(free)
            for claim in claims:
                task = asyncio.create_task(self._run_one(claim), name=f"otesaintjo-job-{claim.id}")
                self._running[claim.id] = _Running(claim.token, task)
                task.add_done_callback(lambda _task, job_id=claim.id: self._finished(job_id))
        return len(claims)

    def _finished(self, job_id: int) -> None:
        self._running.pop(job_id, None)
        self.wake()

    async def run_due(self) -> int:
        """Run the jobs due now to completion (tests, one-off runs); returns how many were
        attempted by this call."""
        total = 0
        while True:
            started = await self.run_round()
            total += started
            tasks = [running.task for running in self._running.values()]
            if not started and not tasks:
                return total
            if tasks:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)

    async def _claim(self, limit: int) -> list[Claim]:
        now = utcnow()
        token = f"{self.identity}:{secrets.token_hex(4)}"
        async with self.session_factory() as session, session.begin():
            postgres = session.bind.dialect.name == "postgresql"
            candidate = aliased(Job, name="due")  # never correlated with the UPDATE's row
            due = (
                select(candidate.id)
                .where(
                    candidate.done_at.is_(None),  # type: ignore[union-attr]
                    candidate.failed_at.is_(None),  # type: ignore[union-attr]
                    candidate.run_at <= now,
                    or_(candidate.locked_until.is_(None), candidate.locked_until < now),  # type: ignore[union-attr, operator]
                )
                .order_by(candidate.run_at, candidate.id)  # type: ignore[arg-type]
                .limit(limit)
            )
            if self._running:  # a lease we lost and could take back: never twice here
                due = due.where(candidate.id.not_in(list(self._running)))  # type: ignore[union-attr]
            if postgres:
                due = due.with_for_update(skip_locked=True)
            rows = (
                await session.execute(
                    update(Job)
                    .where(Job.id.in_(due))  # type: ignore[union-attr]
                    .values(
                        attempts=Job.attempts + 1,
                        locked_until=now + timedelta(seconds=self.lock_seconds),
                        claimed_by=token,
                        # A lease still set: the previous attempt never recorded its outcome.
                        last_error=case(
                            (Job.locked_until.is_not(None), WORKER_LOST),  # type: ignore[union-attr]
                            else_=Job.last_error,
                        ),
                    )
                    .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.run_at)
                )
            ).all()
        claims = [
            Claim(id=r[0], kind=r[1], payload=r[2], attempts=r[3], run_at=r[4], token=token)
            for r in rows
        ]
        return sorted(claims, key=lambda c: (c.run_at, c.id))

    async def _run_one(self, claim: Claim) -> None:
        if claim.attempts > self.max_attempts:
            # Its last allowed attempt was interrupted (the worker died): a dead letter, not
            # one more run (a job that kills its worker would otherwise kill them all).
            log.warning("job failed for good: worker lost", job_id=claim.id, kind=claim.kind)
            await self._record(
                claim, {"locked_until": None, "failed_at": utcnow(), "last_error": WORKER_LOST}
            )
            return
        handler = self.handlers.get(claim.kind)
        error: str | None = None
        try:
            if handler is None:
                raise LookupError(f"no handler for job kind {claim.kind!r}")
            await handler(claim.payload)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:1000]
        now = utcnow()
        values: dict[str, Any] = {"locked_until": None}
        if error is None:
            values["done_at"] = now
        else:
            values["last_error"] = error
            values["run_at"] = now + backoff(claim.attempts)
            final = claim.attempts >= self.max_attempts
            if final:
                values["failed_at"] = now
            log.warning(
                "job failed for good" if final else "job failed, will retry",
                job_id=claim.id,
                kind=claim.kind,
                attempts=claim.attempts,
                error=error,
            )
        await self._record(claim, values)

    async def _record(self, claim: Claim, values: dict[str, Any]) -> None:
        """Write the outcome if the claim is still ours; retry while the database refuses
        (the effect already happened: a lost outcome would make the job run again)."""
        for pause in RECORD_PAUSES:
            await asyncio.sleep(pause)
            try:
                async with self.session_factory() as session, session.begin():
                    result = await session.execute(
                        update(Job)
                        .where(
                            Job.id == claim.id,  # type: ignore[arg-type]
                            Job.claimed_by == claim.token,  # type: ignore[arg-type]
                            Job.locked_until.is_not(None),  # type: ignore[union-attr]
                        )
                        .values(**values)
                    )
            except Exception as exc:
                log.warning(
                    "job worker: recording an outcome failed",
                    job_id=claim.id,
                    error=str(exc)[:200],
                )
                continue
            if result.rowcount != 1:  # type: ignore[attr-defined]
                log.warning(
                    "job worker: lease lost before the outcome (another worker has the job)",
                    job_id=claim.id,
                    kind=claim.kind,
                )
            return
        log.error(
            "job worker: outcome not recorded; the job runs again once its lease expires",
            job_id=claim.id,
            kind=claim.kind,
        )

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(max(self.lock_seconds / 3, 0.05))
            try:
                await self.renew_leases()
            except Exception as exc:
                log.warning("job worker: renewing leases failed", error=str(exc)[:200])

    async def renew_leases(self) -> int:
        """Push back the lease of every job in this worker's hands; returns how many."""
        held = {job_id: running.token for job_id, running in self._running.items()}
        if not held:
            return 0
        until = utcnow() + timedelta(seconds=self.lock_seconds)
        async with self.session_factory() as session, session.begin():
            result = await session.execute(
                update(Job)
                .where(
                    Job.id.in_(list(held)),  # type: ignore[union-attr]
                    Job.claimed_by.in_(set(held.values())),  # type: ignore[union-attr]
                    Job.locked_until.is_not(None),  # type: ignore[union-attr]
                )
                .values(locked_until=until)
            )
        renewed = int(result.rowcount)  # type: ignore[attr-defined]
        if renewed < len(held):
            log.warning("job worker: some leases were lost", held=len(held), renewed=renewed)
        return renewed


class ExternalWorker:
    """An API process's side of ``otesaintjo worker`` (``OTESAINTJO_JOBS=external``): it runs no
    job; after a commit that wrote jobs, it announces them on the bus's jobs channel. One
    announcement at a time: the wake-ups of a burst of commits merge into the next one."""

    def __init__(self, announce: Callable[[], Awaitable[None]]) -> None:
        self.announce = announce
        self.announcements = 0
        self._pending = False
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        if self._pending:
            return
        self._pending = True
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._announce(), name="otesaintjo-jobs-wake")

    async def _announce(self) -> None:
        while self._pending:
            self._pending = False
            try:
                await self.announce()
                self.announcements += 1
            except Exception as exc:  # the workers poll: a lost wake-up only delays
                log.warning("could not wake the job workers", error=str(exc)[:200])

    def start(self) -> None:
        return None

    async def stop(self, grace_seconds: float = 10) -> None:
        if self._task is not None and not self._task.done():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, grace_seconds)
        self._task = None


def build_worker(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    handlers: dict[str, Handler],
    bus: EventBus,
    *,
    worker_process: bool = False,
) -> JobWorker | ExternalWorker:
    """What runs this process's jobs: a worker process's ``JobWorker`` (listening on the bus's
    jobs channel), an API process's one-slot ``JobWorker`` (in-process mode), or an API
    process's ``ExternalWorker``. Each wakes after this process's commits that wrote jobs."""
    worker: JobWorker | ExternalWorker
    if worker_process or settings.jobs == "in-process":
        worker = JobWorker(
            session_factory,
            handlers,
            poll_seconds=settings.jobs_poll_seconds,
            max_attempts=settings.jobs_max_attempts,
            concurrency=settings.worker_concurrency if worker_process else 1,
            lock_seconds=settings.jobs_lock_seconds,
        )
        bus.jobs.listening = worker_process
    else:
        worker = ExternalWorker(bus.announce_jobs)
    bus.jobs.wakers.append(worker.wake)
    return worker
