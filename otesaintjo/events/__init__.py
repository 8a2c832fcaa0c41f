"""The event bus: order events reach every process's subscribers, only after commit.

One interface, three backends, chosen by ``OTESAINTJO_EVENT_BUS``:

- ``memory``: in this process only (a single worker; settings refuse more);
- ``postgres``: ``pg_notify`` inside the order's transaction (PostgreSQL delivers it at commit,
  never on rollback), one LISTEN connection per process that reconnects after a drop;
- ``redis``: PUBLISH after commit, one subscriber connection per process.

Whatever the backend, each process fans events out to its local subscribers (``LocalHub``).
A subscriber that reconnects catches up from the ``order_event`` table, so a notification lost
while a LISTEN connection was down costs latency, not data.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from typing import Protocol

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.db import after_commit, before_commit
from otesaintjo.services.order_events import Published, pending
from otesaintjo.settings import Settings

log = structlog.get_logger(__name__)
CHANNEL = "otesaintjo_order_events"


def shop_channel(shop_id: int) -> str:
    return f"shop:{shop_id}"


def order_channel(order_id: int) -> str:
    return f"order:{order_id}"


class LocalHub:
    """This process's subscribers, by channel; each gets its own queue."""

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[Published]]] = defaultdict(set)

    @contextlib.asynccontextmanager
    async def subscribe(self, channels: Sequence[str]) -> AsyncIterator[asyncio.Queue[Published]]:
        queue: asyncio.Queue[Published] = asyncio.Queue()
        for channel in channels:
            self._queues[channel].add(queue)
        try:
            yield queue
        finally:
            for channel in channels:
                self._queues[channel].discard(queue)
                if not self._queues[channel]:
                    del self._queues[channel]

    def dispatch(self, event: Published) -> None:
        targets: set[asyncio.Queue[Published]] = set()
        for channel in (shop_channel(event.shop_id), order_channel(event.order_id)):
            targets |= self._queues.get(channel, set())
        for queue in targets:
            queue.put_nowait(event)

    @property
    def subscribers(self) -> int:
        return len({id(q) for queues in self._queues.values() for q in queues})


class EventBus(Protocol):
    hub: LocalHub

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def stage(self, session: AsyncSession, events: list[Published]) -> None:
        """Inside the transaction, before commit."""

    async def publish(self, events: list[Published]) -> None:
        """After commit."""


class MemoryBus:
    def __init__(self) -> None:
        self.hub = LocalHub()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def stage(self, session: AsyncSession, events: list[Published]) -> None:
        return None

    async def publish(self, events: list[Published]) -> None:
        for event in events:
            self.hub.dispatch(event)


def attach(session: AsyncSession, bus: EventBus) -> None:
    """Hand this unit of work's order events to the bus: staged before commit, published after."""

    async def stage() -> None:
        events = pending(session)
        if events:
            await bus.stage(session, events)

    async def publish() -> None:
        events = pending(session)
        if events:
            await bus.publish(events)

    before_commit(session, stage)
    after_commit(session, publish)


def build_bus(settings: Settings) -> EventBus:
    if settings.event_bus == "postgres":
        from otesaintjo.events.postgres import PostgresBus

        return PostgresBus(settings.database_url)
    if settings.event_bus == "redis":
        from otesaintjo.events.redis import RedisBus

        return RedisBus(settings.redis_url)
    return MemoryBus()
