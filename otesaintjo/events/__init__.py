"""The event bus: order events reach every process's subscribers, only after commit.

One interface, three backends, chosen by ``OTESAINTJO_EVENT_BUS``:

- ``memory``: in this process only (a single worker; settings refuse more);
- ``postgres``: ``pg_notify`` inside the order's transaction (PostgreSQL delivers it at commit,
  never on rollback), one LISTEN connection per process that reconnects after a drop;
- ``redis``: PUBLISH after commit, one subscriber connection per process.

The bus also carries the outbox's wake-ups (``JOBS_CHANNEL``): with ``OTESAINTJO_JOBS=external``
an API process announces after a commit that wrote jobs, and the ``otesaintjo worker``
processes listen (``bus.jobs``).

Whatever the backend, each process fans events out to its local subscribers (``LocalHub``).
A subscriber that reconnects catches up from the ``order_event`` table, so a notification lost
while a LISTEN connection was down costs latency, not data.
"""

from __future__ import annotations

from otesaintjo.events.base import (
    CHANNEL,
    JOBS_CHANNEL,
    EventBus,
    JobWakeups,
    LocalHub,
    Mailbox,
    MemoryBus,
    Published,
    attach,
    order_channel,
    pending,
    queue_for_publication,
    shop_channel,
)
from otesaintjo.settings import Settings

__all__ = [
    "CHANNEL",
    "JOBS_CHANNEL",
    "EventBus",
    "JobWakeups",
    "LocalHub",
    "Mailbox",
    "MemoryBus",
    "Published",
    "attach",
    "build_bus",
    "order_channel",
    "pending",
    "queue_for_publication",
    "shop_channel",
]


def build_bus(settings: Settings) -> EventBus:
    if settings.event_bus == "postgres":
        from otesaintjo.events.postgres import PostgresBus

        return PostgresBus(settings.database_url)
    if settings.event_bus == "redis":
        from otesaintjo.events.redis import RedisBus

        return RedisBus(settings.redis_url)
    return MemoryBus()
