"""The WebSocket endpoint speaks graphql-transport-ws and reads the token from connection_init."""

from __future__ import annotations

import json

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

PROTOCOL = "graphql-transport-ws"


async def _init(url: str, payload: dict | None) -> dict:
    async with websockets.connect(f"ws://{url}/graphql", subprotocols=[PROTOCOL]) as ws:
        assert ws.subprotocol == PROTOCOL
        await ws.send(json.dumps({"type": "connection_init", "payload": payload or {}}))
        return json.loads(await ws.recv())


async def test_connection_init_with_a_valid_token_is_acknowledged(client, live_server) -> None:
    token = (await client.register("lea@example.re"))["accessToken"]
    for key in ("authorization", "Authorization", "AUTHORIZATION"):
        assert await _init(live_server, {key: f"Bearer {token}"}) == {"type": "connection_ack"}


async def test_anonymous_connection_is_acknowledged(live_server) -> None:
    assert await _init(live_server, None) == {"type": "connection_ack"}


async def test_a_bad_token_closes_the_socket_with_4403(live_server) -> None:
    with pytest.raises(ConnectionClosed) as closed:
        await _init(live_server, {"authorization": "Bearer pas-un-jeton"})
    assert closed.value.rcvd.code == 4403


async def test_the_legacy_protocol_is_not_offered(live_server) -> None:
    with pytest.raises((InvalidStatus, ConnectionClosed, websockets.exceptions.NegotiationError)):
        async with websockets.connect(
            f"ws://{live_server}/graphql", subprotocols=["graphql-ws"]
        ) as ws:
            await ws.recv()


async def test_the_websocket_origin_check_uses_the_cors_list(live_server) -> None:
    """A storefront on an allowed origin may subscribe; a page elsewhere is refused."""
    async with websockets.connect(
        f"ws://{live_server}/graphql", subprotocols=[PROTOCOL], origin="http://localhost:5173"
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await ws.recv()) == {"type": "connection_ack"}
    with pytest.raises((InvalidStatus, ConnectionClosed)):
        async with websockets.connect(
            f"ws://{live_server}/graphql", subprotocols=[PROTOCOL], origin="https://evil.example"
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            await ws.recv()
