"""Keepalive pings by one sweep per process (``ws_keepalive``), through a real uvicorn: every
socket pinged once per interval, a peer that never answers closed, nothing left behind."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri

from otesaintjo import ws_keepalive
from tests.support.graphql import serving

INTERVAL = 0.4


async def holds_sockets(scope, receive, send) -> None:
    """An ASGI app that accepts every WebSocket and keeps it until the peer leaves."""
    assert scope["type"] == "websocket"
    await receive()
    await send({"type": "websocket.accept"})
    while (await receive())["type"] != "websocket.disconnect":
        pass


class RawClient:
    """A WebSocket client at the frame level: it sees the pings, and answers them or not."""

    def __init__(self, address: str, *, answers_pings: bool) -> None:
        self.address = address
        self.answers_pings = answers_pings
        self.pings: list[float] = []
        self.closed_with: int | None = None
        self.closed = asyncio.Event()

    async def run(self) -> None:
        host, port = self.address.split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        protocol = ClientProtocol(parse_uri(f"ws://{self.address}/"))
        protocol.send_request(protocol.connect())
        writer.write(b"".join(protocol.data_to_send()))
        try:
            while data := await reader.read(65536):
                protocol.receive_data(data)
                for event in protocol.events_received():
                    if isinstance(event, Frame) and event.opcode == Opcode.PING:
                        self.pings.append(time.monotonic())
                    if isinstance(event, Frame) and event.opcode == Opcode.CLOSE:
                        self.closed_with = int.from_bytes(event.data[:2], "big")
                outgoing = protocol.data_to_send()  # the pongs websockets queued for the pings
                if self.answers_pings:
                    writer.write(b"".join(outgoing))
        finally:
            self.closed.set()
            writer.close()


@asynccontextmanager
async def clients(address: str, count: int, *, answers_pings: bool) -> AsyncIterator[list]:
    found = [RawClient(address, answers_pings=answers_pings) for _ in range(count)]
    tasks = [asyncio.create_task(c.run()) for c in found]
    try:
        yield found
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_each_socket_is_pinged_once_per_interval_by_one_sweep() -> None:
    options = {"ws_ping_interval": INTERVAL, "ws_ping_timeout": INTERVAL}
    async with serving(holds_sockets, **options) as address:
        async with clients(address, 40, answers_pings=True) as answering:
            await asyncio.sleep(INTERVAL * 5.5)
            sweep = ws_keepalive._sweeps[asyncio.get_running_loop()]
            sizes = [len(turn) for turn in sweep.turns]
            assert sum(sizes) == sweep.sockets == 40
            assert max(sizes) - min(sizes) <= 1  # spread over the ticks, not one burst
            for client in answering:
                assert not client.closed.is_set()
                # Once per interval (not once per tick, nor never); loose bounds for a
                # loaded machine's timers.
                assert 3 <= len(client.pings) <= 6, client.pings
                gaps = [b - a for a, b in zip(client.pings, client.pings[1:], strict=False)]
                assert all(INTERVAL * 0.5 < gap < INTERVAL * 2 for gap in gaps), gaps
        for _ in range(100):  # the server sees the sockets go
            if asyncio.get_running_loop() not in ws_keepalive._sweeps:
                break
            await asyncio.sleep(0.02)
        assert asyncio.get_running_loop() not in ws_keepalive._sweeps  # no timer left behind


async def test_a_peer_that_never_answers_is_closed_after_its_ping_times_out() -> None:
    options = {"ws_ping_interval": INTERVAL, "ws_ping_timeout": INTERVAL}
    async with (
        serving(holds_sockets, **options) as address,
        clients(address, 3, answers_pings=False) as silent,
        clients(address, 3, answers_pings=True) as answering,
    ):
        await asyncio.wait_for(asyncio.gather(*(c.closed.wait() for c in silent)), INTERVAL * 8)
        assert [c.closed_with for c in silent] == [1011] * 3
        assert [len(c.pings) for c in silent] == [1] * 3  # one ping, then the close
        assert not any(c.closed.is_set() for c in answering)


async def test_no_ping_when_the_interval_is_off() -> None:
    async with (
        serving(holds_sockets, ws_ping_interval=None) as address,
        clients(address, 2, answers_pings=True) as answering,
    ):
        await asyncio.sleep(0.3)
        assert asyncio.get_running_loop() not in ws_keepalive._sweeps
        assert [c.pings for c in answering] == [[], []]
