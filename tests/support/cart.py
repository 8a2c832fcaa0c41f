"""The cart's GraphQL documents and steps: two shops with pickup and delivery, a raw POST."""

from __future__ import annotations

from datetime import datetime

from otesaintjo.clock import REUNION
from tests.support.merchants import add_product, merchant

CART_FIELDS = """
cart { itemsCount total { cents } deliveryPostcode
  shops { shop { name } subtotal { cents } deliveryFee { cents } total { cents }
          vat { rate amount { cents } } deliverable pickupReadyAt
          fulfilment { mode carrier } deliveryOptions { carrier fee { cents } }
          lines { product { name } quantity unitPrice { cents } total { cents } } } }
"""
ADD = f"""mutation($id: ID!, $q: Int!) {{ cartAddItem(input: {{productId: $id, quantity: $q}}) {{
  cartToken userErrors {{ field code }} {CART_FIELDS} }} }}"""
HOURS = [{"day": d, "opens": "08:00", "closes": "18:00"} for d in ("MONDAY", "TUESDAY")]
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=REUNION)


async def post(client, query, variables=None, token=None, cart_token=None):
    headers = {"X-Cart-Token": cart_token} if cart_token else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = await client.http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def two_shops(client):
    token_a, bakery = await merchant(client, "a@example.re", name="Boulangerie")
    token_b, grocer = await merchant(client, "b@example.re", name="Épicerie")
    await client(
        """mutation($s: ID!, $h: [OpeningRangeInput!]) { updateShop(input: {shopId: $s, pickupHours: $h,
           delivery: {merchantDelivery: {postcodes: ["97480"], feeCents: 350}, freeDeliveryOverCents: 3000}})
           { userErrors { code } } }""",
        {"s": bakery["id"], "h": HOURS},
        token=token_a,
    )
    bread = await add_product(
        client, token_a, bakery["id"], name="Pain", priceCents=250, vatRate="REDUCED", stock=5
    )
    cake = await add_product(client, token_a, bakery["id"], name="Gâteau", priceCents=1500)
    ice = await add_product(
        client, token_b, grocer["id"], name="Glace", priceCents=600, deliverable=False
    )
    return bakery, grocer, bread, cake, ice
