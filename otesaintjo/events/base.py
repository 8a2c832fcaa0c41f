"""The event bus's message, its per-process hub, the bus protocol, the in-memory bus, and
the hand-over from a unit of work (staged before commit, published after)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.db import after_commit, before_commit

log = structlog.get_logger(__name__)
CHANNEL = "otesaintjo_order_events"
JOBS_CHANNEL = "otesaintjo_jobs"  # "jobs are due": wakes the `otesaintjo worker` processes
PENDING_KEY = "order_events"


@dataclass(frozen=True)
class Published:
    """What travels on the bus: ids only; subscribers reload and re-check access."""

    event_id: int
    shop_id: int
    order_id: int
    user_id: int
    sequence: int
    kind: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Published:
        return cls(**{k: int(v) if k != "kind" else str(v) for k, v in data.items()})


def queue_for_publication(session: AsyncSession, event: Published) -> None:
    """Keep an event with its unit of work: ``attach`` hands it to the bus at commit."""
    session.info.setdefault(PENDING_KEY, []).append(event)


def pending(session: AsyncSession) -> list[Published]:
    return list(session.info.get(PENDING_KEY, []))


def shop_channel(shop_id: int) -> str:
    return f"shop:{shop_id}"


def order_channel(order_id: int) -> str:
    return f"order:{order_id}"


class Mailbox:
    """One subscriber's events not yet taken, in order, and its waiter while it waits.

    What an ``asyncio.Queue`` does for one consumer, without its three deques (~5 KiB per idle
    subscriber: a thousand merchant screens hold a thousand of them)."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[Published | None] = []
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Published | None) -> None:
        """``None`` tells the subscriber to stop (its sign-in ended)."""
        self._items.append(item)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def get(self) -> Published | None:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.pop(0)


class _Subscription:
    """A mailbox on some channels while the block runs (a class, not a generator: one of
    these per live subscription)."""

    __slots__ = ("channels", "mailbox", "queues")

    def __init__(self, queues: dict[str, set[Mailbox]], channels: tuple[str, ...]) -> None:
        self.queues, self.channels, self.mailbox = queues, channels, Mailbox()

    async def __aenter__(self) -> Mailbox:
        for channel in self.channels:
            self.queues[channel].add(self.mailbox)
        return self.mailbox

    async def __aexit__(self, *_exc: object) -> None:
        for channel in self.channels:
            self.queues[channel].discard(self.mailbox)
            if not self.queues[channel]:
                del self.queues[channel]


class LocalHub:
    """This process's subscribers, by channel; each gets its own mailbox."""

    def __init__(self) -> None:
        self._queues: dict[str, set[Mailbox]] = defaultdict(set)

    def subscribe(self, channels: Sequence[str]) -> _Subscription:
        """``async with hub.subscribe(channels) as mailbox``: the channels' events, from now
        until the block ends."""
        return _Subscription(self._queues, tuple(channels))

    def dispatch(self, event: Published) -> None:
        targets: set[Mailbox] = set()
        for channel in (shop_channel(event.shop_id), order_channel(event.order_id)):
            targets |= self._queues.get(channel, set())
        for queue in targets:
            queue.put_nowait(event)

    @property
    def subscribers(self) -> int:
        return len({id(q) for queues in self._queues.values() for q in queues})


class JobWakeups:
    """Who wakes up when jobs are due, in this process.

    ``wakers`` run after a commit of this process that wrote jobs (``attach``) and, when
    ``listening`` was set before the bus started, on each wake-up another process sent on the
    bus's jobs channel (``announce_jobs``) and after the bus (re)connects (one may have been
    missed meanwhile). A lost wake-up only delays: the workers also poll."""

    def __init__(self) -> None:
        self.wakers: list[Callable[[], None]] = []
        self.listening = False

    def wake(self) -> None:
        for waker in list(self.wakers):
            try:
                waker()
            except Exception:
                log.exception("event bus: waking the job worker failed")


class EventBus(Protocol):
    hub: LocalHub
    jobs: JobWakeups

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def stage(self, session: AsyncSession, events: list[Published]) -> None:
        """Inside the transaction, before commit."""

    async def publish(self, events: list[Published]) -> None:
        """After commit."""

    async def announce_jobs(self) -> None:
        """Tell every process listening on the jobs channel (the workers) that jobs are due."""


class MemoryBus:
    def __init__(self) -> None:
        self.hub = LocalHub()
        self.jobs = JobWakeups()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def stage(self, session: AsyncSession, events: list[Published]) -> None:
        return None

    async def publish(self, events: list[Published]) -> None:
        for event in events:
            self.hub.dispatch(event)

    async def announce_jobs(self) -> None:
        if self.jobs.listening:  # this process only
            self.jobs.wake()


def attach(session: AsyncSession, bus: EventBus) -> None:
    """Hand this unit of work's order events to the bus: staged before commit, published after;
    and once it committed new jobs, wake the job workers (``bus.jobs``)."""

    async def stage() -> None:
        events = pending(session)
        if events:
            await bus.stage(session, events)

    async def publish() -> None:
        events = pending(session)
        if events:
            await bus.publish(events)

    def wake_workers() -> None:
        if session.info.get("jobs_enqueued"):
            bus.jobs.wake()

    before_commit(session, stage)
    after_commit(session, publish)
    after_commit(session, wake_workers)
