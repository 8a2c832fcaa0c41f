"""Withdrawal and returns through the API: 14 days from receipt, the delivery fee rule, refunds
on localstripe and reversals on the Connect double to the cent, the refund ledger.

The goods sent back are the grocer's rice: the bakery's bread is perishable, excluded from
withdrawal (L221-28 4°, tests/api/test_withdrawal_exclusions.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import time_machine
from sqlalchemy import select

from otesaintjo.models import Job, Purchase, Refund, ShopTransfer, User
from otesaintjo.payments.gateway import PaymentsUnavailable
from otesaintjo.payments.offline.processes import OFFLINE_API_KEY
from otesaintjo.services.money import REFUND_JOB, REVERSAL_JOB, TRANSFER_JOB
from tests.doubles.smtp import wait_until
from tests.support.buying import Town, jobs_done, ok
from tests.support.graphql import PASSWORD, pk_of
from tests.support.payouts import enable_payouts
from tests.support.returns import CONFIRM, REQUEST, delivered_rice

STRIPE = {"Authorization": f"Bearer {OFFLINE_API_KEY}"}
ORDER = """query($id: ID!) { node(id: $id) { ... on Order { status withdrawalDeadline
  viewerCanRequestReturn lines { id quantity } returns { id status refund { cents } } } } }"""
RETURN = """query($id: ID!) { node(id: $id) { ... on Return { id status } } }"""
LOGIN = """mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) {
  accessToken } }"""


async def delivered(client, offline_stripe, town: Town, customer: str) -> dict[str, Any]:
    """Two bags of rice delivered by the grocer (27,50 €: 2 × 12,00 € + 3,50 € delivery)."""
    order = await delivered_rice(client, offline_stripe, town, customer)
    return order | (await client(ORDER, {"id": order["id"]}, token=customer))["data"]["node"]


def one_line(order: dict[str, Any], quantity: int) -> dict[str, Any]:
    return {
        "orderId": order["id"],
        "lines": [{"orderLineId": order["lines"][0]["id"], "quantity": quantity}],
    }


# Thursday 3 December 2026, 10:00 in La Réunion: the 14 days run from Friday 4 to Thursday
# 17 December, to 23:59:59 Réunion time (L221-18, L221-19).
RECEIVED = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
LAST_INSTANT = datetime(2026, 12, 17, 19, 59, 59, tzinfo=UTC)


async def test_fourteen_days_from_the_day_after_receipt(client, offline_stripe) -> None:
    with time_machine.travel(RECEIVED, tick=True):
        town = await Town(client).build()
        customer = await town.customer("client@example.re")
        order = await delivered(client, offline_stripe, town, customer)
    assert order["viewerCanRequestReturn"] is True
    assert datetime.fromisoformat(order["withdrawalDeadline"]) == LAST_INSTANT.replace(
        microsecond=999999
    )

    async def ask_at(moment) -> dict[str, Any]:
        with time_machine.travel(moment, tick=False):
            token = (await client(LOGIN, {"e": "client@example.re", "p": PASSWORD}))["data"][
                "login"
            ]["accessToken"]
            return (await client(REQUEST, {"input": one_line(order, 1)}, token=token))["data"][
                "requestReturn"
            ]

    late = await ask_at(LAST_INSTANT + timedelta(seconds=1))  # Friday 18, 00:00 in La Réunion
    assert [e["code"] for e in late["userErrors"]] == ["RETURN_WINDOW_CLOSED"]
    in_time = await ask_at(LAST_INSTANT)
    assert in_time["userErrors"] == [] and in_time["return"]["status"] == "REQUESTED"


async def test_partial_then_full_return_refunds_the_fee_last(
    client, offline_stripe, session_factory, mailbox
) -> None:
    town = await Town(client).build()
    await enable_payouts(client, town.grocer_token, town.grocer["id"])
    customer = await town.customer("client@example.re")
    order = await delivered(client, offline_stripe, town, customer)
    await wait_until(lambda: jobs_done(session_factory, TRANSFER_JOB), timeout=10)

    first = (await client(REQUEST, {"input": one_line(order, 1)}, token=customer))["data"][
        "requestReturn"
    ]
    assert first["return"]["refund"]["cents"] == 1200
    assert first["return"]["deliveryFeeRefunded"]["cents"] == 0
    await mailbox.wait_for_subject("Votre retour auprès de Épicerie Hoarau est enregistré")
    too_many = (await client(REQUEST, {"input": one_line(order, 2)}, token=customer))["data"][
        "requestReturn"
    ]
    assert [e["code"] for e in too_many["userErrors"]] == ["INVALID_QUANTITY"]
    second = (await client(REQUEST, {"input": one_line(order, 1)}, token=customer))["data"][
        "requestReturn"
    ]
    assert second["return"]["refund"]["cents"] == 1200 + 350  # completes the order: fee back

    for back in (first, second):
        done = await ok(
            client(
                CONFIRM,
                {"input": {"returnId": back["return"]["id"], "condition": "GOOD"}},
                token=town.grocer_token,
            ),
            "confirmReturnReceived",
        )
        assert done["return"]["status"] == "RECEIVED"
    await wait_until(lambda: jobs_done(session_factory, REFUND_JOB), timeout=10)
    await wait_until(lambda: jobs_done(session_factory, REVERSAL_JOB), timeout=10)

    after = (await client(ORDER, {"id": order["id"]}, token=customer))["data"]["node"]
    assert [r["status"] for r in after["returns"]] == ["REFUNDED", "REFUNDED"]
    assert after["viewerCanRequestReturn"] is False  # still in time, but nothing left to send
    async with session_factory() as session:
        intent = await session.scalar(select(Purchase.payment_intent_id))
        transfer = (await session.execute(select(ShopTransfer))).scalar_one()
    async with httpx.AsyncClient(headers=STRIPE) as http:
        refunds = (
            await http.get(
                f"{offline_stripe.api_base}/v1/refunds", params={"payment_intent": intent}
            )
        ).json()["data"]
        reversed_transfer = (
            await http.get(
                f"{offline_stripe.connect_base}/v1/transfers/{transfer.stripe_transfer_id}"
            )
        ).json()
    assert sorted(r["amount"] for r in refunds if r["payment_intent"] == intent) == [1200, 1550]
    # The shop gives back each refund minus the 10 % commission on it: 1080 + 1395.
    assert reversed_transfer["amount"] == 2750 - 275
    assert reversed_transfer["amount_reversed"] == (1200 - 120) + (1550 - 155)
    await mailbox.wait_for_subject("Remboursement effectué : 15,50\u00a0€")


async def test_damaged_goods_are_not_refunded(client, offline_stripe, session_factory, mailbox):
    town = await Town(client).build()
    customer = await town.customer("client@example.re")
    order = await delivered(client, offline_stripe, town, customer)
    back = (await client(REQUEST, {"input": one_line(order, 2)}, token=customer))["data"][
        "requestReturn"
    ]["return"]
    refused = await ok(
        client(
            CONFIRM,
            {"input": {"returnId": back["id"], "condition": "DAMAGED", "note": "Sachet percé."}},
            token=town.grocer_token,
        ),
        "confirmReturnReceived",
    )
    assert refused["return"]["status"] == "REFUSED"
    (email,) = await mailbox.wait_for_subject(
        f"Votre retour n° {pk_of(back['id'])} n'a pas pu être accepté"
    )
    assert "Sachet percé." in email.get_body(("plain",)).get_content()
    async with session_factory() as session:
        assert (await session.execute(select(Refund))).scalars().all() == []
    again = await client(
        CONFIRM, {"input": {"returnId": back["id"], "condition": "GOOD"}}, token=town.grocer_token
    )
    assert [e["code"] for e in again["data"]["confirmReturnReceived"]["userErrors"]] == [
        "INVALID_STATUS_TRANSITION"
    ]


async def test_the_ledger_refuses_refunding_more_than_was_paid(
    client, offline_stripe, session_factory
) -> None:
    town = await Town(client).build()
    customer = await town.customer("client@example.re")
    order = await delivered(client, offline_stripe, town, customer)
    back = (await client(REQUEST, {"input": one_line(order, 2)}, token=customer))["data"][
        "requestReturn"
    ]["return"]
    # Staff cancel and refund the whole order first…
    staff = (await client.register("staff@example.re"))["accessToken"]
    async with session_factory() as session:
        user = (
            await session.execute(select(User).where(User.email == "staff@example.re"))
        ).scalar_one()
        user.is_staff = True
        await session.commit()
    cancel = await client(
        "mutation($o: ID!) { cancelOrder(input: {orderId: $o}) { userErrors { code } } }",
        {"o": order["id"]},
        token=staff,
    )
    assert cancel["data"]["cancelOrder"]["userErrors"] == []
    # …then the return comes back in good condition: nothing is left to refund.
    refused = await client(
        CONFIRM, {"input": {"returnId": back["id"], "condition": "GOOD"}}, token=town.grocer_token
    )
    assert [e["code"] for e in refused["data"]["confirmReturnReceived"]["userErrors"]] == [
        "REFUND_EXCEEDS_PAYMENT"
    ]
    async with session_factory() as session:
        amounts = [r.amount_cents for r in (await session.execute(select(Refund))).scalars()]
    assert amounts == [2750]


async def test_a_failed_refund_is_retried(
    client, app, offline_stripe, session_factory, monkeypatch
) -> None:
    town = await Town(client).build()
    customer = await town.customer("client@example.re")
    order = await delivered(client, offline_stripe, town, customer)
    gateway = app.state.runtime.payments.gateway
    real_refund, calls = gateway.refund, []

    async def flaky(*args: Any, **kwargs: Any) -> str:
        calls.append(args)
        if len(calls) == 1:
            raise PaymentsUnavailable("Stripe is down")
        return await real_refund(*args, **kwargs)

    monkeypatch.setattr(gateway, "refund", flaky)
    back = (await client(REQUEST, {"input": one_line(order, 2)}, token=customer))["data"][
        "requestReturn"
    ]["return"]
    await ok(
        client(
            CONFIRM,
            {"input": {"returnId": back["id"], "condition": "GOOD"}},
            token=town.grocer_token,
        ),
        "confirmReturnReceived",
    )
    await wait_until(lambda: jobs_done(session_factory, REFUND_JOB), timeout=15)
    async with session_factory() as session:
        job = (await session.execute(select(Job).where(Job.kind == REFUND_JOB))).scalar_one()
        refund = (await session.execute(select(Refund))).scalar_one()
    assert job.attempts == 2 and "Stripe is down" in (job.last_error or "")
    assert refund.done_at is not None and refund.amount_cents == 2750
    assert len(calls) == 2


async def test_nobody_else_reads_or_confirms_a_return(client, offline_stripe) -> None:
    town = await Town(client).build()
    customer = await town.customer("client@example.re")
    order = await delivered(client, offline_stripe, town, customer)
    back = (await client(REQUEST, {"input": one_line(order, 1)}, token=customer))["data"][
        "requestReturn"
    ]["return"]
    stranger = await town.customer("curieux@example.re")
    assert (await client(RETURN, {"id": back["id"]}, token=stranger))["data"]["node"] is None
    assert (await client(RETURN, {"id": back["id"]}, token=town.baker_token))["data"][
        "node"
    ] is None
    for token in (stranger, town.baker_token, customer):
        refused = await client(
            CONFIRM, {"input": {"returnId": back["id"], "condition": "GOOD"}}, token=token
        )
        assert [e["code"] for e in refused["data"]["confirmReturnReceived"]["userErrors"]] == [
            "NOT_FOUND"
        ]
    other = await client(REQUEST, {"input": one_line(order, 1)}, token=stranger)
    assert [e["code"] for e in other["data"]["requestReturn"]["userErrors"]] == ["NOT_FOUND"]
    mine = (await client(RETURN, {"id": back["id"]}, token=customer))["data"]["node"]
    assert mine["status"] == "REQUESTED"


async def test_staff_are_alerted_when_a_refund_is_still_not_done(
    client, app, offline_stripe, session_factory, monkeypatch, mailbox
) -> None:
    town = await Town(client).build()
    customer = await town.customer("client@example.re")
    order = await delivered(client, offline_stripe, town, customer)
    flow = app.state.runtime.payments

    async def down(*args: Any, **kwargs: Any) -> str:
        raise PaymentsUnavailable("Stripe is down")

    monkeypatch.setattr(flow.gateway, "refund", down)
    back = (await client(REQUEST, {"input": one_line(order, 2)}, token=customer))["data"][
        "requestReturn"
    ]["return"]
    await ok(
        client(
            CONFIRM,
            {"input": {"returnId": back["id"], "condition": "GOOD"}},
            token=town.grocer_token,
        ),
        "confirmReturnReceived",
    )
    async with session_factory() as session:
        refund = (await session.execute(select(Refund))).scalar_one()
        deadline = (
            await session.execute(select(Job).where(Job.kind == "payments.refund_deadline"))
        ).scalar_one()
    assert deadline.run_at - refund.created_at == timedelta(days=10)
    await flow.refunds.overdue(refund.id)  # what the job does on day 10
    (alert,) = await mailbox.wait_for_subject(
        f"Remboursement en retard : n° {refund.id} (27,50\u00a0€)"
    )
    assert alert["To"] == "support@otesaintjo.re"
