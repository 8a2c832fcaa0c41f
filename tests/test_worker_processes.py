"""``otesaintjo worker`` as real processes on PostgreSQL: several jobs at once, each once, across
processes; woken by the API (``OTESAINTJO_JOBS=external``) through the PostgreSQL and the Redis
bus; and ``kill -9`` mid-job — nothing lost, and what "nothing duplicated" means for an email
the SMTP server had already accepted."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import select

from otesaintjo.app import create_app
from otesaintjo.db import unit_of_work
from otesaintjo.events.postgres import asyncpg_dsn
from otesaintjo.models import Job
from otesaintjo.services.outbox import queue_email
from otesaintjo.settings import Settings
from otesaintjo.worker import WORKER_LOST
from tests.doubles.slow_smtp import SlowMailbox
from tests.doubles.smtp import Mailbox, wait_until
from tests.support.graphql import GraphQLClient
from tests.support.settings import TEST_SECRET
from tests.support.worker_processes import REDIS_URL, worker_env, worker_process

LOCK_SECONDS = 1.5  # the lease of a claimed job in these tests (5 minutes by default)


@pytest.fixture
def postgres_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("worker processes need PostgreSQL (on SQLite the API runs the jobs itself)")
    return database_url


@pytest.fixture
def slow_mailbox() -> Iterator[SlowMailbox]:
    box = SlowMailbox(data_seconds=0.3, hold=frozenset({"lent@example.re"}))
    box.start()
    yield box
    box.release()
    box.stop()


async def enqueue_emails(session_factory, addresses: list[str]) -> list[int]:
    async with unit_of_work(session_factory) as session:
        jobs = [queue_email(session, "welcome", a, first_name="Client") for a in addresses]
        await session.flush()
        return [job.id for job in jobs]  # type: ignore[misc]


async def all_jobs(session_factory) -> list[Job]:
    async with session_factory() as session:
        return list((await session.execute(select(Job).order_by(Job.id))).scalars())


async def job(session_factory, job_id: int) -> Job:
    async with session_factory() as session:
        found = await session.get(Job, job_id)
        assert found is not None
        return found


def pid_of(claimed_by: str | None) -> int:
    assert claimed_by is not None
    return int(claimed_by.split(":")[1])


async def test_two_worker_processes_run_fifty_emails_several_at_once_each_once(
    postgres_url, session_factory, slow_mailbox, tmp_path
) -> None:
    env = worker_env(
        postgres_url,
        slow_mailbox.url,
        tmp_path,
        worker_concurrency=8,
        jobs_poll_seconds=5,
        jobs_lock_seconds=LOCK_SECONDS,
    )
    addresses = [f"client{i:02}@example.re" for i in range(50)]
    async with (
        worker_process(env, tmp_path, "first") as first,
        worker_process(env, tmp_path, "second") as second,
    ):
        started = time.monotonic()
        ids = await enqueue_emails(session_factory, addresses)
        await announce(postgres_url)  # as an API process with external jobs does after commit
        await slow_mailbox.wait_for(50, timeout=60)
        wall = time.monotonic() - started
        await asyncio.sleep(1)  # nothing more comes
    received = slow_mailbox.messages
    print(
        f"\n50 emails, 2 worker processes x 8: {wall:.2f} s, at most {slow_mailbox.most_in_data}"
        " in DATA at once (0.3 s each)"
    )
    assert sorted(m["To"] for m in received) == addresses
    jobs = await all_jobs(session_factory)
    assert [j.id for j in jobs] == ids
    assert {m["Message-ID"] for m in received} == {j.payload["message_id"] for j in jobs}
    assert all(j.done_at is not None and j.attempts == 1 for j in jobs)
    assert {pid_of(j.claimed_by) for j in jobs} == {first.pid, second.pid}
    assert slow_mailbox.most_in_data >= 8  # several jobs in flight at once
    assert wall < 50 * 0.3  # far below one at a time


async def announce(database_url: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await connection.execute("NOTIFY otesaintjo_jobs")
    finally:
        await connection.close()


# -- external mode: the API never runs a job, and wakes the worker ---------------------------


def api_settings(database_url: str, smtp_url: str, bus: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        secret_key=TEST_SECRET,
        smtp_url=smtp_url,
        jobs="external",
        event_bus=bus,
        redis_url=REDIS_URL,
        jobs_poll_seconds=0.05,
        gc_freeze_after_start=False,
        throttles_per_hour={
            action: dict.fromkeys(targets, 100_000)
            for action, targets in Settings.model_fields["throttles_per_hour"].default.items()
        },
    )


@asynccontextmanager
async def api(settings: Settings) -> AsyncIterator[GraphQLClient]:
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application, client=("127.0.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield GraphQLClient(http)


@pytest.mark.parametrize("bus", ["postgres", "redis"])
async def test_an_api_with_external_jobs_runs_none_and_wakes_the_worker(
    postgres_url, session_factory, tmp_path, bus
) -> None:
    mailbox = Mailbox()
    mailbox.start()
    try:
        async with api(api_settings(postgres_url, mailbox.url, bus)) as client:
            # No worker process yet: the job waits, unclaimed, whatever the API's poll.
            await client.register("lea@example.re")
            await asyncio.sleep(1.0)
            [waiting] = await all_jobs(session_factory)
            assert (waiting.attempts, waiting.claimed_by, waiting.done_at) == (0, None, None)
            assert mailbox.messages == []
            ready = await client.http.get("/readyz")
            assert ready.status_code == 200
            assert ready.json()["worker"] == "external"
            metrics = (await client.http.get("/metrics")).text
            assert "otesaintjo_outbox_jobs_pending 1.0" in metrics
            assert "otesaintjo_outbox_worker_heartbeat_age_seconds" not in metrics

            # A worker that polls every 30 s: it takes what waits when it starts, then only a
            # wake-up from the API can bring the next job within a second.
            env = worker_env(
                postgres_url, mailbox.url, tmp_path, event_bus=bus, jobs_poll_seconds=30
            )
            async with worker_process(env, tmp_path, f"worker-{bus}") as worker:
                await mailbox.wait_for(1, timeout=10)
                await asyncio.sleep(0.5)  # its first round is over: it now waits 30 s
                latencies = []
                for n in range(3):
                    await client.register(f"client{n}@example.re")
                    committed = time.monotonic()
                    while len(mailbox.messages) < 2 + n:  # finer than wait_for's 20 ms
                        assert time.monotonic() - committed < 10
                        await asyncio.sleep(0.001)
                    latencies.append(time.monotonic() - committed)
            print(
                f"\npickup after the API's commit ({bus} bus): "
                + ", ".join(f"{s * 1000:.0f} ms" for s in latencies)
            )
            assert max(latencies) < 2.0  # a poll would take up to 30 s
            jobs = await all_jobs(session_factory)
            assert all(j.done_at is not None and j.attempts == 1 for j in jobs)
            assert {pid_of(j.claimed_by) for j in jobs} == {worker.pid}
    finally:
        mailbox.stop()


# -- kill -9 mid-job ----------------------------------------------------------------------------


async def test_kill_9_mid_job_loses_nothing_and_sends_once(
    postgres_url, session_factory, slow_mailbox, tmp_path
) -> None:
    """The worker dies while the SMTP conversation is under way (before the server accepted the
    message): the lease expires, the other worker sends it, once."""
    env = worker_env(
        postgres_url,
        slow_mailbox.url,
        tmp_path,
        worker_concurrency=4,
        jobs_poll_seconds=0.2,
        jobs_lock_seconds=LOCK_SECONDS,
    )
    async with worker_process(env, tmp_path, "first") as first:
        [job_id] = await enqueue_emails(session_factory, ["lent@example.re"])
        await wait_until(slow_mailbox.held.is_set, timeout=15)
        held = await job(session_factory, job_id)
        assert pid_of(held.claimed_by) == first.pid and held.attempts == 1
        async with worker_process(env, tmp_path, "second") as second:
            # Twice the lease with the first worker alive and busy: it renews its lease, the
            # second one never takes the job.
            await asyncio.sleep(2 * LOCK_SECONDS)
            still = await job(session_factory, job_id)
            assert still.claimed_by == held.claimed_by
            assert still.locked_until > held.locked_until  # renewed
            assert slow_mailbox.recipients_seen == ["lent@example.re"]

            await first.kill()
            killed = time.monotonic()
            slow_mailbox.release()  # the dead worker's conversation can deliver nothing now

            async def done() -> bool:
                return (await job(session_factory, job_id)).done_at is not None

            await wait_until(done, timeout=20)
            takeover = time.monotonic() - killed
            await asyncio.sleep(1)  # and nothing more
    print(f"\ntaken over {takeover:.2f} s after kill -9 (lease {LOCK_SECONDS} s)")
    finished = await job(session_factory, job_id)
    assert pid_of(finished.claimed_by) == second.pid
    assert finished.attempts == 2  # the interrupted attempt counts
    assert finished.last_error == WORKER_LOST
    [message] = slow_mailbox.messages
    assert message["To"] == "lent@example.re"
    assert message["Message-ID"] == finished.payload["message_id"]
    assert takeover < LOCK_SECONDS + 5


async def test_kill_9_after_the_smtp_server_accepted_sends_the_same_message_again(
    postgres_url, session_factory, slow_mailbox, tmp_path
) -> None:
    """The one window left: the SMTP server accepted the email, the worker died before its
    outcome was committed. The job runs again (at least once), and the second copy carries the
    same Message-ID: mail clients and providers show it once."""
    env = worker_env(
        postgres_url,
        slow_mailbox.url,
        tmp_path,
        jobs_poll_seconds=0.2,
        jobs_lock_seconds=LOCK_SECONDS,
    )
    tester = await asyncpg.connect(asyncpg_dsn(postgres_url))
    try:
        async with worker_process(env, tmp_path, "first") as first:
            [job_id] = await enqueue_emails(session_factory, ["lent@example.re"])
            await wait_until(slow_mailbox.held.is_set, timeout=15)
            # Hold the job's row: the worker's outcome (and lease renewal) will wait on it.
            async with tester.transaction():
                await tester.execute("SELECT 1 FROM job WHERE id = $1 FOR UPDATE", job_id)
                slow_mailbox.release()
                await slow_mailbox.wait_for(1, timeout=15)  # accepted by the server

                async def outcome_waiting() -> bool:
                    return bool(
                        await tester.fetchval(
                            "SELECT count(*) FROM pg_stat_activity WHERE datname ="
                            " current_database() AND wait_event_type = 'Lock' AND pid <>"
                            " pg_backend_pid()"
                        )
                    )

                await wait_until(outcome_waiting, timeout=15)
                await first.kill()
            # The dead worker's transaction never commits: the job still looks mid-flight.
            await asyncio.sleep(0.5)
            orphan = await job(session_factory, job_id)
            assert orphan.done_at is None and orphan.attempts == 1
        async with worker_process(env, tmp_path, "restarted") as restarted:

            async def done() -> bool:
                return (await job(session_factory, job_id)).done_at is not None

            await wait_until(done, timeout=20)
            await asyncio.sleep(1)
    finally:
        await tester.close()
    finished = await job(session_factory, job_id)
    assert pid_of(finished.claimed_by) == restarted.pid and finished.attempts == 2
    first_copy, second_copy = slow_mailbox.messages
    assert first_copy["Message-ID"] == second_copy["Message-ID"] == finished.payload["message_id"]
    assert first_copy.get_body().get_content() == second_copy.get_body().get_content()  # type: ignore[union-attr]
