"""Shared steps of the buying tests: two shops, a cart, checkout, paying as Stripe.js, a paid buy."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otesaintjo.models import Job
from otesaintjo.payments.offline.processes import OFFLINE_API_KEY, OfflineStripe
from tests.support.graphql import GraphQLClient
from tests.support.merchants import add_product, merchant, open_shop

EVERY_DAY = [
    {"day": d, "opens": "00:00", "closes": "23:59"}
    for d in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
]
ORDER_FIELDS = """id number status total { cents } subtotal { cents } deliveryFee { cents }
  shop { id name } lines { productName quantity unitPrice { cents } total { cents } }
  fulfilment { mode carrier readyBy address { street postcode town } trackingNumber }
  pickupCode viewerCanCancel"""
PURCHASE_FIELDS = f"""id status total {{ cents }}
  payment {{ clientSecret expiresAt error amount {{ cents }} }}
  orders {{ {ORDER_FIELDS} }}"""
CHECKOUT = f"""mutation($input: CheckoutInput!) {{ checkout(input: $input) {{
  purchase {{ {PURCHASE_FIELDS} }} userErrors {{ field code message }} }} }}"""
CONFIRM = f"""mutation($id: ID!) {{ confirmPayment(input: {{purchaseId: $id}}) {{
  purchase {{ {PURCHASE_FIELDS} }} userErrors {{ field code }} }} }}"""
ADD = """mutation($id: ID!, $q: Int!) { cartAddItem(input: {productId: $id, quantity: $q}) {
  userErrors { field code } } }"""
FULFIL = """mutation($input: CartSetFulfilmentInput!) { cartSetFulfilment(input: $input) {
  userErrors { field code } } }"""
UPDATE_SHOP = """mutation($input: UpdateShopInput!) { updateShop(input: $input) {
  userErrors { code } } }"""
ADDRESS = {"street": "5 chemin Bœuf Mort", "postcode": "97480", "town": "Saint-Joseph"}


class Town:
    """Two shops: a bakery that delivers in 97480 (its bread is perishable, excluded from
    withdrawal) and a grocer for click and collect (its rice is returnable)."""

    def __init__(self, client: GraphQLClient) -> None:
        self.client = client

    async def build(self, stock: int = 100) -> Town:
        client = self.client
        self.baker_token, self.bakery = await merchant(client, "boulanger@example.re")
        self.grocer_token = (await client.register("epicier@example.re"))["accessToken"]
        self.grocer = await open_shop(
            client,
            self.grocer_token,
            name="Épicerie Hoarau",
            email="epicerie@example.re",
            categories=["epicerie"],  # its rice is returnable; the bakery's bread is not (L221-28)
        )
        await client(
            UPDATE_SHOP,
            {
                "input": {
                    "shopId": self.bakery["id"],
                    "delivery": {"merchantDelivery": {"postcodes": ["97480"], "feeCents": 350}},
                }
            },
            token=self.baker_token,
        )
        await client(
            UPDATE_SHOP,
            {"input": {"shopId": self.grocer["id"], "pickupHours": EVERY_DAY}},
            token=self.grocer_token,
        )
        self.bread = await add_product(
            client, self.baker_token, self.bakery["id"], name="Pain", priceCents=250, stock=stock
        )
        self.rice = await add_product(
            client, self.grocer_token, self.grocer["id"], name="Riz", priceCents=1200, stock=stock
        )
        return self

    def through(self, client: GraphQLClient) -> Town:
        """The same town, reached through another client (another API process)."""
        other = Town(client)
        other.__dict__.update({k: v for k, v in vars(self).items() if k != "client"})
        return other

    async def customer(self, email: str) -> str:
        return (await self.client.register(email))["accessToken"]

    async def fill_cart(self, token: str, bread: int = 2, rice: int = 1) -> None:
        """Bread delivered by the bakery, rice collected at the grocer's."""
        client = self.client
        if bread:
            await ok(client(ADD, {"id": self.bread["id"], "q": bread}, token=token), "cartAddItem")
            await ok(
                client(
                    FULFIL,
                    {
                        "input": {
                            "shopId": self.bakery["id"],
                            "mode": "DELIVERY",
                            "carrier": "MERCHANT",
                            "postcode": "97480",
                        }
                    },
                    token=token,
                ),
                "cartSetFulfilment",
            )
        if rice:
            await ok(client(ADD, {"id": self.rice["id"], "q": rice}, token=token), "cartAddItem")
            await ok(
                client(
                    FULFIL,
                    {"input": {"shopId": self.grocer["id"], "mode": "PICKUP"}},
                    token=token,
                ),
                "cartSetFulfilment",
            )

    async def checkout(self, token: str, key: str | None = None, **extra: Any) -> dict[str, Any]:
        data = {"idempotencyKey": key or str(uuid.uuid4()), "contactPhone": "0692 12 34 56"}
        data.setdefault("address", ADDRESS)
        data.update(extra)
        body = await self.client(CHECKOUT, {"input": data}, token=token)
        assert "errors" not in body, body
        return body["data"]["checkout"]

    async def confirm(self, token: str, purchase_id: str) -> dict[str, Any]:
        body = await self.client(CONFIRM, {"id": purchase_id}, token=token)
        assert "errors" not in body, body
        return body["data"]["confirmPayment"]


async def ok(call: Awaitable[dict[str, Any]], field: str) -> dict[str, Any]:
    body = await call
    assert "errors" not in body, body
    payload = body["data"][field]
    assert payload["userErrors"] == [], payload
    return payload


def intent_id(client_secret: str) -> str:
    return client_secret.split("_secret_")[0]


async def pay(
    offline: OfflineStripe, client_secret: str, payment_method: str = "pm_card_visa"
) -> httpx.Response:
    """What Stripe.js does in the customer's browser: attach a card, confirm the intent.

    localstripe cannot confirm with a payment method in one call, hence two."""
    base = f"{offline.api_base}/v1/payment_intents/{intent_id(client_secret)}"
    headers = {"Authorization": f"Bearer {OFFLINE_API_KEY}"}
    async with httpx.AsyncClient(headers=headers) as http:
        (await http.post(base, data={"payment_method": payment_method})).raise_for_status()
        return await http.post(f"{base}/confirm")


async def jobs_done(factory: async_sessionmaker[AsyncSession], kind: str) -> bool:
    """Every job of this kind has run (successfully)."""
    async with factory() as session:
        pending = (
            await session.execute(select(Job).where(Job.kind == kind, Job.done_at.is_(None)))  # type: ignore[union-attr]
        ).first()
    return pending is None


async def buy(client, offline_stripe, town: Town, token: str, bread: int, rice: int) -> dict:
    """A paid purchase (confirmed through the API, as the storefront does after Stripe.js)."""
    await town.fill_cart(token, bread=bread, rice=rice)
    purchase = (await town.checkout(token))["purchase"]
    assert (await pay(offline_stripe, purchase["payment"]["clientSecret"])).status_code == 200
    return (await town.confirm(token, purchase["id"]))["purchase"]
