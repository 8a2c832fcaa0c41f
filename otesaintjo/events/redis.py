"""Redis bus: PUBLISH after commit, one subscriber connection per process (the jobs' wake-ups
on a channel of their own, subscribed by the worker processes)."""

from __future__ import annotations

import asyncio
import contextlib
import json

import redis.asyncio as redis
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.events.base import CHANNEL, JOBS_CHANNEL, JobWakeups, LocalHub, Published

log = structlog.get_logger(__name__)
RECONNECT_MAX_SECONDS = 5.0


class RedisBus:
    def __init__(self, url: str) -> None:
        self.hub = LocalHub()
        self.jobs = JobWakeups()
        self.url = url
        self._client = redis.Redis.from_url(url)
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    async def stage(self, session: AsyncSession, events: list[Published]) -> None:
        return None

    async def publish(self, events: list[Published]) -> None:
        """After commit. If Redis is down the event stays in ``order_event`` for catch-up."""
        for event in events:
            try:
                await self._client.publish(CHANNEL, json.dumps(event.as_dict()))
            except redis.RedisError as exc:
                log.warning("event bus: publish failed", error=str(exc), event_id=event.event_id)

    async def announce_jobs(self) -> None:
        await self._client.publish(JOBS_CHANNEL, b"")

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen_forever(), name="otesaintjo-redis-listen")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.listening.wait(), 10)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._client.aclose()

    async def _listen_forever(self) -> None:
        pause = 0.1
        while True:
            pubsub = self._client.pubsub()
            try:
                await pubsub.subscribe(CHANNEL, *([JOBS_CHANNEL] if self.jobs.listening else []))
                if self.jobs.listening:
                    self.jobs.wake()  # a wake-up may have been sent while we were away
                self.listening.set()
                pause = 0.1
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=15)
                    if message is None:
                        continue
                    if message["channel"] in (JOBS_CHANNEL, JOBS_CHANNEL.encode()):
                        self.jobs.wake()
                    else:
                        self._dispatch(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("event bus: Redis subscription lost, reconnecting", error=str(exc))
            finally:
                self.listening.clear()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(pause)
            pause = min(pause * 2, RECONNECT_MAX_SECONDS)

    def _dispatch(self, data: bytes | str) -> None:
        try:
            self.hub.dispatch(Published.from_dict(json.loads(data)))
        except (ValueError, TypeError, KeyError):
            log.warning("event bus: unreadable message")
