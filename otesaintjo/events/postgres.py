"""PostgreSQL bus: NOTIFY in the order's transaction, one LISTEN connection per process; the
jobs' wake-ups are NOTIFYs on that connection, after commit (never inside a checkout's
transaction: a NOTIFY takes a database-wide lock at commit)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import asyncpg
import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.events.base import CHANNEL, JOBS_CHANNEL, JobWakeups, LocalHub, Published

log = structlog.get_logger(__name__)
RECONNECT_MAX_SECONDS = 5.0
APPLICATION_NAME = "otesaintjo-listen"  # how the LISTEN connections show in pg_stat_activity


def asyncpg_dsn(database_url: str) -> str:
    """asyncpg takes ``postgresql://``, SQLAlchemy's URL says ``postgresql+asyncpg://``."""
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _setter(event: asyncio.Event) -> Any:
    return lambda _connection: event.set()


class PostgresBus:
    def __init__(self, database_url: str) -> None:
        self.hub = LocalHub()
        self.jobs = JobWakeups()
        self.dsn = asyncpg_dsn(database_url)
        self._task: asyncio.Task[None] | None = None
        self._connection: asyncpg.Connection | None = None
        self._talking = asyncio.Lock()  # one statement at a time on the LISTEN connection
        self.listening = asyncio.Event()

    async def stage(self, session: AsyncSession, events: list[Published]) -> None:
        for event in events:
            await session.execute(select(func.pg_notify(CHANNEL, json.dumps(event.as_dict()))))

    async def publish(self, events: list[Published]) -> None:
        return None  # PostgreSQL delivers the NOTIFY at commit, to every listener

    async def announce_jobs(self) -> None:
        """NOTIFY the workers on the LISTEN connection; while it is down, they poll."""
        connection = self._connection
        if connection is None or connection.is_closed() or not self.listening.is_set():
            log.info("event bus: no connection to wake the job workers; they will poll")
            return
        async with self._talking:
            await asyncio.wait_for(connection.execute(f"NOTIFY {JOBS_CHANNEL}"), 5)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen_forever(), name="otesaintjo-pg-listen")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.listening.wait(), 10)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._connection is not None and not self._connection.is_closed():
            await self._connection.close()

    def _on_jobs(self, _connection: Any, _pid: int, _channel: str, _payload: str) -> None:
        self.jobs.wake()

    def _on_notify(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            self.hub.dispatch(Published.from_dict(json.loads(payload)))
        except (ValueError, TypeError, KeyError):
            log.warning("event bus: unreadable notification", payload=payload[:200])

    async def _listen_forever(self) -> None:
        """Listen; when the connection drops, reconnect and listen again (growing pauses)."""
        pause = 0.1
        while True:
            try:
                self._connection = await asyncpg.connect(
                    self.dsn, server_settings={"application_name": APPLICATION_NAME}
                )
                lost = asyncio.Event()
                self._connection.add_termination_listener(_setter(lost))
                await self._connection.add_listener(CHANNEL, self._on_notify)
                if self.jobs.listening:
                    await self._connection.add_listener(JOBS_CHANNEL, self._on_jobs)
                    self.jobs.wake()  # a wake-up may have been sent while we were away
                self.listening.set()
                pause = 0.1
                while not lost.is_set():
                    # A dead TCP peer is not always reported: ping now and then.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), 15)
                    if not lost.is_set():
                        async with self._talking:
                            await asyncio.wait_for(self._connection.execute("SELECT 1"), 5)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("event bus: LISTEN connection lost, reconnecting", error=str(exc))
            self.listening.clear()
            if self._connection is not None and not self._connection.is_closed():
                self._connection.terminate()
            await asyncio.sleep(pause)
            pause = min(pause * 2, RECONNECT_MAX_SECONDS)
