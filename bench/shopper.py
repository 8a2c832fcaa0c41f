"""Paid orders at a steady rate beside the read load: the storefront benchmark's "checkout"
variant (``bench/run.py``), so that the response cache is measured while the shops sell.

Set-up (``Shopper.prepare``, not timed): the demo merchant (``otesaintjo seed``'s account)
signs in, opens its two shops for collection every day 00:00–23:59 and raises the stock of
their products to 1,000,000 (nothing runs out); ``customers`` customers register. Before each
measurement ``sign_in`` gets each customer a fresh access token (they live 10 minutes).

``run(rate, seconds)`` starts one order every 1/rate s (whatever the previous ones are doing;
a customer has one order in flight at most, so a slow server makes orders start late): a random
product of one of the two shops, 1 unit, as a customer does it: ``cartAddItem``,
``cartSetFulfilment`` (collection), ``checkout``, then Stripe.js's part on localstripe (attach
``pm_card_visa`` to the PaymentIntent, confirm it), then ``confirmPayment``, which must answer
``PAID``. It returns the orders paid, the errors, and the rate achieved: paid orders divided by
the time from the first start to the last answer.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from checkout import ADD_ITEM, CHECKOUT, EVERY_DAY, PASSWORD, SET_FULFILMENT, Api, register
from harness import BenchError

from otesaintjo.demo import DEMO_MERCHANT_SHOP_SLUGS
from otesaintjo.seed import DEMO_MERCHANT

STOCK = 1_000_000
SHOW_ERRORS = 5
LOGIN = """mutation($input: LoginInput!) { login(input: $input) {
  accessToken userErrors { code } } }"""
CONFIRM = """mutation($input: ConfirmPaymentInput!) { confirmPayment(input: $input) {
  purchase { id status orders { id status } } userErrors { code } } }"""
SHOP_PRODUCTS = """query($slug: String!) { shop(slug: $slug) { id
  products(first: 100) { edges { node { id } } } } }"""
OPEN_EVERY_DAY = """mutation($input: UpdateShopInput!) { updateShop(input: $input) {
  userErrors { code } } }"""
SET_STOCK = """mutation($input: UpdateProductInput!) { updateProduct(input: $input) {
  userErrors { code } } }"""
OFFLINE_STRIPE_KEY = "sk_test_offline_no_real_money"  # localstripe accepts any sk_test_ key


@dataclass
class Shopper:
    graphql_url: str
    stripe_url: str  # localstripe's base URL
    customers: int = 8
    seed: int = 20261129
    emails: list[str] = field(default_factory=list)
    shops: list[tuple[str, list[str]]] = field(default_factory=list)  # (shop id, product ids)
    tokens: list[str] = field(default_factory=list)

    def _client(self) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=self.customers + 4)
        return httpx.AsyncClient(limits=limits, timeout=60)

    async def prepare(self) -> None:
        async with self._client() as http:
            api = Api(http, self.graphql_url)
            merchant = await self._login(api, DEMO_MERCHANT.email, DEMO_MERCHANT.password)
            for slug in DEMO_MERCHANT_SHOP_SLUGS:
                _status, answer = await api.call(SHOP_PRODUCTS, {"slug": slug}, merchant)
                shop = (answer.get("data") or {}).get("shop")
                if not shop:
                    raise BenchError(f"no demo shop {slug!r}: {json.dumps(answer)[:300]}")
                ids = [edge["node"]["id"] for edge in shop["products"]["edges"]]
                await api.ok(
                    OPEN_EVERY_DAY,
                    "updateShop",
                    {"shopId": shop["id"], "pickupHours": EVERY_DAY},
                    merchant,
                )
                for product_id in ids:
                    data = {"productId": product_id, "stock": STOCK}
                    await api.ok(SET_STOCK, "updateProduct", data, merchant)
                self.shops.append((shop["id"], ids))
            for index in range(self.customers):
                email = f"acheteur{index}@bench.example.re"
                await register(api, email)
                self.emails.append(email)

    async def sign_in(self) -> None:
        """A fresh access token for every customer."""
        async with self._client() as http:
            api = Api(http, self.graphql_url)
            self.tokens = [await self._login(api, email, PASSWORD) for email in self.emails]

    @staticmethod
    async def _login(api: Api, email: str, password: str) -> str:
        payload = await api.ok(LOGIN, "login", {"email": email, "password": password})
        return str(payload["accessToken"])

    async def run(self, rate: float, seconds: float) -> dict[str, Any]:
        chooser = random.Random(self.seed)  # noqa: S311 (not cryptography)
        self.seed += 1
        free: asyncio.Queue[str] = asyncio.Queue()
        for token in self.tokens:
            free.put_nowait(token)
        paid: list[float] = []  # seconds per order
        late: list[float] = []
        errors: list[str] = []
        finished: list[float] = []
        async with self._client() as http:
            api = Api(http, self.graphql_url)

            async def one(due: float, shop: tuple[str, list[str]], product: str) -> None:
                token = await free.get()
                began = time.monotonic()
                late.append(began - due)
                try:
                    await self._order(api, token, shop[0], product)
                except (BenchError, httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
                    errors.append(f"{type(exc).__name__}: {exc}"[:400])
                    return  # the customer's cart may hold a line: not used again
                finally:
                    finished.append(time.monotonic())
                paid.append(time.monotonic() - began)
                free.put_nowait(token)

            started = time.monotonic()
            tasks = []
            for number in range(max(1, round(rate * seconds))):
                due = started + number / rate
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                shop = chooser.choice(self.shops)
                tasks.append(asyncio.create_task(one(due, shop, chooser.choice(shop[1]))))
            await asyncio.gather(*tasks)
        elapsed = max(finished, default=started) - started
        paid.sort()
        late.sort()
        return {
            "started": len(tasks),
            "paid": len(paid),
            "errors": len(errors),
            "first_errors": errors[:SHOW_ERRORS],
            "paid_per_s": round(len(paid) / elapsed, 2) if elapsed > 0 else 0.0,
            "offered_per_s": rate,
            "order_p50_ms": round(paid[len(paid) // 2] * 1000, 1) if paid else None,
            "order_max_ms": round(paid[-1] * 1000, 1) if paid else None,
            "start_late_max_ms": round(late[-1] * 1000, 1) if late else None,
        }

    async def _order(self, api: Api, token: str, shop: str, product: str) -> None:
        line = {"productId": product, "quantity": 1}
        await api.ok(ADD_ITEM, "cartAddItem", line, token)
        await api.ok(SET_FULFILMENT, "cartSetFulfilment", {"shopId": shop, "mode": "PICKUP"}, token)
        data = {"idempotencyKey": str(uuid.uuid4()), "contactPhone": "0692 12 34 56"}
        purchase = (await api.ok(CHECKOUT, "checkout", data, token))["purchase"]
        await self._pay(api.http, purchase["payment"]["clientSecret"])
        answer = await api.ok(CONFIRM, "confirmPayment", {"purchaseId": purchase["id"]}, token)
        statuses = [order["status"] for order in answer["purchase"]["orders"]]
        if statuses != ["PAID"]:
            raise BenchError(f"not paid after confirmPayment: {json.dumps(answer)[:300]}")

    async def _pay(self, http: httpx.AsyncClient, client_secret: str) -> None:
        """What Stripe.js does: attach a card to the PaymentIntent, confirm it (localstripe)."""
        intent = client_secret.split("_secret_")[0]
        url = f"{self.stripe_url}/v1/payment_intents/{intent}"
        headers = {"Authorization": f"Bearer {OFFLINE_STRIPE_KEY}"}
        attached = await http.post(url, data={"payment_method": "pm_card_visa"}, headers=headers)
        attached.raise_for_status()
        confirmed = await http.post(f"{url}/confirm", headers=headers)
        confirmed.raise_for_status()
        if confirmed.json().get("status") != "succeeded":
            raise BenchError(f"localstripe did not succeed: {confirmed.text[:300]}")
