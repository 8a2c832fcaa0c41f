"""The outbox worker's rules on the real database (SQLite and PostgreSQL): slots, leases, the
fence on outcomes, dead letters; and who may run it where (settings, ``otesaintjo worker``)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select, update

from otesaintjo.clock import utcnow
from otesaintjo.db import unit_of_work
from otesaintjo.models import Job
from otesaintjo.services.outbox import enqueue
from otesaintjo.settings import Settings
from otesaintjo.worker import WORKER_LOST, JobWorker
from tests.doubles.smtp import wait_until

OTESAINTJO = Path(sys.executable).with_name("otesaintjo")


async def add_jobs(session_factory, count: int, kind: str = "test.slow") -> list[int]:
    async with unit_of_work(session_factory) as session:
        jobs = [enqueue(session, kind, {"n": n}) for n in range(count)]
        await session.flush()
        return [job.id for job in jobs]  # type: ignore[misc]


async def rows(session_factory) -> list[Job]:
    async with session_factory() as session:
        return list((await session.execute(select(Job).order_by(Job.id))).scalars())


class Gate:
    """A handler that records who runs and waits until opened."""

    def __init__(self) -> None:
        self.opened = asyncio.Event()
        self.running = 0
        self.most = 0
        self.ran: list[int] = []

    async def __call__(self, payload: dict[str, Any]) -> None:
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await self.opened.wait()
        finally:
            self.running -= 1
        self.ran.append(payload["n"])


async def test_a_worker_runs_as_many_jobs_at_once_as_it_has_slots(session_factory) -> None:
    await add_jobs(session_factory, 12)
    gate = Gate()
    worker = JobWorker(session_factory, {"test.slow": gate}, concurrency=5, poll_seconds=0.05)
    worker.start()
    try:
        await wait_until(lambda: gate.running == 5)
        await asyncio.sleep(0.2)
        assert gate.running == 5  # no sixth while five are held
        gate.opened.set()
        await wait_until(lambda: len(gate.ran) == 12)
    finally:
        await worker.stop()
    assert sorted(gate.ran) == list(range(12)) and gate.most == 5
    assert all(j.done_at is not None and j.attempts == 1 for j in await rows(session_factory))


async def test_a_worker_that_lost_its_lease_cannot_write_the_outcome(session_factory) -> None:
    [job_id] = await add_jobs(session_factory, 1)
    gate = Gate()
    slow = JobWorker(session_factory, {"test.slow": gate}, lock_seconds=0.3)
    assert await slow.run_round() == 1  # claimed; no renewal runs (never started)
    await asyncio.sleep(0.4)  # the lease expires
    other = JobWorker(session_factory, {"test.slow": lambda _p: asyncio.sleep(0)})
    assert await other.run_due() == 1  # takes the job over and finishes it
    [taken] = await rows(session_factory)
    assert taken.done_at is not None and taken.attempts == 2 and taken.last_error == WORKER_LOST
    gate.opened.set()  # the first one finishes late …
    await wait_until(lambda: slow.running == 0)
    [after] = await rows(session_factory)
    assert (after.done_at, after.claimed_by, after.attempts) == (
        taken.done_at,
        taken.claimed_by,
        2,
    )  # … and changes nothing
    assert after.id == job_id


async def test_renewed_leases_keep_a_slow_job_from_other_workers(session_factory) -> None:
    await add_jobs(session_factory, 1)
    gate = Gate()
    slow = JobWorker(session_factory, {"test.slow": gate}, lock_seconds=0.3, poll_seconds=0.05)
    slow.start()
    other = JobWorker(session_factory, {"test.slow": gate}, lock_seconds=0.3)
    try:
        await wait_until(lambda: gate.running == 1)
        for _ in range(8):  # well past the lease
            await asyncio.sleep(0.1)
            assert await other.run_round() == 0
        gate.opened.set()
        await wait_until(lambda: gate.ran == [0])
    finally:
        await slow.stop()
    [job] = await rows(session_factory)
    assert job.attempts == 1 and job.done_at is not None


async def test_failures_retry_with_backoff_then_wait_as_dead_letters(session_factory) -> None:
    await add_jobs(session_factory, 1, kind="test.broken")

    async def broken(_payload: dict[str, Any]) -> None:
        raise RuntimeError("the gateway said no")

    worker = JobWorker(session_factory, {"test.broken": broken}, max_attempts=2)
    assert await worker.run_due() == 1
    [job] = await rows(session_factory)
    assert job.attempts == 1 and job.failed_at is None and "gateway said no" in job.last_error
    assert timedelta(seconds=0.5) < job.run_at - utcnow() <= timedelta(seconds=1)
    async with session_factory() as session, session.begin():
        await session.execute(update(Job).values(run_at=utcnow()))
    assert await worker.run_due() == 1
    [job] = await rows(session_factory)
    assert job.attempts == 2 and job.failed_at is not None
    assert await worker.run_due() == 0  # a dead letter is never claimed


async def test_a_job_whose_last_attempt_killed_its_worker_becomes_a_dead_letter(
    session_factory,
) -> None:
    """It does not run once more (a job that kills its worker would kill them all)."""
    [job_id] = await add_jobs(session_factory, 1)
    async with session_factory() as session, session.begin():
        await session.execute(
            update(Job).values(attempts=3, locked_until=utcnow() - timedelta(seconds=1))
        )
    ran: list[Any] = []
    worker = JobWorker(session_factory, {"test.slow": ran.append}, max_attempts=3)  # type: ignore[dict-item]
    assert await worker.run_due() == 1
    [job] = await rows(session_factory)
    assert ran == [] and job.failed_at is not None and job.last_error == WORKER_LOST
    assert job.id == job_id


def test_external_jobs_need_postgresql_and_a_shared_bus() -> None:
    base = {"_env_file": None, "jobs": "external"}
    with pytest.raises(ValidationError, match="needs PostgreSQL"):
        Settings(**base, database_url="sqlite+aiosqlite:///x.db", event_bus="redis")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="EVENT_BUS=postgres or redis"):
        Settings(**base, database_url="postgresql+asyncpg://h/d")  # type: ignore[arg-type]
    assert Settings(**base, database_url="postgresql+asyncpg://h/d", event_bus="postgres")  # type: ignore[arg-type]


def test_otesaintjo_worker_refuses_sqlite_and_says_why(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OTESAINTJO_")}
    environment["OTESAINTJO_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    refused = subprocess.run(
        [str(OTESAINTJO), "worker"], env=environment, capture_output=True, timeout=60
    )
    output = (refused.stdout + refused.stderr).decode()
    assert refused.returncode == 2, output
    assert "otesaintjo worker demande PostgreSQL" in output and "Traceback" not in output
