"""Stripe.js, offline: a page pays with the publishable key and the client secret only.

The wire requests the offline Stripe.js script sends (``stripe-offline.js``), made here with
httpx; the real script runs in Chromium in ``tests/browser``."""

from __future__ import annotations

import httpx

from otesaintjo.payments.offline.processes import OFFLINE_PUBLISHABLE_KEY
from tests.support.buying import Town, intent_id

PAYMENTS = """{ platformInfo { payments { available publishableKey stripeJsUrl offline
  paymentMethodTypes currency } } }"""
CARD = {
    "payment_method_data[type]": "card",
    "payment_method_data[card][exp_month]": "12",
    "payment_method_data[card][exp_year]": "34",
    "payment_method_data[card][cvc]": "123",
}


async def test_front_ends_read_the_payment_configuration(client, offline_stripe) -> None:
    payments = (await client(PAYMENTS))["data"]["platformInfo"]["payments"]
    assert payments == {
        "available": True,
        "publishableKey": OFFLINE_PUBLISHABLE_KEY,
        "stripeJsUrl": f"{offline_stripe.connect_base}/js.stripe.com/v3/",
        "offline": True,
        "paymentMethodTypes": ["card"],
        "currency": "eur",
    }
    async with httpx.AsyncClient() as http:
        script = await http.get(payments["stripeJsUrl"])
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("application/javascript")
    assert "confirmCardPayment" in script.text


async def test_a_page_confirms_with_the_publishable_key_only(client, offline_stripe) -> None:
    town = await Town(client).build()
    customer = await town.customer("client@example.re")
    await town.fill_cart(customer)
    purchase = (await town.checkout(customer))["purchase"]
    secret = purchase["payment"]["clientSecret"]
    url = f"{offline_stripe.connect_base}/v1/payment_intents/{intent_id(secret)}/confirm"
    page = {"key": OFFLINE_PUBLISHABLE_KEY, "client_secret": secret}
    visa = {**CARD, "payment_method_data[card][number]": "4242424242424242"}
    async with httpx.AsyncClient(headers={"Origin": "http://localhost:5173"}) as http:
        wrong_key = await http.post(url, data={**page, "key": "pk_test_other", **visa})
        assert wrong_key.status_code == 401
        secret_key = await http.post(url, data={**page, "key": "sk_test_x", **visa})
        assert secret_key.status_code == 401  # a secret key never comes from a page
        other_secret = await http.post(url, data={**page, "client_secret": secret + "x", **visa})
        assert other_secret.status_code == 400
        assert other_secret.json()["error"]["param"] == "client_secret"
        paid = await http.post(url, data={**page, **visa})
        assert paid.status_code == 200, paid.text
        assert paid.json()["status"] == "succeeded"
        assert paid.headers["access-control-allow-origin"] == "*"
        again = await http.post(url, data={**page, "payment_method": "pm_card_visa"})
        assert again.json()["error"]["code"] == "payment_intent_unexpected_state"
    confirmed = await town.confirm(customer, purchase["id"])
    assert confirmed["purchase"]["status"] == "PAID"


async def test_a_declined_card_comes_back_as_a_card_error(client, offline_stripe) -> None:
    town = await Town(client).build()
    customer = await town.customer("client@example.re")
    await town.fill_cart(customer)
    purchase = (await town.checkout(customer))["purchase"]
    secret = purchase["payment"]["clientSecret"]
    url = f"{offline_stripe.connect_base}/v1/payment_intents/{intent_id(secret)}/confirm"
    page = {"key": OFFLINE_PUBLISHABLE_KEY, "client_secret": secret}
    async with httpx.AsyncClient() as http:
        declined = await http.post(
            url, data={**page, **CARD, "payment_method_data[card][number]": "4000000000000341"}
        )
        assert declined.status_code == 402
        error = declined.json()["error"]
        assert error["type"] == "card_error"
        assert error["payment_intent"]["status"] == "requires_payment_method"
        incomplete = await http.post(
            url, data={**page, **CARD, "payment_method_data[card][number]": "4242"}
        )
        assert incomplete.json()["error"]["code"] == "incorrect_number"
    still = await town.confirm(customer, purchase["id"])
    assert still["purchase"]["status"] == "PENDING_PAYMENT"
