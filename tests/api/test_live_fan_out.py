"""Live pushes at island scale (issue 13, point 3): what a push and an idle socket cost.

A shop's board open on several screens, several shops: the pushed order is read once per
event and process whatever the number of subscribers, and the sign-ins behind the sockets are
re-checked together, one statement per interval, whatever the number of sockets — while a
logout still closes its own sockets (and only them) within the interval."""

from __future__ import annotations

import asyncio

import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.buying import Town, buy, ok
from tests.support.orders import PLACED, READY
from tests.support.statements import count_statements
from tests.support.ws import LiveClient, data

LOGOUT = "mutation { logout { userErrors { code } } }"
INTERVAL = 0.2  # ws_session_check_seconds in the tests' settings (tests/conftest.py)
UPDATED = """subscription($o: ID!) { orderUpdated(orderId: $o) { id status } }"""


def push_reads(statements: list[str]) -> list[str]:
    """The statements that read a pushed order with its event and its shop's members."""
    return [s for s in statements if "order_event" in s and "shop_member" in s]


def sign_in_checks(statements: list[str]) -> list[str]:
    return [s for s in statements if "auth_session" in s]


async def screens(host: str, token: str, shop_id: str, count: int) -> list[LiveClient]:
    opened = []
    for _ in range(count):
        screen = await LiveClient.connect(host, token)
        await screen.subscribe("1", PLACED, {"s": shop_id})
        opened.append(screen)
    await asyncio.sleep(0.3)  # subscribed
    return opened


async def test_one_read_per_push_whatever_the_screens(
    app, client, live_server, offline_stripe
) -> None:
    town = await Town(client).build()
    customer = await town.customer("client@example.re")
    grocer = await screens(live_server, town.grocer_token, town.grocer["id"], 6)
    baker = await screens(live_server, town.baker_token, town.bakery["id"], 3)

    with count_statements(app.state.runtime.engine) as statements:
        both = await buy(client, offline_stripe, town, customer, bread=1, rice=1)
        pushed = {
            name: [data(await s.receive(), "orderPlaced") for s in group]
            for name, group in (("grocer", grocer), ("baker", baker))
        }
        await asyncio.sleep(0.3)  # any late read would be counted too
    by_shop = {o["shop"]["id"]: o["id"] for o in both["orders"]}
    assert {p["id"] for p in pushed["grocer"]} == {by_shop[town.grocer["id"]]}
    assert {p["id"] for p in pushed["baker"]} == {by_shop[town.bakery["id"]]}
    # 9 subscribers, 2 events: 2 reads (was one per subscriber: 9).
    assert len(push_reads(statements)) == 2, push_reads(statements)
    for screen in grocer + baker:
        assert await screen.nothing_within(0.2)
        await screen.close()


async def test_each_subscriber_is_still_checked_on_the_shared_read(
    client, live_server, offline_stripe
) -> None:
    """The customer and the shop's merchant follow the same order (one read per change); a
    stranger may not follow it, and the bakery's merchant does not get the grocer's order."""
    town = await Town(client).build()
    customer = await town.customer("client@example.re")
    purchase = await buy(client, offline_stripe, town, customer, bread=0, rice=1)
    (order,) = purchase["orders"]
    followers = []
    for token in (customer, town.grocer_token):
        live = await LiveClient.connect(live_server, token)
        await live.subscribe("u", UPDATED, {"o": order["id"]})
        followers.append(live)
    baker = await screens(live_server, town.baker_token, town.bakery["id"], 1)
    await asyncio.sleep(0.3)
    await ok(client(READY, {"o": order["id"]}, token=town.grocer_token), "markOrderReady")
    for live in followers:
        assert data(await live.receive(), "orderUpdated")["status"] == "READY_FOR_PICKUP"
    assert await baker[0].nothing_within(0.5)
    for live in [*followers, *baker]:
        await live.close()


async def test_sign_ins_are_checked_together_and_a_logout_closes_its_sockets_only(
    app, client, live_server, offline_stripe
) -> None:
    town = await Town(client).build()
    customer = await town.customer("client@example.re")
    second_screen = (await client.login("epicier@example.re"))["accessToken"]  # another sign-in
    leaving = await screens(live_server, town.grocer_token, town.grocer["id"], 4)
    staying = await screens(live_server, second_screen, town.grocer["id"], 2)
    baker = await screens(live_server, town.baker_token, town.bakery["id"], 3)

    # 9 sockets, 3 sign-ins: one statement per interval for all of them.
    with count_statements(app.state.runtime.engine) as statements:
        await asyncio.sleep(INTERVAL * 5)
    checks = len(sign_in_checks(statements))
    assert 3 <= checks <= 6, sign_in_checks(statements)  # ~5 intervals (was 3 per interval)

    await ok(client(LOGOUT, token=town.grocer_token), "logout")
    for screen in leaving:
        with pytest.raises(ConnectionClosed) as closed:
            await screen.receive(timeout=INTERVAL * 10)
        assert closed.value.rcvd.code == 4403

    both = await buy(client, offline_stripe, town, customer, bread=1, rice=1)
    by_shop = {o["shop"]["id"]: o["id"] for o in both["orders"]}
    for screen in staying:
        assert data(await screen.receive(), "orderPlaced")["id"] == by_shop[town.grocer["id"]]
    for screen in baker:
        assert data(await screen.receive(), "orderPlaced")["id"] == by_shop[town.bakery["id"]]
    for screen in staying + baker:
        await screen.close()
