"""Buying through the public API, against localstripe and the Connect double (real processes).

The whole path: two shops, one cart, pickup at one and delivery from the other, checkout,
payment as Stripe.js makes it, the signed webhook, orders PAID, each shop's transfer, then
ready → collected with the code, shipped → delivered.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import func, select

from otesaintjo.models import Job, Product, Purchase
from otesaintjo.payments.offline.processes import OFFLINE_API_KEY
from otesaintjo.services.checkout import EXPIRE_JOB
from tests.doubles.smtp import wait_until
from tests.support.buying import CHECKOUT, ORDER_FIELDS, Town, intent_id, ok, pay
from tests.support.graphql import pk_of
from tests.support.orders import COLLECTED, DELIVERED, READY, SHIPPED, SHOP_ORDERS
from tests.support.payouts import ONBOARD, enable_payouts

STRIPE = {"Authorization": f"Bearer {OFFLINE_API_KEY}"}
MY_ORDERS = f"{{ viewer {{ orders {{ totalCount edges {{ node {{ {ORDER_FIELDS} }} }} }} }} }}"


async def transfers_of(offline, session_factory, purchase_id: str) -> list[dict[str, Any]]:
    """The transfers of this purchase on the double: its group, from its charge (groups repeat
    across tests, since ids restart with each test's database)."""
    async with session_factory() as session:
        purchase = await session.get(Purchase, pk_of(purchase_id))
        assert purchase is not None and purchase.charge_id
    async with httpx.AsyncClient(headers=STRIPE) as http:
        response = await http.get(
            f"{offline.connect_base}/v1/transfers",
            params={"transfer_group": f"purchase_{purchase.id}", "limit": 100},
        )
    return [t for t in response.json()["data"] if t["source_transaction"] == purchase.charge_id]


async def test_the_whole_path(
    client, offline_stripe, stripe_webhooks, mailbox, session_factory
) -> None:
    town = await Town(client).build()
    # The bakery is ready for payouts; the grocer has not sent its documents yet.
    assert (await enable_payouts(client, town.baker_token, town.bakery["id"]))["status"] == (
        "ENABLED"
    )
    token = await town.customer("client@example.re")
    await town.fill_cart(token, bread=2, rice=1)

    placed = await town.checkout(token)
    assert placed["userErrors"] == []
    purchase = placed["purchase"]
    assert purchase["status"] == "PENDING_PAYMENT"
    assert purchase["total"]["cents"] == 2 * 250 + 350 + 1200
    delivered, collected = purchase["orders"]
    assert (delivered["fulfilment"]["mode"], collected["fulfilment"]["mode"]) == (
        "DELIVERY",
        "PICKUP",
    )
    assert [o["status"] for o in purchase["orders"]] == ["PENDING_PAYMENT"] * 2

    response = await pay(offline_stripe, purchase["payment"]["clientSecret"])
    assert response.json()["status"] == "succeeded"

    # No confirmPayment call: localstripe's signed webhook alone marks the orders paid.
    async def paid() -> bool:
        body = await client(MY_ORDERS, token=token)
        return all(e["node"]["status"] == "PAID" for e in body["data"]["viewer"]["orders"]["edges"])

    await wait_until(paid, timeout=15)
    await mailbox.wait_for_subject("Votre commande est confirmée")

    # The bakery's share left at once: total minus 10 % commission, from the real charge.
    async def bakery_paid() -> bool:
        return len(await transfers_of(offline_stripe, session_factory, purchase["id"])) == 1

    await wait_until(bakery_paid, timeout=10)
    (bakery_transfer,) = await transfers_of(offline_stripe, session_factory, purchase["id"])
    assert bakery_transfer["amount"] == 850 - 85
    assert bakery_transfer["source_transaction"].startswith("ch_")

    # The grocer finishes onboarding on Stripe: account.updated → its transfer goes out.
    grocer = (await client(SHOP_ORDERS, {"s": town.grocer["id"]}, token=town.grocer_token))["data"][
        "node"
    ]
    assert grocer["payouts"]["status"] == "NOT_STARTED"
    await ok(
        client(ONBOARD, {"s": town.grocer["id"]}, token=town.grocer_token),
        "startPayoutOnboarding",
    )
    account = await _account_of(session_factory, town.grocer["id"])
    async with httpx.AsyncClient() as http:
        (
            await http.post(f"{offline_stripe.connect_base}/_double/accounts/{account}/complete")
        ).raise_for_status()

    async def both_paid() -> bool:
        return len(await transfers_of(offline_stripe, session_factory, purchase["id"])) == 2

    await wait_until(both_paid, timeout=15)
    amounts = sorted(
        t["amount"] for t in await transfers_of(offline_stripe, session_factory, purchase["id"])
    )
    assert amounts == sorted([850 - 85, 1200 - 120])

    # The grocer's merchant prepares the order; the customer gets a code by email and in the API.
    order_id = collected["id"]
    ready = await ok(client(READY, {"o": order_id}, token=town.grocer_token), "markOrderReady")
    assert ready["order"]["status"] == "READY_FOR_PICKUP"
    assert ready["order"]["pickupCode"] is None  # the merchant never sees it
    mine = (await client(MY_ORDERS, token=token))["data"]["viewer"]["orders"]["edges"]
    code = next(e["node"]["pickupCode"] for e in mine if e["node"]["id"] == order_id)
    assert code and len(code) == 6
    (email,) = await mailbox.wait_for_subject("Votre commande vous attend chez Épicerie Hoarau")
    assert code in email.get_body(("plain",)).get_content()
    wrong = await client(COLLECTED, {"o": order_id, "c": "000000" if code != "000000" else "1"})
    assert "errors" in wrong  # anonymous: refused before anything
    bad = await client(
        COLLECTED,
        {"o": order_id, "c": "999999" if code != "999999" else "1"},
        token=town.grocer_token,
    )
    assert bad["data"]["markOrderCollected"]["userErrors"] == [
        {"field": ["pickupCode"], "code": "INVALID_PICKUP_CODE"}
    ]
    done = await ok(
        client(COLLECTED, {"o": order_id, "c": code}, token=town.grocer_token),
        "markOrderCollected",
    )
    assert done["order"]["status"] == "COLLECTED"

    # The bakery delivers.
    shipped = await ok(
        client(SHIPPED, {"o": delivered["id"]}, token=town.baker_token), "markOrderShipped"
    )
    assert shipped["order"]["fulfilment"]["trackingNumber"] == "6A123456789"
    await mailbox.wait_for_subject("Votre commande Boulangerie du Centre est en route")
    finished = await ok(
        client(DELIVERED, {"o": delivered["id"]}, token=town.baker_token), "markOrderDelivered"
    )
    assert finished["order"]["status"] == "DELIVERED"


async def _account_of(session_factory, shop_global_id: str) -> str:
    """The connected account the app created for a shop."""
    from otesaintjo.models import Shop

    async with session_factory() as session:
        shop = await session.get(Shop, pk_of(shop_global_id))
        assert shop is not None and shop.stripe_account_id
        return shop.stripe_account_id


async def test_same_key_same_cart_gives_the_same_purchase(client, session_factory) -> None:
    town = await Town(client).build()
    token = await town.customer("client@example.re")
    await town.fill_cart(token)
    first = await town.checkout(token, key="clé-1")
    again = await town.checkout(token, key="clé-1")
    assert again["purchase"]["id"] == first["purchase"]["id"]
    assert again["purchase"]["payment"] == first["purchase"]["payment"]
    # The cart changes: the same key is now refused, and nothing new is reserved.
    await town.fill_cart(token, bread=1, rice=0)
    other = await town.checkout(token, key="clé-1")
    assert other["purchase"] is None
    assert [e["code"] for e in other["userErrors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Purchase)) == 1
        bread = await session.get(Product, pk_of(town.bread["id"]))
        assert bread is not None and bread.stock == 100 - 2


async def test_twenty_parallel_calls_with_one_key_make_one_purchase(
    client, session_factory, offline_stripe
) -> None:
    offline_stripe.forget_payments()
    town = await Town(client).build()
    token = await town.customer("client@example.re")
    await town.fill_cart(token)
    results = await asyncio.gather(*[town.checkout(token, key="même-clé") for _ in range(20)])
    assert all(r["userErrors"] == [] for r in results), results
    assert len({r["purchase"]["id"] for r in results}) == 1
    assert len({r["purchase"]["payment"]["clientSecret"] for r in results}) == 1
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Purchase)) == 1
        bread = await session.get(Product, pk_of(town.bread["id"]))
        assert bread is not None and bread.stock == 100 - 2  # reserved once
        purchase_pk = await session.scalar(select(Purchase.id))
    # localstripe holds exactly one PaymentIntent for this purchase.
    async with httpx.AsyncClient(headers=STRIPE) as http:
        intents = (
            await http.get(f"{offline_stripe.api_base}/v1/payment_intents", params={"limit": 100})
        ).json()["data"]
    assert [i["metadata"]["purchase_id"] for i in intents] == [str(purchase_pk)]


async def test_declined_card_leaves_the_orders_payable(client, offline_stripe) -> None:
    town = await Town(client).build()
    token = await town.customer("client@example.re")
    await town.fill_cart(token)
    purchase = (await town.checkout(token))["purchase"]
    secret = purchase["payment"]["clientSecret"]
    declined = await pay(offline_stripe, secret, "pm_card_chargeCustomerFail")
    assert declined.status_code == 402
    after = await town.confirm(token, purchase["id"])
    assert after["purchase"]["status"] == "PENDING_PAYMENT"
    assert after["purchase"]["payment"]["error"] == "Your card was declined."
    assert after["purchase"]["payment"]["clientSecret"] == secret  # pay again, same intent
    assert all(o["viewerCanCancel"] for o in after["purchase"]["orders"])
    assert [o["status"] for o in after["purchase"]["orders"]] == ["PENDING_PAYMENT"] * 2
    # Stripe keeps the intent payable. (localstripe then refuses a second confirm on it — a
    # bug of the fake, not of Stripe: the retry itself is covered by the live tests.)
    async with httpx.AsyncClient(headers=STRIPE) as http:
        state = (
            await http.get(f"{offline_stripe.api_base}/v1/payment_intents/{intent_id(secret)}")
        ).json()
    assert state["status"] == "requires_payment_method"


async def test_paying_empties_the_cart_and_confirming_again_changes_nothing(
    client, offline_stripe
) -> None:
    town = await Town(client).build()
    token = await town.customer("client@example.re")
    await town.fill_cart(token)
    purchase = (await town.checkout(token))["purchase"]
    assert (await pay(offline_stripe, purchase["payment"]["clientSecret"])).status_code == 200
    paid = await town.confirm(token, purchase["id"])
    assert paid["purchase"]["status"] == "PAID"
    assert paid["purchase"]["payment"]["clientSecret"] is None
    assert [o["status"] for o in paid["purchase"]["orders"]] == ["PAID", "PAID"]
    assert not any(o["viewerCanCancel"] for o in paid["purchase"]["orders"])
    pickup = paid["purchase"]["orders"][1]["fulfilment"]
    assert pickup["mode"] == "PICKUP" and pickup["readyBy"]
    again = await town.confirm(token, purchase["id"])
    assert again["purchase"] == paid["purchase"]
    cart = await client("{ cart { itemsCount } }", token=token)
    assert cart["data"]["cart"]["itemsCount"] == 0
    # Retrying checkout with the same key after paying answers with that purchase.
    retried = await town.checkout(token, key=None)
    assert [e["code"] for e in retried["userErrors"]] == ["EMPTY_CART"]


async def test_unpaid_checkout_expires_and_releases_stock(
    client, app, session_factory, offline_stripe
) -> None:
    town = await Town(client).build(stock=5)
    token = await town.customer("client@example.re")
    await town.fill_cart(token, bread=2, rice=1)
    purchase = (await town.checkout(token))["purchase"]
    async with session_factory() as session:
        assert (await session.get(Product, pk_of(town.bread["id"]))).stock == 3  # type: ignore[union-attr]
        # 30 minutes later: the durable job is due (it was written with the purchase).
        job = (await session.execute(select(Job).where(Job.kind == EXPIRE_JOB))).scalar_one()
        assert (job.run_at - (await session.scalar(select(Purchase.created_at)))).seconds == 1800
        job.run_at = job.created_at
        await session.commit()
    app.state.runtime.worker.wake()

    async def cancelled() -> bool:
        async with session_factory() as session:
            return await session.scalar(select(Purchase.status)) == "CANCELLED"

    await wait_until(cancelled, timeout=10)
    async with session_factory() as session:
        assert (await session.get(Product, pk_of(town.bread["id"]))).stock == 5  # type: ignore[union-attr]
        assert (await session.get(Product, pk_of(town.rice["id"]))).stock == 5  # type: ignore[union-attr]
    body = await client(MY_ORDERS, token=token)
    assert {e["node"]["status"] for e in body["data"]["viewer"]["orders"]["edges"]} == {"CANCELLED"}
    # The PaymentIntent was cancelled at Stripe: a late payment cannot go through.
    async with httpx.AsyncClient(headers=STRIPE) as http:
        pi = intent_id(purchase["payment"]["clientSecret"])
        state = (await http.get(f"{offline_stripe.api_base}/v1/payment_intents/{pi}")).json()
    assert state["status"] == "canceled"


async def test_checkout_refusals(client) -> None:
    town = await Town(client).build()
    token = await town.customer("client@example.re")
    empty = await town.checkout(token)
    assert [e["code"] for e in empty["userErrors"]] == ["EMPTY_CART"]
    await client(
        """mutation($id: ID!) { cartAddItem(input: {productId: $id, quantity: 1}) {
           userErrors { code } } }""",
        {"id": town.bread["id"]},
        token=token,
    )
    undecided = await town.checkout(token)
    assert [e["code"] for e in undecided["userErrors"]] == ["FULFILMENT_REQUIRED"]
    await town.fill_cart(token, bread=1, rice=0)
    no_address = await town.checkout(token, address=None)
    assert [e["code"] for e in no_address["userErrors"]] == ["ADDRESS_REQUIRED"]
    elsewhere = {"street": "1 rue", "postcode": "97410", "town": "Saint-Pierre"}
    moved = await town.checkout(token, address=elsewhere)
    assert moved["userErrors"] == [
        {
            "field": ["address", "postcode"],
            "code": "INVALID_POSTCODE",
            "message": moved["userErrors"][0]["message"],
        }
    ]
    bad_phone = await town.checkout(token, contactPhone="12")
    assert [e["field"] for e in bad_phone["userErrors"]] == [["contactPhone"]]
    anonymous = await client(
        CHECKOUT, {"input": {"idempotencyKey": "k", "contactPhone": "0692123456"}}
    )
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
