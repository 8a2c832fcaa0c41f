"""WebSocket keepalive pings for many idle sockets: one sweep per process, not two timers each.

uvicorn's protocol (``websockets-sansio``, its default) pings each socket on a timer of its
own and arms a second one for the pong: with 1,000 idle merchant screens and pings every
20 s, measured on this app, the pings were 1.8 of the 2.1 % of a core the idle sockets cost
(~350 µs per ping: each wakes the loop on its own). Here one timer per process visits a
twentieth of the sockets per tick (every ``interval / 20``): each socket is still pinged once
per interval, and a socket whose previous ping is still unanswered when its turn comes back
(one interval later, the pong timeout) is closed with 1011, as uvicorn does. The pings of a
tick go out together, the pongs come back together: the same sockets cost ~0.35 % of a core.

Pings stay useful even so: they keep proxies from closing an idle socket (nginx's default
``proxy_read_timeout`` is 60 s) and notice a phone gone off the network. The subclass touches
only uvicorn's keepalive methods (``start_keepalive``, ``stop_keepalive``, ``handle_pong``) and
the state they share; ``tests/test_ws_keepalive.py`` checks, through a real uvicorn, that pings
go out at the interval and that a peer that never answers is closed.
"""

from __future__ import annotations

import asyncio
import struct
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

TICKS_PER_INTERVAL = 20

UVICORN_WS = "otesaintjo.ws_keepalive:SweptKeepaliveProtocol"
"""What ``uvicorn.run(ws=…)`` / ``uvicorn --ws …`` takes to serve WebSockets with this."""


class KeepaliveSweep:
    """The sockets of one event loop, spread over ``TICKS_PER_INTERVAL`` turns."""

    def __init__(self, loop: asyncio.AbstractEventLoop, interval: float) -> None:
        self.loop = loop
        self.interval = interval
        self.turns: list[set[SweptKeepaliveProtocol]] = [set() for _ in range(TICKS_PER_INTERVAL)]
        self.turn = 0
        self.ticks = 0
        self.sockets = 0
        self._next_turn = 0
        self._timer: asyncio.TimerHandle | None = None

    def add(self, socket: SweptKeepaliveProtocol) -> None:
        # Round-robin: sockets opened in a burst are not all pinged on the same tick.
        self._next_turn = (self._next_turn + 1) % TICKS_PER_INTERVAL
        socket.keepalive_turn = self._next_turn
        self.turns[self._next_turn].add(socket)
        self.sockets += 1
        if self._timer is None:
            self._timer = self.loop.call_later(self.interval / TICKS_PER_INTERVAL, self._tick)

    def discard(self, socket: SweptKeepaliveProtocol) -> None:
        turn = socket.keepalive_turn
        if turn is None:
            return
        socket.keepalive_turn = None
        self.turns[turn].discard(socket)
        self.sockets -= 1
        if self.sockets == 0 and self._timer is not None:
            self._timer.cancel()
            self._timer = None
            _sweeps.pop(self.loop, None)

    def _tick(self) -> None:
        self.turn = (self.turn + 1) % TICKS_PER_INTERVAL
        self.ticks += 1
        payload = struct.pack("!I", self.ticks & 0xFFFFFFFF)  # tells a stale pong apart
        for socket in list(self.turns[self.turn]):
            socket.keepalive_visit(payload)
        self._timer = (  # none once the last socket has gone (and this sweep with it)
            self.loop.call_later(self.interval / TICKS_PER_INTERVAL, self._tick)
            if self.sockets
            else None
        )


_sweeps: dict[asyncio.AbstractEventLoop, KeepaliveSweep] = {}


class SweptKeepaliveProtocol(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol, pinged by its loop's ``KeepaliveSweep``."""

    keepalive_turn: int | None = None

    def start_keepalive(self) -> None:
        if not self.ping_interval or self.ping_interval <= 0:
            return
        sweep = _sweeps.get(self.loop)
        if sweep is None:
            sweep = _sweeps[self.loop] = KeepaliveSweep(self.loop, self.ping_interval)
        sweep.add(self)

    def stop_keepalive(self) -> None:
        sweep = _sweeps.get(self.loop)
        if sweep is not None:
            sweep.discard(self)
        self.pending_ping_payload = None

    def keepalive_visit(self, payload: bytes) -> None:
        """This socket's turn: closed if the last ping went unanswered, else pinged."""
        if self.close_sent or self.transport.is_closing():
            return
        if self.pending_ping_payload is not None:
            self.keepalive_timeout()
            return
        self.pending_ping_payload = payload
        self.ping_sent_at = self.loop.time()
        self.conn.send_ping(payload)
        self.transport.write(b"".join(self.conn.data_to_send()))

    def handle_pong(self, event: Any) -> None:
        if self.pending_ping_payload is not None and bytes(event.data) == self.pending_ping_payload:
            self.last_ping_rtt = self.loop.time() - self.ping_sent_at
            self.pending_ping_payload = None
