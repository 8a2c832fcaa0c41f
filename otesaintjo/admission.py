"""Requests served a few at a time, in arrival order: a tail latency that does not grow with
the number of requests in flight.

Why. One event loop interleaves every request in flight at each ``await``: with 32 requests
in progress, each turn of the loop serves all 32 a little, and a request that needs ten turns
(a page executed afresh: its statements, its snapshot) waits ten times for the other 31,
while a cache hit needs three. Under load, the slowest percentile is then made of the
requests doing the most awaits, several times the median (measured on PostgreSQL with paid
orders running: p99 = 4.5–5.2 × p50, the pages recomputed after each sale). Serving at most
``limit`` requests at once, the others waiting their turn in arrival order, each request's
latency becomes its wait (the same for every kind) plus its own work: p99 1.8–2.2 × p50 in the
same run, and fewer live objects at once (``bench/README.md``, "Requests in arrival order").

What holds a slot: computing the answer, database round trips included (our database is part
of our work). What does not: waiting for a third party, for a thread doing work off the event
loop (Stripe's API, a password hash) or for another request (a twin checkout's PaymentIntent)
— that code runs inside ``outside_admission()``, which lends the slot to the next request and
takes it back at once after (``AdmissionGate``); nor sending the answer (a slow client reading
a big download): the slot is freed when the response starts.
Health probes and metrics never wait (``exempt``). WebSockets are not requests: never gated.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

P = ParamSpec("P")
T = TypeVar("T")


class AdmissionGate:
    """``limit`` slots; requests that find none wait in line, in arrival order. A freed slot
    goes straight to the next in line: nobody overtakes. A request coming back from outside
    its slot (``outside_admission``) takes one back at once, over the limit if need be: it
    may hold locks that requests in service wait for, so it must never wait behind them."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("an admission gate needs at least one slot")
        self.limit = limit
        self.free = limit  # below 0 while requests back from outside run over the limit
        self._line: deque[asyncio.Future[None]] = deque()
        self.waited = 0  # requests that had to wait (a counter)
        self.wait_seconds = 0.0  # their waits, summed

    @property
    def waiting(self) -> int:
        return sum(not turn.done() for turn in self._line)

    async def enter(self) -> None:
        if self.free > 0 and not self._line:
            self.free -= 1
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._line.append(turn)
        started = time.perf_counter()
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.leave()  # handed a slot just as the request went away: pass it on
            raise
        finally:
            self.waited += 1
            self.wait_seconds += time.perf_counter() - started

    def take_back(self) -> None:
        self.free -= 1

    def leave(self) -> None:
        if self.free < 0:  # over the limit: this slot is not handed on
            self.free += 1
            return
        while self._line:
            turn = self._line.popleft()
            if not turn.done():  # a cancelled waiter's turn is skipped
                turn.set_result(None)
                return
        self.free += 1


class _Slot:
    """One request's place: held until its response starts, or lent while it waits outside."""

    __slots__ = ("done", "gate", "held")

    def __init__(self, gate: AdmissionGate) -> None:
        self.gate = gate
        self.held = True
        self.done = False

    def release(self) -> None:
        if self.held:
            self.held = False
            self.gate.leave()


_CURRENT: ContextVar[_Slot | None] = ContextVar("otesaintjo_admission_slot", default=None)


@asynccontextmanager
async def outside_admission() -> AsyncIterator[None]:
    """Around an ``await`` on something else than this process's CPU or its database: the
    request's slot serves another request meanwhile. Outside a gated request, nothing."""
    slot = _CURRENT.get()
    if slot is None or not slot.held:
        yield
        return
    slot.release()
    try:
        yield
    finally:
        if not slot.done:
            slot.gate.take_back()
            slot.held = True


async def in_thread(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``asyncio.to_thread`` outside the request's slot: work that releases the GIL (Argon2,
    Pillow) runs on another core while the slot serves another request."""
    async with outside_admission():
        return await asyncio.to_thread(func, *args, **kwargs)


class Admission:
    """ASGI middleware: HTTP requests pass ``gate`` (but paths starting with ``exempt``)."""

    def __init__(self, app: ASGIApp, *, gate: AdmissionGate, exempt: tuple[str, ...]) -> None:
        self.app = app
        self.gate = gate
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        await self.gate.enter()
        slot = _Slot(self.gate)
        token = _CURRENT.set(slot)

        async def send_then_free(message: Message) -> None:
            if message["type"] == "http.response.start":
                slot.release()  # the answer is computed: delivering it holds no slot
            await send(message)

        try:
            await self.app(scope, receive, send_then_free)
        finally:
            slot.done = True
            slot.release()
            _CURRENT.reset(token)
