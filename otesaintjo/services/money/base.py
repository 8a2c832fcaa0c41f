"""What every money action holds: the database, Stripe (through the gateway protocol), the
settings, the event bus, and the clock it reads once per action."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otesaintjo.clock import utcnow
from otesaintjo.db import unit_of_work
from otesaintjo.events import EventBus, attach
from otesaintjo.payments.gateway import PaymentsGateway
from otesaintjo.settings import Settings


@dataclass
class MoneyPart:
    session_factory: async_sessionmaker[AsyncSession]
    gateway: PaymentsGateway
    settings: Settings
    bus: EventBus | None = None
    clock: Callable[[], datetime] = field(default=utcnow)

    @contextlib.asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """A transaction whose order events reach the bus once it commits."""
        async with unit_of_work(self.session_factory) as session:
            if self.bus is not None:
                attach(session, self.bus)
            yield session
