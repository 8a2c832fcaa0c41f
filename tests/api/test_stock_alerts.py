"""Stock alerts (issue 14, point 7): the merchant's threshold, one email when a sale (or an
edit) takes the stock to it or below, re-armed once the stock is back above it; "offline at
0" takes a product offline in the transaction of the sale that empties it, and brings it
back when the stock comes back. Each alert is one outbox job, sent once, through the real
SMTP server of the tests."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, update

from otesaintjo.clock import utcnow
from otesaintjo.models import Job
from otesaintjo.services.checkout import EXPIRE_JOB
from otesaintjo.services.stock_alerts import STOCK_ALERT_JOB
from tests.doubles.smtp import wait_until
from tests.support.buying import Town, jobs_done, ok

UPDATE = """mutation($input: UpdateProductInput!) { updateProduct(input: $input) {
  product { stock isOnline lowStockThreshold offlineAtZero } userErrors { field code } } }"""
SET_ONLINE = """mutation($id: ID!, $online: Boolean!) {
  setProductOnline(input: {productId: $id, online: $online}) { userErrors { code } } }"""
PRODUCT = """query($id: ID!) { node(id: $id) { ... on Product {
  stock isOnline available lowStockThreshold offlineAtZero } } }"""
LISTING = """query($shop: ID!) { products(shopId: $shop, first: 10) {
  edges { node { name stock } } } }"""
CREATE = """mutation($input: CreateProductInput!) { createProduct(input: $input) {
  product { id lowStockThreshold offlineAtZero } userErrors { field code } } }"""


def alerts(mailbox) -> list:
    return [m for m in mailbox.messages if m["Subject"].startswith("Stock bas")]


async def settle(app, session_factory) -> None:
    """Every stock alert job written so far has run."""
    app.state.runtime.worker.wake()
    await wait_until(lambda: jobs_done(session_factory, STOCK_ALERT_JOB))


async def set_rice(town: Town, **fields) -> dict:
    return (
        await ok(
            town.client(
                UPDATE,
                {"input": {"productId": town.rice["id"], **fields}},
                token=town.grocer_token,
            ),
            "updateProduct",
        )
    )["product"]


async def rice_buyer(town: Town, email: str = "client@example.re", rice: int = 1) -> str:
    """A customer whose cart holds ``rice`` rice to collect: each checkout takes them."""
    token = await town.customer(email)
    await town.fill_cart(token, bread=0, rice=rice)
    return token


async def sell(town: Town, token: str) -> None:
    assert (await town.checkout(token))["userErrors"] == []


async def test_one_email_when_sales_cross_the_threshold_then_again_after_a_restock(
    app, client, session_factory, mailbox
) -> None:
    town = await Town(client).build(stock=5)
    assert await set_rice(town, lowStockThreshold=3) == {
        "stock": 5,
        "isOnline": True,
        "lowStockThreshold": 3,
        "offlineAtZero": False,
    }
    buyer = await rice_buyer(town)
    await sell(town, buyer)  # 4: above the threshold
    await settle(app, session_factory)
    assert alerts(mailbox) == []

    for _ in range(3):  # 3 (crossing), 2, 1: below it, nothing more
        await sell(town, buyer)
    await settle(app, session_factory)
    (alert,) = alerts(mailbox)
    assert alert["Subject"] == "Stock bas : Riz, il en reste 3"
    assert alert["To"] == "epicerie@example.re"  # the shop's address, as the new-order recap
    body = alert.get_body(("plain",)).get_content()
    assert "Il ne reste que 3 « Riz » chez Épicerie Hoarau (votre seuil d'alerte : 3)" in body
    assert "https://otesaintjo.test/commercant" in body
    async with session_factory() as session:
        assert (
            len((await session.scalars(select(Job).where(Job.kind == STOCK_ALERT_JOB))).all()) == 1
        )

    # A restock above the threshold re-arms the alert; it does not send one.
    await set_rice(town, stock=4)
    await settle(app, session_factory)
    assert len(alerts(mailbox)) == 1
    await sell(town, buyer)  # 3 again: a new fall
    await sell(town, buyer)
    await settle(app, session_factory)
    assert [m["Subject"] for m in alerts(mailbox)] == ["Stock bas : Riz, il en reste 3"] * 2


async def test_a_merchant_edit_that_takes_the_stock_below_the_threshold_alerts(
    app, client, session_factory, mailbox
) -> None:
    town = await Town(client).build(stock=50)
    await set_rice(town, lowStockThreshold=10)
    await set_rice(town, stock=12)  # still above
    await set_rice(town, stock=8)  # below: one email
    await set_rice(town, stock=7)  # still below: none
    await set_rice(town, lowStockThreshold=9)  # still low under the new threshold: none
    await settle(app, session_factory)
    assert [m["Subject"] for m in alerts(mailbox)] == ["Stock bas : Riz, il en reste 8"]
    await set_rice(town, lowStockThreshold=None)  # no alert any more
    await set_rice(town, stock=2)
    await set_rice(town, lowStockThreshold=5)  # a threshold set above the stock: it is low now
    await settle(app, session_factory)
    assert [m["Subject"] for m in alerts(mailbox)][1:] == ["Stock bas : Riz, il en reste 2"]


async def test_the_sale_that_empties_a_product_takes_it_offline_and_says_so(
    app, client, session_factory, mailbox
) -> None:
    town = await Town(client).build(stock=3)
    await set_rice(town, offlineAtZero=True)  # and no threshold: only the emptying tells
    listing = {"shop": town.grocer["id"]}
    assert [
        e["node"]["name"] for e in (await client(LISTING, listing))["data"]["products"]["edges"]
    ] == ["Riz"]
    buyer = await rice_buyer(town, rice=2)
    await sell(town, buyer)  # 1 left: still online, no email
    assert (await client(LISTING, listing))["data"]["products"]["edges"][0]["node"]["stock"] == 1
    other = await rice_buyer(town, "autre@example.re", rice=1)
    await sell(town, other)  # the last one

    # Gone from the (cached) anonymous listing at once, and for visitors; offline for its merchant.
    assert (await client(LISTING, listing))["data"]["products"]["edges"] == []
    assert (await client(PRODUCT, {"id": town.rice["id"]}))["data"]["node"] is None
    seen = (await client(PRODUCT, {"id": town.rice["id"]}, token=town.grocer_token))["data"]
    assert seen["node"] == {
        "stock": 0,
        "isOnline": False,
        "available": False,
        "lowStockThreshold": None,
        "offlineAtZero": True,
    }
    await settle(app, session_factory)
    (alert,) = alerts(mailbox)
    assert alert["Subject"] == "Stock bas : Riz, il en reste 0 (mis hors ligne)"
    assert "il a été mis hors ligne automatiquement" in alert.get_body(("plain",)).get_content()

    # The last unit's checkout is never paid: its stock comes back, and so does the product.
    async with session_factory() as session, session.begin():
        await session.execute(update(Job).where(Job.kind == EXPIRE_JOB).values(run_at=utcnow()))
    app.state.runtime.worker.wake()
    await wait_until(lambda: jobs_done(session_factory, EXPIRE_JOB))
    seen = (await client(PRODUCT, {"id": town.rice["id"]}, token=town.grocer_token))["data"]
    assert seen["node"]["stock"] == 3 and seen["node"]["isOnline"] is True
    assert (await client(LISTING, listing))["data"]["products"]["edges"][0]["node"]["stock"] == 3
    assert len(alerts(mailbox)) == 1


async def test_a_threshold_and_the_switch_together_send_one_email(
    app, client, session_factory, mailbox
) -> None:
    town = await Town(client).build(stock=4)
    await set_rice(town, lowStockThreshold=5, offlineAtZero=True)  # 4 ≤ 5: low already
    await settle(app, session_factory)
    assert len(alerts(mailbox)) == 1
    buyer = await rice_buyer(town, rice=4)
    await sell(town, buyer)  # still low (no second low alert), but emptied: offline, told
    await settle(app, session_factory)
    assert [m["Subject"] for m in alerts(mailbox)] == [
        "Stock bas : Riz, il en reste 4",
        "Stock bas : Riz, il en reste 0 (mis hors ligne)",
    ]
    # The merchant restocks by hand: back online, above the threshold again.
    assert await set_rice(town, stock=20) == {
        "stock": 20,
        "isOnline": True,
        "lowStockThreshold": 5,
        "offlineAtZero": True,
    }
    # Offline by hand stays offline whatever the stock does.
    await ok(
        client(SET_ONLINE, {"id": town.rice["id"], "online": False}, token=town.grocer_token),
        "setProductOnline",
    )
    assert (await set_rice(town, stock=30))["isOnline"] is False


async def test_concurrent_sales_across_the_threshold_send_one_email(
    app, client, session_factory, mailbox
) -> None:
    town = await Town(client).build(stock=12)
    await set_rice(town, lowStockThreshold=5)
    buyers = [await rice_buyer(town, f"client{n}@example.re") for n in range(12)]
    results = await asyncio.gather(*(town.checkout(token) for token in buyers))
    assert all(r["userErrors"] == [] for r in results), results
    await settle(app, session_factory)
    assert [m["Subject"] for m in alerts(mailbox)] == ["Stock bas : Riz, il en reste 5"]


async def test_only_the_shops_merchants_set_or_see_the_alerts(client, session_factory) -> None:
    town = await Town(client).build()
    change = {"input": {"productId": town.rice["id"], "lowStockThreshold": 3}}
    # The baker runs another shop; a customer runs none; anonymous is not signed in.
    refused = await client(UPDATE, change, token=town.baker_token)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    customer = await town.customer("client@example.re")
    refused = await client(UPDATE, change, token=customer)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    refused = await client(UPDATE, change)
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await set_rice(town, lowStockThreshold=3, offlineAtZero=True))["lowStockThreshold"] == 3
    for token in (town.baker_token, customer, None):
        seen = (await client(PRODUCT, {"id": town.rice["id"]}, token=token))["data"]["node"]
        assert (seen["lowStockThreshold"], seen["offlineAtZero"]) == (None, None)

    bad = await client(
        UPDATE,
        {"input": {"productId": town.rice["id"], "lowStockThreshold": -1}},
        token=town.grocer_token,
    )
    assert bad["data"]["updateProduct"]["userErrors"] == [
        {"field": ["lowStockThreshold"], "code": "INVALID_STOCK"}
    ]
    created = await ok(
        client(
            CREATE,
            {
                "input": {
                    "shopId": town.grocer["id"],
                    "name": "Vanille",
                    "priceCents": 900,
                    "stock": 2,
                    "lowStockThreshold": 5,
                    "offlineAtZero": True,
                }
            },
            token=town.grocer_token,
        ),
        "createProduct",
    )
    assert (created["product"]["lowStockThreshold"], created["product"]["offlineAtZero"]) == (
        5,
        True,
    )
    refused = await client(
        CREATE,
        {
            "input": {
                "shopId": town.grocer["id"],
                "name": "X",
                "priceCents": 1,
                "lowStockThreshold": 1,
            }
        },
        token=town.baker_token,
    )
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
