"""Products through the API: defaults, checks, online/offline, permissions."""

from __future__ import annotations

from tests.support.graphql import error_codes
from tests.support.merchants import CREATE_PRODUCT, add_product, merchant

UPDATE = """
mutation($input: UpdateProductInput!) {
  updateProduct(input: $input) { product { name stock price { cents } vatRate deliverable category }
                                 userErrors { field code } }
}"""
SET_ONLINE = """
mutation($id: ID!, $online: Boolean!) {
  setProductOnline(input: {productId: $id, online: $online}) { product { isOnline } userErrors { code } }
}"""
SHOP_PRODUCTS = """
query($slug: String!, $sort: ProductSort) {
  shop(slug: $slug) { products(first: 50, sort: $sort) { totalCount edges { node { name stock isOnline available } } } }
}"""


async def test_defaults_and_bounds(client) -> None:
    token, shop = await merchant(client)
    product = await add_product(client, token, shop["id"], vatRate="REDUCED", stock=0)
    assert product["stock"] == 0 and product["available"] is False
    assert product["vatRate"] == "REDUCED"
    body = await client(
        CREATE_PRODUCT,
        {"input": {"shopId": shop["id"], "name": "", "priceCents": -1, "stock": -5}},
        token=token,
    )
    errors = {(tuple(e["field"]), e["code"]) for e in body["data"]["createProduct"]["userErrors"]}
    assert errors == {
        (("name",), "INVALID_INPUT"),
        (("priceCents",), "INVALID_PRICE"),
        (("stock",), "INVALID_STOCK"),
    }


async def test_update_and_take_offline(client) -> None:
    token, shop = await merchant(client)
    product = await add_product(client, token, shop["id"])
    body = await client(
        UPDATE,
        {
            "input": {
                "productId": product["id"],
                "name": "Pain complet",
                "stock": 3,
                "priceCents": 420,
                "vatRate": "REDUCED",
                "deliverable": False,
                "category": "Boulangerie",
            }
        },
        token=token,
    )
    assert body["data"]["updateProduct"] == {
        "product": {
            "name": "Pain complet",
            "stock": 3,
            "price": {"cents": 420},
            "vatRate": "REDUCED",
            "deliverable": False,
            "category": "boulangerie",
        },
        "userErrors": [],
    }
    refused = await client(
        UPDATE, {"input": {"productId": product["id"], "stock": -1}}, token=token
    )
    assert refused["data"]["updateProduct"]["userErrors"] == [
        {"field": ["stock"], "code": "INVALID_STOCK"}
    ]
    off = await client(SET_ONLINE, {"id": product["id"], "online": False}, token=token)
    assert off["data"]["setProductOnline"]["product"] == {"isOnline": False}

    public = await client(SHOP_PRODUCTS, {"slug": shop["slug"]})
    assert public["data"]["shop"]["products"]["totalCount"] == 0
    mine = await client(SHOP_PRODUCTS, {"slug": shop["slug"]}, token=token)
    assert mine["data"]["shop"]["products"]["edges"][0]["node"]["isOnline"] is False
    node = await client("query($id: ID!) { node(id: $id) { id } }", {"id": product["id"]})
    assert node["data"]["node"] is None  # offline products are not public


async def test_merchant_sees_low_stock_first_on_request(client) -> None:
    token, shop = await merchant(client)
    for name, stock in (("A", 50), ("B", 2), ("C", 0), ("D", 100)):
        await add_product(client, token, shop["id"], name=name, stock=stock, online=name != "D")
    body = await client(SHOP_PRODUCTS, {"slug": shop["slug"], "sort": "STOCK_ASC"}, token=token)
    names = [e["node"]["name"] for e in body["data"]["shop"]["products"]["edges"]]
    assert names == ["C", "B", "A", "D"]


async def test_another_merchant_cannot_touch_my_products(client) -> None:
    token, shop = await merchant(client)
    product = await add_product(client, token, shop["id"])
    intruder, _ = await merchant(client, "autre@example.re", name="Autre")
    for query, variables in (
        (UPDATE, {"input": {"productId": product["id"], "priceCents": 1}}),
        (SET_ONLINE, {"id": product["id"], "online": False}),
        (CREATE_PRODUCT, {"input": {"shopId": shop["id"], "name": "Intrus", "priceCents": 1}}),
    ):
        body = await client(query, variables, token=intruder)
        assert error_codes(body) == ["FORBIDDEN"], body
    public = await client(SHOP_PRODUCTS, {"slug": shop["slug"]})
    products = public["data"]["shop"]["products"]
    assert products["totalCount"] == 1
    assert products["edges"][0]["node"]["stock"] == 100
    assert (await client(UPDATE, {"input": {"productId": product["id"], "priceCents": 1}}))[
        "errors"
    ][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_unknown_or_malformed_ids_are_user_errors(client) -> None:
    token, shop = await merchant(client)
    for product_id in ("UHJvZHVjdDo5OTk=", "garbage", shop["id"]):  # Product:999, junk, a Shop id
        body = await client(UPDATE, {"input": {"productId": product_id, "stock": 1}}, token=token)
        assert body["data"]["updateProduct"]["userErrors"][0]["code"] == "NOT_FOUND"
