"""The multi-shop cart through the API: anonymous token, checks, fulfilment, totals, merge."""

from __future__ import annotations

import time_machine

from tests.support.cart import ADD, CART_FIELDS, MONDAY_9, post, two_shops
from tests.support.merchants import add_product, merchant

UPDATE = f"""mutation($id: ID!, $q: Int!) {{ cartUpdateItem(input: {{productId: $id, quantity: $q}}) {{
  userErrors {{ field code }} {CART_FIELDS} }} }}"""
REMOVE = f"""mutation($id: ID!) {{ cartRemoveItem(input: {{productId: $id}}) {{
  userErrors {{ field code }} {CART_FIELDS} }} }}"""
FULFIL = f"""mutation($input: CartSetFulfilmentInput!) {{ cartSetFulfilment(input: $input) {{
  userErrors {{ field code }} {CART_FIELDS} }} }}"""
CART = f"{{ {CART_FIELDS} }}"


async def test_anonymous_cart_of_two_shops_with_pickup_and_delivery(client) -> None:
    with time_machine.travel(MONDAY_9, tick=False):
        bakery, grocer, bread, cake, ice = await two_shops(client)
        first = (await post(client, ADD, {"id": bread["id"], "q": 2}))["data"]["cartAddItem"]
        cart_token = first["cartToken"]
        assert cart_token and first["userErrors"] == []
        await post(client, ADD, {"id": cake["id"], "q": 1}, cart_token=cart_token)
        added = (await post(client, ADD, {"id": ice["id"], "q": 1}, cart_token=cart_token))["data"][
            "cartAddItem"
        ]
        assert added["cartToken"] is None  # the same cart
        cart = added["cart"]
        assert cart["itemsCount"] == 4 and cart["total"] == {"cents": 2600}
        shops = {s["shop"]["name"]: s for s in cart["shops"]}
        assert shops["Boulangerie"]["pickupReadyAt"] == "2026-11-23T11:00:00+04:00"
        assert (
            shops["Épicerie"]["pickupReadyAt"] is None and shops["Épicerie"]["deliverable"] is False
        )

        delivery = await post(
            client,
            FULFIL,
            {
                "input": {
                    "shopId": bakery["id"],
                    "mode": "DELIVERY",
                    "carrier": "MERCHANT",
                    "postcode": "97480",
                }
            },
            cart_token=cart_token,
        )
        payload = delivery["data"]["cartSetFulfilment"]
        assert payload["userErrors"] == []
        bakery_part = next(
            s for s in payload["cart"]["shops"] if s["shop"]["name"] == "Boulangerie"
        )
        assert {o["carrier"]: o["fee"]["cents"] for o in bakery_part["deliveryOptions"]} == {
            "MERCHANT": 350,
            "LA_POSTE": 590,
            "STUART": 790,
        }
        assert bakery_part["fulfilment"] == {"mode": "DELIVERY", "carrier": "MERCHANT"}
        assert bakery_part["subtotal"] == {"cents": 2000} and bakery_part["deliveryFee"] == {
            "cents": 350
        }
        assert bakery_part["total"] == {"cents": 2350}
        assert bakery_part["vat"] == [
            {"rate": "REDUCED", "amount": {"cents": 10}},
            {"rate": "NORMAL", "amount": {"cents": 145}},
        ]
        bad = await post(
            client,
            FULFIL,
            {
                "input": {
                    "shopId": bakery["id"],
                    "mode": "DELIVERY",
                    "carrier": "MERCHANT",
                    "postcode": "974",
                }
            },
            cart_token=cart_token,
        )
        assert bad["data"]["cartSetFulfilment"]["userErrors"] == [
            {"field": ["postcode"], "code": "INVALID_POSTCODE"}
        ]
        # The grocer's ice cream is pickup only, and the grocer publishes no pickup hours.
        refused = await post(
            client,
            FULFIL,
            {"input": {"shopId": grocer["id"], "mode": "DELIVERY", "carrier": "LA_POSTE"}},
            cart_token=cart_token,
        )
        assert refused["data"]["cartSetFulfilment"]["userErrors"] == [
            {"field": None, "code": "NOT_DELIVERABLE"}
        ]
        refused = await post(
            client,
            FULFIL,
            {"input": {"shopId": grocer["id"], "mode": "PICKUP"}},
            cart_token=cart_token,
        )
        assert refused["data"]["cartSetFulfilment"]["userErrors"] == [
            {"field": None, "code": "PICKUP_UNAVAILABLE"}
        ]
        # Free delivery above 30 € at the bakery.
        bigger = await post(client, UPDATE, {"id": cake["id"], "q": 2}, cart_token=cart_token)
        bakery_part = next(
            s
            for s in bigger["data"]["cartUpdateItem"]["cart"]["shops"]
            if s["shop"]["name"] == "Boulangerie"
        )
        assert bakery_part["deliveryFee"] == {"cents": 0} and bakery_part["total"] == {
            "cents": 3500
        }
        grand = bigger["data"]["cartUpdateItem"]["cart"]["total"]["cents"]
        assert grand == sum(
            s["total"]["cents"] for s in bigger["data"]["cartUpdateItem"]["cart"]["shops"]
        )


async def test_refusals(client) -> None:
    token, shop = await merchant(client)
    product = await add_product(client, token, shop["id"], stock=3)
    offline = await add_product(client, token, shop["id"], name="Retiré", online=False)
    empty = await add_product(client, token, shop["id"], name="Épuisé", stock=0)
    cases = [
        (product["id"], 0, "INVALID_QUANTITY"),
        (product["id"], 4, "INSUFFICIENT_STOCK"),
        (offline["id"], 1, "PRODUCT_UNAVAILABLE"),
        (empty["id"], 1, "INSUFFICIENT_STOCK"),
        ("UHJvZHVjdDo5OTk5", 1, "NOT_FOUND"),
    ]
    for product_id, quantity, code in cases:
        body = await post(client, ADD, {"id": product_id, "q": quantity})
        assert [e["code"] for e in body["data"]["cartAddItem"]["userErrors"]] == [code], code
    first = (await post(client, ADD, {"id": product["id"], "q": 2}))["data"]["cartAddItem"]
    again = await post(client, ADD, {"id": product["id"], "q": 2}, cart_token=first["cartToken"])
    assert (
        again["data"]["cartAddItem"]["userErrors"][0]["code"] == "INSUFFICIENT_STOCK"
    )  # 2 + 2 > 3
    removed = await post(client, REMOVE, {"id": product["id"]}, cart_token=first["cartToken"])
    assert removed["data"]["cartRemoveItem"]["cart"]["itemsCount"] == 0
    missing = await post(client, REMOVE, {"id": product["id"]}, cart_token=first["cartToken"])
    assert missing["data"]["cartRemoveItem"]["userErrors"][0]["code"] == "NOT_IN_CART"


async def test_anonymous_cart_merges_at_login_and_carts_are_private(client) -> None:
    token, shop = await merchant(client)
    product = await add_product(client, token, shop["id"], stock=10)
    other = await add_product(client, token, shop["id"], name="Autre")
    customer = await client.register("cliente@example.re")
    await post(client, ADD, {"id": product["id"], "q": 3}, token=customer["accessToken"])
    anonymous = (await post(client, ADD, {"id": product["id"], "q": 9}))["data"]["cartAddItem"][
        "cartToken"
    ]
    await post(client, ADD, {"id": other["id"], "q": 1}, cart_token=anonymous)
    login = await client.http.post(
        "/graphql",
        json={
            "query": 'mutation { login(input: {email: "cliente@example.re", password: "un-mot-de-passe-solide"}) { accessToken } }'
        },
        headers={"X-Cart-Token": anonymous},
    )
    access = login.json()["data"]["login"]["accessToken"]
    cart = (await post(client, CART, token=access))["data"]["cart"]
    quantities = {
        line["product"]["name"]: line["quantity"] for s in cart["shops"] for line in s["lines"]
    }
    assert quantities == {"Pain au levain": 10, "Autre": 1}  # 3 + 9 capped by the stock of 10
    assert (await post(client, CART, cart_token=anonymous))["data"]["cart"] is None  # merged away
    # Another customer, or no token at all, sees no cart.
    stranger = await client.register("autre@example.re")
    assert (await post(client, CART, token=stranger["accessToken"]))["data"]["cart"] is None
    assert (await post(client, CART))["data"]["cart"] is None
