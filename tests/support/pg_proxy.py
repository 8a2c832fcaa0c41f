"""A TCP proxy in front of PostgreSQL that counts round trips.

A round trip is a burst of bytes from the client after the server last spoke: asyncpg
pipelines Parse/Bind/Execute/Sync in one write, so one statement is one trip, and a BEGIN,
a pre-ping or a ROLLBACK each add one. Connections opened while counting count their
start-up trips too.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class RoundTrips:
    count: int = 0
    connections: int = 0
    _client_spoke_last: dict[int, bool] = field(default_factory=dict)

    def client_sent(self, connection: int, data: bytes = b"") -> None:
        if not self._client_spoke_last.get(connection, False):
            self.count += 1
        self._client_spoke_last[connection] = True

    def server_sent(self, connection: int, data: bytes = b"") -> None:
        self._client_spoke_last[connection] = False


@asynccontextmanager
async def counting_proxy(host: str, port: int) -> AsyncIterator[tuple[int, RoundTrips]]:
    """Listen on a free local port; yield it with the running count."""
    trips = RoundTrips()
    tasks: set[asyncio.Task[None]] = set()

    async def pump(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, on_data, connection: int
    ) -> None:
        try:
            while data := await reader.read(65536):
                on_data(connection, data)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def accept(client_reader, client_writer) -> None:
        trips.connections += 1
        connection = trips.connections
        server_reader, server_writer = await asyncio.open_connection(host, port)
        for task in (
            pump(client_reader, server_writer, trips.client_sent, connection),
            pump(server_reader, client_writer, trips.server_sent, connection),
        ):
            running = asyncio.ensure_future(task)
            tasks.add(running)
            running.add_done_callback(tasks.discard)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], trips
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
