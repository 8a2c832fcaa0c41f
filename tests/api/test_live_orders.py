"""Live orders over a real WebSocket against the running app (uvicorn on loopback)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import websockets
from sqlalchemy import func, select
from websockets.exceptions import ConnectionClosed

from otesaintjo.models import Job, OrderEvent
from tests.support.buying import Town, buy, ok, pay
from tests.support.orders import COLLECTED, PLACED, READY
from tests.support.ws import PROTOCOL, LiveClient, data

UPDATED = """subscription($o: ID!) { orderUpdated(orderId: $o) { id status pickupCode } }"""
EVENTS = """query($s: ID!, $after: ID) { orderEvents(shopId: $s, after: $after) {
  id sequence kind status order { id } } }"""
LOGOUT = "mutation { logout { userErrors { code } } }"


def error_code(message: dict[str, Any]) -> str:
    """A refusal comes as an ``error`` message (before execution) or a ``next`` with errors."""
    assert message["type"] in ("error", "next"), message
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    return errors[0]["extensions"]["code"]


async def test_merchant_gets_its_new_orders_only(client, live_server, offline_stripe) -> None:
    town = await Town(client).build()
    customer = await town.customer("client@example.re")
    grocer = await LiveClient.connect(live_server, town.grocer_token)
    await grocer.subscribe("1", PLACED, {"s": town.grocer["id"]})
    await grocer.nothing_within(0.3)  # subscribed, nothing yet

    only_bakery = await buy(client, offline_stripe, town, customer, bread=1, rice=0)
    assert [o["shop"]["id"] for o in only_bakery["orders"]] == [town.bakery["id"]]
    assert await grocer.nothing_within(1.0)

    both = await buy(client, offline_stripe, town, customer, bread=1, rice=2)
    pushed = data(await grocer.receive(), "orderPlaced")
    grocer_order = next(o for o in both["orders"] if o["shop"]["id"] == town.grocer["id"])
    assert pushed["id"] == grocer_order["id"]
    assert pushed["status"] == "PAID" and pushed["total"]["cents"] == 2 * 1200
    assert pushed["event"]["kind"] == "PLACED"
    assert await grocer.nothing_within(0.5)
    await grocer.close()


async def test_customer_follows_the_order(client, live_server, offline_stripe) -> None:
    town = await Town(client).build()
    customer = await town.customer("client@example.re")
    purchase = await buy(client, offline_stripe, town, customer, bread=0, rice=1)
    (order,) = purchase["orders"]
    live = await LiveClient.connect(live_server, customer)
    await live.subscribe("u", UPDATED, {"o": order["id"]})
    await live.nothing_within(0.3)
    await ok(client(READY, {"o": order["id"]}, token=town.grocer_token), "markOrderReady")
    ready = data(await live.receive(), "orderUpdated")
    assert ready["status"] == "READY_FOR_PICKUP" and len(ready["pickupCode"]) == 6
    await ok(
        client(COLLECTED, {"o": order["id"], "c": ready["pickupCode"]}, token=town.grocer_token),
        "markOrderCollected",
    )
    assert data(await live.receive(), "orderUpdated")["status"] == "COLLECTED"
    # Another customer may not follow it.
    stranger = await LiveClient.connect(live_server, await town.customer("autre@example.re"))
    await stranger.subscribe("x", UPDATED, {"o": order["id"]})
    assert error_code(await stranger.receive()) == "NOT_FOUND"
    await live.close()
    await stranger.close()


async def test_refusals(client, live_server) -> None:
    town = await Town(client).build()
    # Another shop: FORBIDDEN.
    baker = await LiveClient.connect(live_server, town.baker_token)
    await baker.subscribe("1", PLACED, {"s": town.grocer["id"]})
    assert error_code(await baker.receive()) == "FORBIDDEN"
    assert await baker.receive() == {"id": "1", "type": "complete"}
    # Anonymous: UNAUTHENTICATED.
    anonymous = await LiveClient.connect(live_server, None)
    await anonymous.subscribe("1", PLACED, {"s": town.grocer["id"]})
    assert error_code(await anonymous.receive()) == "UNAUTHENTICATED"
    # At most 10 subscriptions on one connection.
    for i in range(10):
        await baker.subscribe(f"s{i}", PLACED, {"s": town.bakery["id"]})
    await baker.subscribe("eleventh", PLACED, {"s": town.bakery["id"]})
    limit = await baker.receive()
    assert limit["type"] == "error" and limit["id"] == "eleventh"
    # Subscribing before connection_init: the protocol's 4401.
    async with websockets.connect(f"ws://{live_server}/graphql", subprotocols=[PROTOCOL]) as ws:
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": PLACED}}))
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd.code == 4401
    await baker.close()
    await anonymous.close()


async def test_logout_closes_the_socket(client, live_server) -> None:
    town = await Town(client).build()
    grocer = await LiveClient.connect(live_server, town.grocer_token)
    await grocer.subscribe("1", PLACED, {"s": town.grocer["id"]})
    await grocer.nothing_within(0.3)
    await ok(client(LOGOUT, token=town.grocer_token), "logout")
    with pytest.raises(ConnectionClosed) as closed:
        await grocer.receive(timeout=5)
    assert closed.value.rcvd.code == 4403


async def test_reconnect_with_after_gets_exactly_the_missed_events(
    client, live_server, offline_stripe
) -> None:
    town = await Town(client).build()
    customer = await town.customer("client@example.re")
    grocer = await LiveClient.connect(live_server, town.grocer_token)
    await grocer.subscribe("1", PLACED, {"s": town.grocer["id"]})
    await grocer.nothing_within(0.3)
    first = await buy(client, offline_stripe, town, customer, bread=0, rice=1)
    seen = data(await grocer.receive(), "orderPlaced")
    assert seen["id"] == first["orders"][0]["id"]
    await grocer.close()

    # Offline: two more orders, and a status change of the first (not an orderPlaced).
    missed = [await buy(client, offline_stripe, town, customer, bread=0, rice=1) for _ in range(2)]
    await ok(
        client(READY, {"o": first["orders"][0]["id"]}, token=town.grocer_token), "markOrderReady"
    )

    back = await LiveClient.connect(live_server, town.grocer_token)
    await back.subscribe("2", PLACED, {"s": town.grocer["id"], "after": seen["event"]["id"]})
    replayed = [data(await back.receive(), "orderPlaced") for _ in missed]
    assert [o["id"] for o in replayed] == [p["orders"][0]["id"] for p in missed]
    assert await back.nothing_within(0.5)
    # Then live, without duplicates.
    live = await buy(client, offline_stripe, town, customer, bread=0, rice=1)
    assert data(await back.receive(), "orderPlaced")["id"] == live["orders"][0]["id"]
    assert await back.nothing_within(0.5)
    await back.close()

    # The same catch-up by query: every event after k, in order, kinds included.
    body = await client(
        EVENTS, {"s": town.grocer["id"], "after": seen["event"]["id"]}, token=town.grocer_token
    )
    events = body["data"]["orderEvents"]
    assert [e["sequence"] for e in events] == list(
        range(seen["event"]["sequence"] + 1, seen["event"]["sequence"] + 5)
    )
    assert [e["kind"] for e in events] == ["PLACED", "PLACED", "UPDATED", "PLACED"]
    other = await client(EVENTS, {"s": town.grocer["id"]}, token=town.baker_token)
    assert other["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_rolled_back_payment_pushes_nothing(
    client, live_server, offline_stripe, session_factory, monkeypatch, mailbox, sms_gateway
) -> None:
    from otesaintjo.services.money import settlement

    town = await Town(client).build()
    customer = await town.customer("client@example.re")
    grocer = await LiveClient.connect(live_server, town.grocer_token)
    await grocer.subscribe("1", PLACED, {"s": town.grocer["id"]})
    await grocer.nothing_within(0.3)
    await town.fill_cart(customer, bread=0, rice=1)
    purchase = (await town.checkout(customer))["purchase"]
    await pay(offline_stripe, purchase["payment"]["clientSecret"])

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the disk is full")

    # The payment's transaction fails after the event and the alerts were written.
    monkeypatch.setattr(settlement, "empty_cart_of", broken)
    failed = await client.post(
        "mutation($id: ID!) { confirmPayment(input: {purchaseId: $id}) { purchase { id } } }",
        {"id": purchase["id"]},
        token=customer,
    )
    assert failed.json()["errors"]
    assert await grocer.nothing_within(1.0)
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(OrderEvent)) == 0
        kinds = set(await session.scalars(select(Job.kind)))
        assert "sms.send" not in kinds
    assert sms_gateway.messages == []
    monkeypatch.undo()
    # The next delivery (webhook or client) succeeds, once.
    await town.confirm(customer, purchase["id"])
    assert data(await grocer.receive(), "orderPlaced")["status"] == "PAID"
    assert (await sms_gateway.wait_for(1))[0]["to"] == "+262692112233"
    await grocer.close()


FROM_FIRST = """subscription($s: ID!, $from: Boolean!, $after: ID) {
  orderPlaced(shopId: $s, fromFirst: $from, after: $after) { id event { id sequence } } }"""


async def test_a_screen_that_saw_no_event_loses_no_order_paid_while_it_subscribes(
    client, live_server, offline_stripe, monkeypatch
) -> None:
    """« after: null » means from the server's now, which the client cannot see: an order
    paid while the subscription was on its way is old to it. ``fromFirst`` (a board that has
    seen none of the shop's events) replays from the first — past one read's worth too."""
    from otesaintjo.services import live_orders

    monkeypatch.setattr(live_orders, "MAX_REPLAY", 2)  # the server runs in this process
    town = await Town(client).build()
    customer = await town.customer("client@example.re")
    # Paid "while the subscriptions were on their way": before the server read the shop's log.
    early = [await buy(client, offline_stripe, town, customer, bread=0, rice=1) for _ in range(3)]
    early_ids = [p["orders"][0]["id"] for p in early]

    plain = await LiveClient.connect(live_server, town.grocer_token)
    await plain.subscribe("now", FROM_FIRST, {"s": town.grocer["id"], "from": False})
    assert await plain.nothing_within(0.5)  # null alone: those three are old
    screen = await LiveClient.connect(live_server, town.grocer_token)
    await screen.subscribe("first", FROM_FIRST, {"s": town.grocer["id"], "from": True})
    replayed = [data(await screen.receive(), "orderPlaced") for _ in early]
    assert [o["id"] for o in replayed] == early_ids
    assert [o["event"]["sequence"] for o in replayed] == [1, 2, 3]
    assert await screen.nothing_within(0.5)

    # Then live, once each, on both.
    later = await buy(client, offline_stripe, town, customer, bread=0, rice=1)
    for socket in (screen, plain):
        assert data(await socket.receive(), "orderPlaced")["id"] == later["orders"][0]["id"]
        assert await socket.nothing_within(0.3)

    # Both « after » and « fromFirst »: refused, never guessed.
    both = await LiveClient.connect(live_server, town.grocer_token)
    after = replayed[0]["event"]["id"]
    await both.subscribe("both", FROM_FIRST, {"s": town.grocer["id"], "from": True, "after": after})
    assert error_code(await both.receive()) == "BAD_USER_INPUT"
    # fromFirst does not open another shop's log.
    baker = await LiveClient.connect(live_server, town.baker_token)
    await baker.subscribe("x", FROM_FIRST, {"s": town.grocer["id"], "from": True})
    assert error_code(await baker.receive()) == "FORBIDDEN"
    for socket in (screen, plain, both, baker):
        await socket.close()
