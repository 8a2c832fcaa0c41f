"""Goods excluded from withdrawal (Code de la consommation L221-28) through the API: the default
by shop category, the merchant's choice, the notice shown before buying (product, cart line,
confirmation email), the exclusion fixed at the sale, and returns refused for excluded lines."""

from __future__ import annotations

from typing import Any

from tests.support.buying import ADD, Town, buy, ok, pay
from tests.support.graphql import error_codes
from tests.support.merchants import add_product, merchant
from tests.support.orders import DELIVERED, SHIPPED
from tests.support.returns import CONFIRM, REQUEST, delivered_rice, return_of

PERISHABLE_NOTICE = (
    "Non retournable : denrée périssable (art. L221-28 4° du Code de la consommation)"
)
PRODUCT_FIELDS = "id name withdrawalExclusion withdrawalNotice"
CREATE = f"""mutation($input: CreateProductInput!) {{ createProduct(input: $input) {{
  product {{ {PRODUCT_FIELDS} }} userErrors {{ field code }} }} }}"""
UPDATE = f"""mutation($input: UpdateProductInput!) {{ updateProduct(input: $input) {{
  product {{ {PRODUCT_FIELDS} price {{ cents }} }} userErrors {{ field code }} }} }}"""
PRODUCT = f"""query($id: ID!) {{ node(id: $id) {{ ... on Product {{ {PRODUCT_FIELDS} }} }} }}"""
CART = """{ cart { shops { shop { name } lines { product { name } quantity
  withdrawalExclusion withdrawalNotice } } } }"""
ORDER = """query($id: ID!) { node(id: $id) { ... on Order { id status withdrawalDeadline
  viewerCanRequestReturn lines { id productName quantity withdrawalExclusion withdrawalNotice }
  returns { status } } } }"""


async def create(client, token: str, shop_id: str, **fields: Any) -> dict[str, Any]:
    payload = await ok(
        client(CREATE, {"input": {"shopId": shop_id, "priceCents": 300} | fields}, token=token),
        "createProduct",
    )
    return payload["product"]


def exclusion(product: dict[str, Any]) -> tuple[str | None, str | None]:
    return product["withdrawalExclusion"], product["withdrawalNotice"]


async def order_of(client, order_id: str, token: str) -> dict[str, Any]:
    return (await client(ORDER, {"id": order_id}, token=token))["data"]["node"]


async def test_the_default_follows_the_shop_and_product_categories(client) -> None:
    baker, bakery = await merchant(client, "boulanger@example.re")  # categories: boulangerie
    grocer, grocery = await merchant(
        client, "epicier@example.re", name="Épicerie", categories=["epicerie"]
    )
    seller, kiosk = await merchant(
        client, "kiosque@example.re", name="Kiosque", categories=["Presse", "tabac"]
    )
    bookseller, bookshop = await merchant(
        client, "libraire@example.re", name="Librairie", categories=["librairie"]
    )
    made = {
        "bread": await create(client, baker, bakery["id"], name="Baguette"),
        "rice": await create(client, grocer, grocery["id"], name="Riz", category="epicerie"),
        "lychees": await create(
            client, grocer, grocery["id"], name="Letchis", category="Fruits & légumes"
        ),
        "paper": await create(client, seller, kiosk["id"], name="Journal du jour"),
        "magazine": await create(
            client, bookseller, bookshop["id"], name="Magazine", category="presse"
        ),
        "novel": await create(client, bookseller, bookshop["id"], name="Roman", category="livres"),
    }
    assert {key: exclusion(product) for key, product in made.items()} == {
        "bread": ("PERISHABLE", PERISHABLE_NOTICE),
        "rice": (None, None),
        "lychees": ("PERISHABLE", PERISHABLE_NOTICE),
        "paper": (
            "PRESS",
            "Non retournable : journal ou magazine (art. L221-28 9° du Code de la consommation)",
        ),
        "magazine": (
            "PRESS",
            "Non retournable : journal ou magazine (art. L221-28 9° du Code de la consommation)",
        ),
        "novel": (None, None),
    }
    # Shown to anyone before buying, on the product.
    public = (await client(PRODUCT, {"id": made["bread"]["id"]}))["data"]["node"]
    assert exclusion(public) == ("PERISHABLE", PERISHABLE_NOTICE)


async def test_the_merchant_sets_and_lifts_an_exclusion(client) -> None:
    baker, bakery = await merchant(client, "boulanger@example.re")
    bag = await create(client, baker, bakery["id"], name="Sac à pain", withdrawalExclusion=None)
    assert exclusion(bag) == (None, None)  # null: returnable, whatever the shop's category
    cake = await create(
        client, baker, bakery["id"], name="Gâteau prénom", withdrawalExclusion="CUSTOM_MADE"
    )
    assert exclusion(cake) == (
        "CUSTOM_MADE",
        "Non retournable : bien personnalisé ou fait sur mesure"
        " (art. L221-28 3° du Code de la consommation)",
    )
    bread = await create(client, baker, bakery["id"], name="Pain")

    async def update(token: str, **fields: Any) -> dict[str, Any]:
        return await client(UPDATE, {"input": {"productId": bread["id"]} | fields}, token=token)

    lifted = (await update(baker, withdrawalExclusion=None))["data"]["updateProduct"]
    assert lifted["userErrors"] == [] and exclusion(lifted["product"]) == (None, None)
    again = (await update(baker, withdrawalExclusion="PERISHABLE"))["data"]["updateProduct"]
    assert exclusion(again["product"]) == ("PERISHABLE", PERISHABLE_NOTICE)
    untouched = (await update(baker, priceCents=320, category="divers"))["data"]["updateProduct"]
    assert untouched["product"]["price"] == {"cents": 320}
    assert exclusion(untouched["product"]) == ("PERISHABLE", PERISHABLE_NOTICE)
    sealed = (await update(baker, withdrawalExclusion="SEALED_HYGIENE"))["data"]["updateProduct"]
    assert exclusion(sealed["product"]) == (
        "SEALED_HYGIENE",
        "Non retournable une fois descellé : produit d'hygiène ou de santé"
        " (art. L221-28 5° du Code de la consommation)",
    )

    # Another shop's merchant changes nothing, and creates nothing here.
    intruder, _ = await merchant(client, "autre@example.re", name="Autre")
    refused = await update(intruder, withdrawalExclusion=None)
    assert error_codes(refused) == ["FORBIDDEN"], refused
    foreign = await client(
        CREATE,
        {"input": {"shopId": bakery["id"], "name": "Intrus", "priceCents": 1}},
        token=intruder,
    )
    assert error_codes(foreign) == ["FORBIDDEN"], foreign
    public = (await client(PRODUCT, {"id": bread["id"]}))["data"]["node"]
    assert public["withdrawalExclusion"] == "SEALED_HYGIENE"


async def test_shown_in_the_cart_and_the_confirmation_email(
    client, offline_stripe, mailbox
) -> None:
    town = await Town(client).build()
    customer = await town.customer("client@example.re")
    await town.fill_cart(customer, bread=2, rice=1)
    shops = (await client(CART, token=customer))["data"]["cart"]["shops"]
    lines = {line["product"]["name"]: line for shop in shops for line in shop["lines"]}
    assert exclusion(lines["Pain"]) == ("PERISHABLE", PERISHABLE_NOTICE)
    assert exclusion(lines["Riz"]) == (None, None)

    purchase = (await town.checkout(customer))["purchase"]
    assert (await pay(offline_stripe, purchase["payment"]["clientSecret"])).status_code == 200
    await town.confirm(customer, purchase["id"])
    (email,) = await mailbox.wait_for_subject("Votre commande est confirmée")
    text = email.get_body(("plain",)).get_content()
    assert "2 × Pain : 5,00\u00a0€ (non retournable : denrée périssable)" in text, text
    assert "1 × Riz : 12,00\u00a0€\r\n" in text, text  # returnable: no mention
    assert "exclus du droit de rétractation (art. L221-28 du Code de la consommation)" in text
    html = email.get_body(("html",)).get_content()
    assert "(non retournable : denrée périssable)" in html


async def test_the_exclusion_is_the_one_told_at_the_sale(client, offline_stripe) -> None:
    town = await Town(client).build()
    customer = await town.customer("client@example.re")
    (order,) = (await buy(client, offline_stripe, town, customer, bread=2, rice=0))["orders"]
    await ok(client(SHIPPED, {"o": order["id"]}, token=town.baker_token), "markOrderShipped")
    await ok(client(DELIVERED, {"o": order["id"]}, token=town.baker_token), "markOrderDelivered")
    # Later the bakery says its bread is returnable: the order keeps what the customer was told.
    lifted = await client(
        UPDATE,
        {"input": {"productId": town.bread["id"], "withdrawalExclusion": None}},
        token=town.baker_token,
    )
    assert lifted["data"]["updateProduct"]["userErrors"] == []
    seen = await order_of(client, order["id"], customer)
    assert [exclusion(line) for line in seen["lines"]] == [("PERISHABLE", PERISHABLE_NOTICE)]
    # Bread only, delivered and still in time: nothing may go back.
    assert seen["status"] == "DELIVERED" and seen["withdrawalDeadline"] is not None
    assert seen["viewerCanRequestReturn"] is False
    refused = (await client(REQUEST, {"input": return_of(seen, (0, 1))}, token=customer))["data"][
        "requestReturn"
    ]
    assert refused["return"] is None
    assert refused["userErrors"] == [
        {"field": ["lines", "0", "orderLineId"], "code": "NOT_RETURNABLE"}
    ]


async def test_a_perishable_line_is_refused_and_a_returnable_one_accepted(
    client, offline_stripe
) -> None:
    town = await Town(client).build()
    bag = await add_product(
        client,
        town.baker_token,
        town.bakery["id"],
        name="Sac à pain",
        priceCents=600,
        withdrawalExclusion=None,
    )
    customer = await town.customer("client@example.re")
    await ok(client(ADD, {"id": bag["id"], "q": 1}, token=customer), "cartAddItem")
    (order,) = (await buy(client, offline_stripe, town, customer, bread=2, rice=0))["orders"]
    await ok(client(SHIPPED, {"o": order["id"]}, token=town.baker_token), "markOrderShipped")
    await ok(client(DELIVERED, {"o": order["id"]}, token=town.baker_token), "markOrderDelivered")
    seen = await order_of(client, order["id"], customer)
    index = {line["productName"]: i for i, line in enumerate(seen["lines"])}
    assert seen["viewerCanRequestReturn"] is True  # the bag may go back

    async def ask(*lines: tuple[int, int]) -> dict[str, Any]:
        body = await client(REQUEST, {"input": return_of(seen, *lines)}, token=customer)
        return body["data"]["requestReturn"]

    both = await ask((index["Sac à pain"], 1), (index["Pain"], 2))
    assert both["return"] is None
    assert both["userErrors"] == [
        {"field": ["lines", "1", "orderLineId"], "code": "NOT_RETURNABLE"}
    ]
    bag_back = await ask((index["Sac à pain"], 1))
    assert bag_back["userErrors"] == [] and bag_back["return"]["refund"] == {"cents": 600}
    assert bag_back["return"]["deliveryFeeRefunded"] == {"cents": 0}  # the bread stays
    after = await order_of(client, order["id"], customer)
    assert after["viewerCanRequestReturn"] is False  # the bread only is left
    assert [r["status"] for r in after["returns"]] == ["REQUESTED"]


async def test_a_refused_return_gives_its_goods_back_and_sealed_goods_may_come_back(
    client, offline_stripe
) -> None:
    town = await Town(client).build()
    brush = await add_product(
        client,
        town.grocer_token,
        town.grocer["id"],
        name="Brosse à dents",
        priceCents=250,
        withdrawalExclusion="SEALED_HYGIENE",
    )
    customer = await town.customer("client@example.re")
    await ok(client(ADD, {"id": brush["id"], "q": 1}, token=customer), "cartAddItem")
    order = await delivered_rice(client, offline_stripe, town, customer)
    seen = await order_of(client, order["id"], customer)
    index = {line["productName"]: i for i, line in enumerate(seen["lines"])}
    assert seen["lines"][index["Brosse à dents"]]["withdrawalExclusion"] == "SEALED_HYGIENE"

    # Everything goes back (the brush still sealed): nothing left, until the grocer refuses it.
    back = (
        await client(
            REQUEST,
            {"input": return_of(seen, (index["Riz"], 2), (index["Brosse à dents"], 1))},
            token=customer,
        )
    )["data"]["requestReturn"]
    assert back["userErrors"] == [] and back["return"]["refund"] == {"cents": 2400 + 250 + 350}
    assert (await order_of(client, order["id"], customer))["viewerCanRequestReturn"] is False
    await ok(
        client(
            CONFIRM,
            {
                "input": {
                    "returnId": back["return"]["id"],
                    "condition": "DAMAGED",
                    "note": "Descellée.",
                }
            },
            token=town.grocer_token,
        ),
        "confirmReturnReceived",
    )
    assert (await order_of(client, order["id"], customer))["viewerCanRequestReturn"] is True
