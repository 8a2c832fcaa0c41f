"""After checkout: declared transitions only, cancellation rules, staff cancel with refund and
reversal, who sees what (BOLA), and the KYC upload refusals."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select, update

from otesaintjo.models import Product, Refund, ShopTransfer, User
from otesaintjo.payments.offline.processes import OFFLINE_API_KEY
from otesaintjo.services.money import REFUND_JOB, REVERSAL_JOB, TRANSFER_JOB
from tests.doubles.smtp import wait_until
from tests.support.buying import ORDER_FIELDS, Town, intent_id, jobs_done, pay
from tests.support.graphql import pk_of
from tests.support.merchants import upload
from tests.support.orders import DELIVERED, READY, SHIPPED, SHOP_ORDERS
from tests.support.payouts import KYC, enable_payouts, png

STRIPE = {"Authorization": f"Bearer {OFFLINE_API_KEY}"}
CANCEL = """mutation($o: ID!) { cancelOrder(input: {orderId: $o}) {
  order { status viewerCanCancel } userErrors { field code } } }"""
PROBLEM = """mutation($o: ID!) { reportOrderProblem(input: {orderId: $o,
  message: "Four en panne, pas de pain aujourd'hui."}) { order { status problem }
  userErrors { field code } } }"""
NODE = f"""query($id: ID!) {{ node(id: $id) {{ id
  ... on Order {{ {ORDER_FIELDS} customer {{ firstName phone address {{ street }} }} }}
  ... on Purchase {{ purchaseStatus: status payment {{ clientSecret }} }} }} }}"""
CONFIRM = """mutation($id: ID!) { confirmPayment(input: {purchaseId: $id}) {
  purchase { id } userErrors { field code } } }"""


async def paid_purchase(client, offline_stripe, town: Town, email: str) -> tuple[str, dict]:
    token = await town.customer(email)
    await town.fill_cart(token)
    purchase = (await town.checkout(token))["purchase"]
    assert (await pay(offline_stripe, purchase["payment"]["clientSecret"])).status_code == 200
    confirmed = await town.confirm(token, purchase["id"])
    return token, confirmed["purchase"]


def codes(body: dict[str, Any], field: str) -> list[str]:
    return [e["code"] for e in body["data"][field]["userErrors"]]


async def test_only_declared_transitions(client, offline_stripe, mailbox) -> None:
    town = await Town(client).build()
    customer, purchase = await paid_purchase(client, offline_stripe, town, "client@example.re")
    delivery, pickup = purchase["orders"]
    baker, grocer = town.baker_token, town.grocer_token
    # A delivered order is never "ready at the counter", a pickup is never shipped.
    assert codes(await client(READY, {"o": delivery["id"]}, token=baker), "markOrderReady") == [
        "INVALID_STATUS_TRANSITION"
    ]
    shipped_pickup = await client(SHIPPED, {"o": pickup["id"]}, token=grocer)
    assert codes(shipped_pickup, "markOrderShipped") == ["INVALID_STATUS_TRANSITION"]
    # Delivered before shipped, or twice shipped: refused.
    early = await client(DELIVERED, {"o": delivery["id"]}, token=baker)
    assert codes(early, "markOrderDelivered") == ["INVALID_STATUS_TRANSITION"]
    assert (
        codes(await client(SHIPPED, {"o": delivery["id"]}, token=baker), "markOrderShipped") == []
    )
    twice = await client(SHIPPED, {"o": delivery["id"]}, token=baker)
    assert codes(twice, "markOrderShipped") == ["INVALID_STATUS_TRANSITION"]
    # Paid: the customer can no longer cancel.
    refused = await client(CANCEL, {"o": pickup["id"]}, token=customer)
    assert codes(refused, "cancelOrder") == ["INVALID_STATUS_TRANSITION"]
    # The merchant cannot honour it: customer service and the customer are told.
    problem = await client(PROBLEM, {"o": pickup["id"]}, token=grocer)
    assert problem["data"]["reportOrderProblem"]["order"]["problem"].startswith("Four en panne")
    (support,) = await mailbox.wait_for_subject(
        "Problème signalé sur la commande HOA-0001 (Épicerie Hoarau)"
    )
    assert support["To"] == "support@otesaintjo.re"
    assert "(12,00\xa0€, payée, à préparer)" in support.get_body(("plain",)).get_content()
    await mailbox.wait_for_subject("Un souci avec votre commande chez Épicerie Hoarau")


async def test_customer_cancels_before_paying_and_stock_comes_back(
    client, offline_stripe, session_factory
) -> None:
    town = await Town(client).build(stock=5)
    token = await town.customer("client@example.re")
    await town.fill_cart(token)
    purchase = (await town.checkout(token))["purchase"]
    cancelled = await client(CANCEL, {"o": purchase["orders"][0]["id"]}, token=token)
    assert cancelled["data"]["cancelOrder"]["order"] == {
        "status": "CANCELLED",
        "viewerCanCancel": False,
    }
    both = await client(NODE, {"id": purchase["orders"][1]["id"]}, token=token)
    assert both["data"]["node"]["status"] == "CANCELLED"  # one payment: the purchase goes whole
    async with session_factory() as session:
        assert (await session.get(Product, pk_of(town.bread["id"]))).stock == 5  # type: ignore[union-attr]
    await wait_until(lambda: jobs_done(session_factory, "payments.cancel_intent"), timeout=10)
    async with httpx.AsyncClient(headers=STRIPE) as http:
        pi = intent_id(purchase["payment"]["clientSecret"])
        state = (await http.get(f"{offline_stripe.api_base}/v1/payment_intents/{pi}")).json()
    assert state["status"] == "canceled"


async def test_staff_cancel_refunds_and_reverses_the_transfer(
    client, offline_stripe, session_factory
) -> None:
    town = await Town(client).build(stock=5)
    await enable_payouts(client, town.baker_token, town.bakery["id"])
    _, purchase = await paid_purchase(client, offline_stripe, town, "client@example.re")
    delivery = purchase["orders"][0]
    await wait_until(lambda: jobs_done(session_factory, TRANSFER_JOB), timeout=10)
    async with session_factory() as session:
        transfer = (
            await session.execute(
                select(ShopTransfer).where(ShopTransfer.order_id == pk_of(delivery["id"]))
            )
        ).scalar_one()
        assert transfer.status == "SENT" and transfer.amount_cents == 850 - 85

    staff = (await client.register("staff@example.re"))["accessToken"]
    async with session_factory() as session:
        await session.execute(
            update(User).where(User.email == "staff@example.re").values(is_staff=True)
        )
        await session.commit()
    # A merchant cannot cancel (it reports a problem); staff can, after payment.
    refused = await client(CANCEL, {"o": delivery["id"]}, token=town.baker_token)
    assert codes(refused, "cancelOrder") == ["NOT_FOUND"]
    done = await client(CANCEL, {"o": delivery["id"]}, token=staff)
    assert done["data"]["cancelOrder"]["order"]["status"] == "CANCELLED"
    again = await client(CANCEL, {"o": delivery["id"]}, token=staff)
    assert codes(again, "cancelOrder") == ["INVALID_STATUS_TRANSITION"]

    await wait_until(lambda: jobs_done(session_factory, REFUND_JOB), timeout=10)
    await wait_until(lambda: jobs_done(session_factory, REVERSAL_JOB), timeout=10)
    async with session_factory() as session:
        (refund,) = (await session.execute(select(Refund))).scalars().all()
        assert refund.amount_cents == 850 and refund.stripe_refund_id
        assert (await session.get(Product, pk_of(town.bread["id"]))).stock == 5  # type: ignore[union-attr]
    purchase_intent = await _intent_of(session_factory)
    async with httpx.AsyncClient(headers=STRIPE) as http:
        refunds = (
            await http.get(
                f"{offline_stripe.api_base}/v1/refunds", params={"payment_intent": purchase_intent}
            )
        ).json()["data"]
        reversed_transfer = (
            await http.get(
                f"{offline_stripe.connect_base}/v1/transfers/{transfer.stripe_transfer_id}"
            )
        ).json()
    assert [r["amount"] for r in refunds if r["payment_intent"] == purchase_intent] == [850]
    assert reversed_transfer["amount_reversed"] == 850 - 85


async def test_nobody_else_sees_or_touches_an_order(client, offline_stripe) -> None:
    town = await Town(client).build()
    owner, purchase = await paid_purchase(client, offline_stripe, town, "client@example.re")
    delivery, pickup = purchase["orders"]
    intruder = await town.customer("curieux@example.re")
    other_merchant, _ = await _other_shop(client)

    for token in (intruder, other_merchant):
        for node_id in (purchase["id"], delivery["id"], pickup["id"]):
            body = await client(NODE, {"id": node_id}, token=token)
            assert body["data"]["node"] is None
        assert codes(
            await client(CONFIRM, {"id": purchase["id"]}, token=token), "confirmPayment"
        ) == ["NOT_FOUND"]
        assert codes(await client(CANCEL, {"o": pickup["id"]}, token=token), "cancelOrder") == [
            "NOT_FOUND"
        ]
        ready = await client(READY, {"o": pickup["id"]}, token=token)
        assert codes(ready, "markOrderReady") == ["NOT_FOUND"]
        orders = await client(SHOP_ORDERS, {"s": town.grocer["id"]}, token=token)
        assert orders["data"]["node"]["orders"] is None
        assert orders["data"]["node"]["payouts"] is None
    # The bakery sees its own order only, and of the customer what delivery needs.
    bakery_view = await client(NODE, {"id": delivery["id"]}, token=town.baker_token)
    assert bakery_view["data"]["node"]["customer"] == {
        "firstName": "Léa",
        "phone": "+262692123456",
        "address": {"street": "5 chemin Bœuf Mort"},
    }
    assert (await client(NODE, {"id": pickup["id"]}, token=town.baker_token))["data"][
        "node"
    ] is None
    assert (await client(NODE, {"id": purchase["id"]}, token=town.baker_token))["data"][
        "node"
    ] is None
    # The grocer (pickup) gets no address; the customer sees everything of their own.
    grocer_view = await client(NODE, {"id": pickup["id"]}, token=town.grocer_token)
    assert grocer_view["data"]["node"]["customer"]["address"] is None
    mine = await client(NODE, {"id": purchase["id"]}, token=owner)
    assert mine["data"]["node"]["purchaseStatus"] == "PAID"
    # Nothing changed by the attempts.
    assert (await client(NODE, {"id": pickup["id"]}, token=owner))["data"]["node"]["status"] == (
        "PAID"
    )


async def test_kyc_documents_are_checked_before_stripe(client) -> None:
    town = await Town(client).build()
    token, shop_id = town.baker_token, town.bakery["id"]

    async def send(content: bytes, name: str = "doc.png", who: str = token) -> dict[str, Any]:
        response = await upload(
            client,
            who,
            KYC,
            {"input": {"shopId": shop_id, "kind": "IDENTITY_DOCUMENT", "file": None}},
            "variables.input.file",
            content,
            filename=name,
        )
        return response.json()["data"]["uploadKycDocument"]

    gif = b"GIF89a" + b"\x00" * 100
    assert [e["code"] for e in (await send(gif, "doc.gif"))["userErrors"]] == [
        "UNSUPPORTED_DOCUMENT_FORMAT"
    ]
    pdf_named_png = b"%PDF-1.7\n" + b"0" * 100
    assert [e["code"] for e in (await send(pdf_named_png))["userErrors"]] == [
        "UNSUPPORTED_DOCUMENT_FORMAT"
    ]
    huge = png() + b"\x00" * (10 * 1024 * 1024)
    assert [e["code"] for e in (await send(huge))["userErrors"]] == ["DOCUMENT_TOO_LARGE"]
    stranger = await town.customer("stranger@example.re")
    assert [e["code"] for e in (await send(png(), who=stranger))["userErrors"]] == ["NOT_FOUND"]
    accepted = await send(png())
    assert accepted["userErrors"] == []
    assert accepted["payouts"]["status"] == "PENDING"
    assert accepted["payouts"]["requirementsDue"] == ["individual.verification.additional_document"]


async def _other_shop(client) -> tuple[str, dict]:
    from tests.support.merchants import merchant

    return await merchant(client, "autre@example.re", name="Autre boutique")


async def _intent_of(session_factory) -> str:
    from otesaintjo.models import Purchase

    async with session_factory() as session:
        return str(await session.scalar(select(Purchase.payment_intent_id)))
