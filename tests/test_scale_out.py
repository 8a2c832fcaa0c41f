"""Scale-out as it runs in production: two API processes and one worker process on
PostgreSQL, the Redis bus between them, jobs external.

Customers check out through either API process and pay in "the browser" (localstripe); the
payment reaches us only through Stripe's webhook, sent to the first process. Merchants watch
their shop's live orders, one through each process. Then: every purchase was paid once,
every email sent once, every push delivered once, to its shop's socket only.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from otesaintjo.models import Order, OrderEvent, OrderEventKind, Purchase, PurchaseStatus
from otesaintjo.payments.offline.processes import OfflineStripe
from otesaintjo.schema.ids import encode_id
from tests.doubles.smtp import wait_until
from tests.support.api_processes import api_process
from tests.support.buying import Town, pay
from tests.support.graphql import GraphQLClient
from tests.support.orders import PLACED
from tests.support.worker_processes import worker_env, worker_process
from tests.support.ws import LiveClient, data

CUSTOMERS = 6
STATUS = """query($id: ID!) { node(id: $id) { ... on Purchase { status } } }"""

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


@pytest.fixture
def postgres_only(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("several processes share a database on PostgreSQL only (SQLite: one writer)")
    return database_url


async def test_two_api_processes_and_a_worker_sell_once_and_push_once(
    postgres_only, offline_stripe: OfflineStripe, mailbox, session_factory, tmp_path: Path
) -> None:
    env = worker_env(postgres_only, mailbox.url, tmp_path, event_bus="redis", jobs_poll_seconds=1)
    env |= offline_stripe.environment()
    async with (
        api_process(env, tmp_path) as first,
        api_process(env, tmp_path) as second,
        worker_process(env, tmp_path),
        httpx.AsyncClient(base_url=f"http://{first}", timeout=30) as via_first,
        httpx.AsyncClient(base_url=f"http://{second}", timeout=30) as via_second,
    ):
        offline_stripe.register_webhook(f"http://{first}/webhooks/stripe")
        clients = [GraphQLClient(via_first), GraphQLClient(via_second)]
        town = await Town(clients[1]).build()
        grocer = await LiveClient.connect(first, town.grocer_token)
        baker = await LiveClient.connect(second, town.baker_token)
        await grocer.subscribe("g", PLACED, {"s": town.grocer["id"]})
        await baker.subscribe("b", PLACED, {"s": town.bakery["id"]})

        async def one_customer(index: int) -> str:
            client = clients[index % 2]  # half check out through each process
            shopper = town.through(client)
            token = (await client.register(f"client{index}@example.re"))["accessToken"]
            await shopper.fill_cart(token, bread=1, rice=1)
            purchase = (await shopper.checkout(token))["purchase"]
            paid = await pay(offline_stripe, purchase["payment"]["clientSecret"])
            assert paid.status_code == 200
            return purchase["id"]

        purchase_ids = await asyncio.gather(*(one_customer(i) for i in range(CUSTOMERS)))

        async def all_paid() -> bool:
            async with session_factory() as session:
                paid = await session.scalar(
                    select(func.count())
                    .select_from(Purchase)
                    .where(Purchase.status == PurchaseStatus.PAID)
                )
            return paid == CUSTOMERS

        await wait_until(all_paid, timeout=60)

        pushed = {"grocer": [], "baker": []}
        for name, socket in (("grocer", grocer), ("baker", baker)):
            while len(pushed[name]) < CUSTOMERS:
                pushed[name].append(data(await socket.receive(timeout=20), "orderPlaced"))
            assert await socket.nothing_within(1.0)  # no duplicate, nothing else
            await socket.close()

    async with session_factory() as session:
        orders = (await session.execute(select(Order.id, Order.shop_id))).all()
        paid_events = Counter(
            (
                await session.execute(
                    select(OrderEvent.order_id).where(OrderEvent.kind == OrderEventKind.PLACED)
                )
            ).scalars()
        )
    assert len(orders) == 2 * CUSTOMERS
    # Paid once each: one PLACED event per order (written where the payment is settled).
    assert all(paid_events[order.id] == 1 for order in orders), paid_events
    by_shop = [
        sorted(encode_id("Order", o.id) for o in orders if o.shop_id == shop)
        for shop in {o.shop_id for o in orders}
    ]
    for name in ("grocer", "baker"):
        received = sorted(order["id"] for order in pushed[name])
        assert len(set(received)) == CUSTOMERS  # each pushed once
        assert received in by_shop  # and only the orders of this socket's shop
    # Each email once: one Message-ID per message, and one message per recipient and subject.
    await asyncio.sleep(2)  # a duplicate send would arrive now
    ids = Counter(message["Message-ID"] for message in mailbox.messages)
    assert all(count == 1 for count in ids.values()), ids
    sent = Counter((message["To"], message["Subject"]) for message in mailbox.messages)
    assert all(count == 1 for count in sent.values()), sent
    paid_mails = [m for m in mailbox.messages if m["To"].startswith("client")]
    assert len({m["To"] for m in paid_mails}) == CUSTOMERS
    assert len(purchase_ids) == CUSTOMERS
