"""POST /webhooks/stripe: signed on the raw body, 5-minute tolerance, each event once.

The events are signed here with the endpoint's secret exactly as Stripe signs them; the
PaymentIntent behind them is real (paid on localstripe), since the app re-reads it.
"""

from __future__ import annotations

import asyncio
import json
import time

import stripe
from sqlalchemy import func, select

from otesaintjo.models import Job, Purchase, ShopTransfer, StripeEvent
from otesaintjo.services.money import STRIPE_EVENT_JOB
from tests.doubles.smtp import wait_until
from tests.support.buying import Town, intent_id, jobs_done, pay


def signed(payload: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)
    return {"Stripe-Signature": header, "Content-Type": "application/json"}


def event(kind: str, obj: dict, event_id: str = "evt_test_1") -> str:
    return json.dumps(
        {"id": event_id, "object": "event", "type": kind, "data": {"object": obj}},
        separators=(",", ":"),
    )


async def paid_but_unreported(client, offline_stripe) -> str:
    """A purchase paid on localstripe whose webhook never reached us: its PaymentIntent id."""
    town = await Town(client).build()
    token = await town.customer("client@example.re")
    await town.fill_cart(token)
    secret = (await town.checkout(token))["purchase"]["payment"]["clientSecret"]
    assert (await pay(offline_stripe, secret)).json()["status"] == "succeeded"
    return intent_id(secret)


async def test_one_event_delivered_five_times_changes_things_once(
    client, offline_stripe, session_factory
) -> None:
    intent = await paid_but_unreported(client, offline_stripe)
    body = event("payment_intent.succeeded", {"id": intent, "object": "payment_intent"})
    headers = signed(body, offline_stripe.webhook_secret)
    first = await client.http.post("/webhooks/stripe", content=body, headers=headers)
    assert first.status_code == 200 and first.json() == {"received": True}
    # Four more: one after the other, then three at once.
    again = await client.http.post("/webhooks/stripe", content=body, headers=headers)
    assert again.json() == {"received": True, "duplicate": True}
    concurrent = await asyncio.gather(
        *[client.http.post("/webhooks/stripe", content=body, headers=headers) for _ in range(3)]
    )
    assert [r.status_code for r in concurrent] == [200, 200, 200]
    await wait_until(lambda: jobs_done(session_factory, STRIPE_EVENT_JOB), timeout=10)
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(StripeEvent)) == 1
        count_jobs = select(func.count()).select_from(Job).where(Job.kind == STRIPE_EVENT_JOB)
        assert await session.scalar(count_jobs) == 1
        assert await session.scalar(select(Purchase.status)) == "PAID"
        assert await session.scalar(select(func.count()).select_from(ShopTransfer)) == 2


async def test_concurrent_first_deliveries_also_count_once(
    client, offline_stripe, session_factory
) -> None:
    intent = await paid_but_unreported(client, offline_stripe)
    body = event("payment_intent.succeeded", {"id": intent}, "evt_test_concurrent")
    headers = signed(body, offline_stripe.webhook_secret)
    answers = await asyncio.gather(
        *[client.http.post("/webhooks/stripe", content=body, headers=headers) for _ in range(5)]
    )
    assert [r.status_code for r in answers] == [200] * 5
    assert sum(1 for r in answers if "duplicate" not in r.json()) == 1
    await wait_until(lambda: jobs_done(session_factory, STRIPE_EVENT_JOB), timeout=10)
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(ShopTransfer)) == 2


async def test_forged_stale_and_reserialised_payloads_are_refused(
    client, offline_stripe, session_factory
) -> None:
    intent = await paid_but_unreported(client, offline_stripe)
    body = event("payment_intent.succeeded", {"id": intent})
    secret = offline_stripe.webhook_secret
    forged = await client.http.post(
        "/webhooks/stripe", content=body, headers=signed(body, "whsec_not_ours")
    )
    stale = await client.http.post(
        "/webhooks/stripe", content=body, headers=signed(body, secret, int(time.time()) - 301)
    )
    reserialised = await client.http.post(
        "/webhooks/stripe",
        content=json.dumps(json.loads(body), indent=2),
        headers=signed(body, secret),
    )
    unsigned = await client.http.post("/webhooks/stripe", content=body)
    garbage = await client.http.post(
        "/webhooks/stripe", content=b"\xff\xfe", headers={"Stripe-Signature": "t=1,v1=zz"}
    )
    assert [r.status_code for r in (forged, stale, reserialised, unsigned, garbage)] == [400] * 5
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(StripeEvent)) == 0
        assert await session.scalar(select(Purchase.status)) == "PENDING_PAYMENT"


async def test_events_we_do_not_know_are_acknowledged_without_effect(
    client, offline_stripe, session_factory
) -> None:
    secret = offline_stripe.webhook_secret
    unknown_account = event("account.updated", {"id": "acct_not_ours"}, "evt_a")
    unknown_intent = event("payment_intent.succeeded", {"id": "pi_not_ours"}, "evt_b")
    other_kind = event("customer.created", {"id": "cus_1"}, "evt_c")
    for body in (unknown_account, unknown_intent, other_kind):
        answer = await client.http.post(
            "/webhooks/stripe", content=body, headers=signed(body, secret)
        )
        assert answer.status_code == 200
    await wait_until(lambda: jobs_done(session_factory, STRIPE_EVENT_JOB), timeout=10)
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Purchase)) == 0
        failed = select(func.count()).select_from(Job).where(Job.last_error.is_not(None))  # type: ignore[union-attr]
        assert await session.scalar(failed) == 0


async def test_once_paid_the_next_report_does_not_ask_stripe_again(
    client, offline_stripe, session_factory, monkeypatch
) -> None:
    """The webhook that follows every confirmPayment (and the confirmPayment that follows the
    webhook) finds the purchase paid: one read, no call to Stripe, nothing changed."""
    from otesaintjo.payments.stripe_gateway import StripeGateway

    asked: list[str] = []
    read_at_stripe = StripeGateway.get_payment

    async def counted(self, payment_id: str):
        asked.append(payment_id)
        return await read_at_stripe(self, payment_id)

    monkeypatch.setattr(StripeGateway, "get_payment", counted)  # the app runs in this process
    town = await Town(client).build()
    token = await town.customer("client@example.re")
    await town.fill_cart(token)
    purchase = (await town.checkout(token))["purchase"]
    secret = purchase["payment"]["clientSecret"]
    assert (await pay(offline_stripe, secret)).json()["status"] == "succeeded"
    assert (await town.confirm(token, purchase["id"]))["purchase"]["status"] == "PAID"
    assert asked == [intent_id(secret)]  # paying: Stripe's word, read once

    body = event("payment_intent.succeeded", {"id": intent_id(secret)}, "evt_after_confirm")
    answer = await client.http.post(
        "/webhooks/stripe", content=body, headers=signed(body, offline_stripe.webhook_secret)
    )
    assert answer.status_code == 200
    await wait_until(lambda: jobs_done(session_factory, STRIPE_EVENT_JOB), timeout=10)
    again = await town.confirm(token, purchase["id"])
    assert again["purchase"]["status"] == "PAID" and again["userErrors"] == []
    assert asked == [intent_id(secret)]
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(ShopTransfer)) == 2
