"""What a storefront on its own origin needs: CORS, the cart kept at sign-up, delivery options
before a carrier is chosen (with the real reason of a refusal), and human order numbers."""

from __future__ import annotations

import time_machine

from tests.support.buying import Town, ok
from tests.support.cart import ADD, CART_FIELDS, MONDAY_9, post, two_shops
from tests.support.graphql import REGISTER

POSTCODE = """mutation($p: String!) { cartSetDeliveryPostcode(input: {postcode: $p}) {
  userErrors { field code message } cart { deliveryPostcode shops { shop { name }
    deliveryOptions { carrier label fee { cents } regularFee { cents } free
                       estimatedDelivery { earliest latest } } } } } }"""
FULFIL = """mutation($input: CartSetFulfilmentInput!) { cartSetFulfilment(input: $input) {
  userErrors { field code message } cart { shops { shop { name } fulfilment { mode carrier } } } } }"""
ORDER_BY_NUMBER = """query($n: String!) { order(number: $n) { number status statusLabel
  shop { name } fulfilment { modeLabel carrierLabel } } }"""
ORIGIN = "http://localhost:5173"


async def test_register_keeps_the_visitors_cart(client) -> None:
    _, _, bread, cake, _ = await two_shops(client)
    first = (await post(client, ADD, {"id": bread["id"], "q": 2}))["data"]["cartAddItem"]
    await post(client, ADD, {"id": cake["id"], "q": 1}, cart_token=first["cartToken"])
    data = {"email": "nouveau@example.re", "password": "un-mot-de-passe-solide"}
    data |= {"firstName": "Noé", "lastName": "Payet"}
    registered = await post(client, REGISTER, {"input": data}, cart_token=first["cartToken"])
    token = registered["data"]["register"]["accessToken"]
    cart = (await post(client, f"{{ {CART_FIELDS} }}", token=token))["data"]["cart"]
    assert cart["itemsCount"] == 3
    assert {line["product"]["name"] for s in cart["shops"] for line in s["lines"]} == {
        "Pain",
        "Gâteau",
    }
    # The anonymous cart is gone: its token no longer finds anything.
    assert (await post(client, "{ cart { id } }", cart_token=first["cartToken"]))["data"] == {
        "cart": None
    }


async def test_delivery_options_are_listed_before_a_carrier_is_chosen(client) -> None:
    with time_machine.travel(MONDAY_9, tick=False):
        bakery, _, bread, cake, _ = await two_shops(client)
        token = (await client.register("client@example.re"))["accessToken"]
        await ok(client(ADD, {"id": bread["id"], "q": 2}, token=token), "cartAddItem")
        # No postcode yet: nothing can be listed, and delivery says why.
        refused = await client(
            FULFIL, {"input": {"shopId": bakery["id"], "mode": "DELIVERY"}}, token=token
        )
        (error,) = refused["data"]["cartSetFulfilment"]["userErrors"]
        assert error["code"] == "POSTCODE_REQUIRED" and error["field"] == ["postcode"]

        listed = await ok(client(POSTCODE, {"p": "97480"}, token=token), "cartSetDeliveryPostcode")
        assert listed["cart"]["deliveryPostcode"] == "97480"
        (shop,) = listed["cart"]["shops"]
        options = {o["carrier"]: o for o in shop["deliveryOptions"]}
        assert set(options) == {"MERCHANT", "LA_POSTE", "STUART"}
        assert options["LA_POSTE"]["label"] == "La Poste"
        assert options["LA_POSTE"]["fee"] == {"cents": 590} and not options["LA_POSTE"]["free"]
        assert options["MERCHANT"]["fee"] == {"cents": 350}
        # Estimates in working days from Monday 23 November (Réunion time).
        assert options["STUART"]["estimatedDelivery"] == {
            "earliest": "2026-11-23",
            "latest": "2026-11-24",
        }
        assert options["LA_POSTE"]["estimatedDelivery"] == {
            "earliest": "2026-11-25",
            "latest": "2026-11-26",
        }
        # Over 30 € the bakery delivers for free: the option says so.
        await ok(client(ADD, {"id": cake["id"], "q": 2}, token=token), "cartAddItem")
        again = await ok(client(POSTCODE, {"p": "97480"}, token=token), "cartSetDeliveryPostcode")
        merchant = next(
            o for o in again["cart"]["shops"][0]["deliveryOptions"] if o["carrier"] == "MERCHANT"
        )
        assert merchant["free"] and merchant["fee"] == {"cents": 0}
        assert merchant["regularFee"] == {"cents": 350}

        # Each refusal names its real reason.
        missing = await client(
            FULFIL, {"input": {"shopId": bakery["id"], "mode": "DELIVERY"}}, token=token
        )
        (error,) = missing["data"]["cartSetFulfilment"]["userErrors"]
        assert error["code"] == "CARRIER_REQUIRED" and "La Poste" in error["message"]
        await ok(client(POSTCODE, {"p": "97400"}, token=token), "cartSetDeliveryPostcode")
        not_there = await client(
            FULFIL,
            {"input": {"shopId": bakery["id"], "mode": "DELIVERY", "carrier": "STUART"}},
            token=token,
        )
        (error,) = not_there["data"]["cartSetFulfilment"]["userErrors"]
        assert error["code"] == "CARRIER_UNAVAILABLE" and error["field"] == ["carrier"]
        assert "Stuart (coursier) ne livre pas le 97400" in error["message"]
        assert "possible : La Poste" in error["message"]
        await ok(client(POSTCODE, {"p": "75011"}, token=token), "cartSetDeliveryPostcode")
        nobody = await client(
            FULFIL,
            {"input": {"shopId": bakery["id"], "mode": "DELIVERY", "carrier": "LA_POSTE"}},
            token=token,
        )
        (error,) = nobody["data"]["cartSetFulfilment"]["userErrors"]
        assert error["code"] == "NO_CARRIER_FOR_POSTCODE" and "75011" in error["message"]
        chosen = await ok(
            client(
                FULFIL,
                {
                    "input": {
                        "shopId": bakery["id"],
                        "mode": "DELIVERY",
                        "carrier": "LA_POSTE",
                        "postcode": "97480",
                    }
                },
                token=token,
            ),
            "cartSetFulfilment",
        )
        assert chosen["cart"]["shops"][0]["fulfilment"] == {
            "mode": "DELIVERY",
            "carrier": "LA_POSTE",
        }
        # A new postcode no carrier chosen serves forgets that choice.
        moved = await client(POSTCODE, {"p": "75011"}, token=token)
        assert moved["data"]["cartSetDeliveryPostcode"]["userErrors"] == []
        cart = await client("{ cart { shops { fulfilment { mode } } } }", token=token)
        assert cart["data"]["cart"]["shops"][0]["fulfilment"] is None


async def test_orders_have_human_numbers_gap_free_per_shop(client, offline_stripe) -> None:
    town = await Town(client).build()
    customer = await town.customer("client@example.re")
    numbers = []
    for _ in range(2):
        await town.fill_cart(customer)
        purchase = (await town.checkout(customer))["purchase"]
        numbers += [o["number"] for o in purchase["orders"]]
    assert sorted(numbers) == ["CEN-0001", "CEN-0002", "HOA-0001", "HOA-0002"]

    mine = await client(ORDER_BY_NUMBER, {"n": "hoa-0002"}, token=customer)
    assert mine["data"]["order"] == {
        "number": "HOA-0002",
        "status": "PENDING_PAYMENT",
        "statusLabel": "en attente de paiement",
        "shop": {"name": "Épicerie Hoarau"},
        "fulfilment": {"modeLabel": "Retrait en boutique", "carrierLabel": None},
    }
    delivered = await client(ORDER_BY_NUMBER, {"n": "CEN-0001"}, token=town.baker_token)
    assert delivered["data"]["order"]["fulfilment"] == {
        "modeLabel": "Livraison à domicile",
        "carrierLabel": "le commerçant",
    }
    # Anyone else — another shop's merchant, another customer, nobody — gets null.
    for token in (town.grocer_token, await town.customer("autre@example.re"), None):
        assert (await client(ORDER_BY_NUMBER, {"n": "CEN-0001"}, token=token))["data"] == {
            "order": None
        }
    assert (await client(ORDER_BY_NUMBER, {"n": "CEN-9999"}, token=customer))["data"] == {
        "order": None
    }


async def test_a_storefront_on_another_origin_passes_cors(client) -> None:
    preflight = await client.http.options(
        "/graphql",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, authorization, x-cart-token,"
            " apollo-require-preflight",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    allowed = preflight.headers["access-control-allow-headers"].lower()
    for header in ("content-type", "authorization", "x-cart-token", "apollo-require-preflight"):
        assert header in allowed
    assert preflight.headers["access-control-max-age"] == "7200"
    assert "access-control-allow-credentials" not in preflight.headers
    answer = await client.http.post(
        "/graphql", json={"query": "{ platformInfo { supportEmail } }"}, headers={"Origin": ORIGIN}
    )
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == ORIGIN
    assert "origin" in answer.headers["vary"].lower()

    stranger = await client.http.options(
        "/graphql",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert stranger.status_code == 400
    assert "access-control-allow-origin" not in stranger.headers
    plain = await client.http.post(
        "/graphql",
        json={"query": "{ platformInfo { supportEmail } }"},
        headers={"Origin": "https://evil.example"},
    )
    assert "access-control-allow-origin" not in plain.headers  # the browser will refuse it
