"""The money of a purchase at the service level, with an in-memory payments gateway: checkout,
settlement, the shops' transfers, refunds (cancellation and return, one ledger) and invoices.
No HTTP, no GraphQL: the rules themselves (API tests cover the same path end to end)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from otesaintjo.clock import REUNION
from otesaintjo.db import unit_of_work
from otesaintjo.errors import DomainError, ErrorCode
from otesaintjo.models import (
    AuditEntry,
    CartItem,
    Invoice,
    Job,
    Order,
    OrderEvent,
    OrderLine,
    Product,
    Refund,
    Shop,
    ShopOrderCounter,
    ShopTransfer,
    TransferStatus,
)
from otesaintjo.services import invoices, orders, returns
from otesaintjo.services.money import PaymentFlow, ledger
from otesaintjo.services.outbox import EMAIL_JOB
from tests.doubles.payments import InMemoryPayments
from tests.support.service_town import ServiceTown

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=REUNION)  # a Monday morning


@pytest.fixture
def gateway() -> InMemoryPayments:
    return InMemoryPayments()


@pytest.fixture
def flow(session_factory, settings, gateway) -> PaymentFlow:
    return PaymentFlow(session_factory, gateway, settings, None, clock=lambda: NOW)


@pytest.fixture
async def town(session_factory, settings) -> ServiceTown:
    built = await ServiceTown.build(session_factory, NOW)
    await built.fill_cart(session_factory, settings, NOW)
    return built


async def place(session_factory, settings, gateway, town, key: str = "clé-1"):
    return await town.check_out(session_factory, settings, gateway, NOW, key)


async def rows(session_factory, query) -> list:
    async with session_factory() as session:
        return list((await session.execute(query)).scalars())


async def paid(session_factory, settings, gateway, flow, town):
    purchase = await place(session_factory, settings, gateway, town)
    gateway.succeed(purchase.payment_intent_id)
    await flow.settle(purchase.id)
    by_shop = {o.shop_id: o for o in await rows(session_factory, select(Order))}
    return purchase, by_shop[town.bakery.id], by_shop[town.grocery.id]


async def test_checkout_numbers_orders_reserves_stock_and_asks_one_payment(
    session_factory, settings, gateway, town
) -> None:
    purchase = await place(session_factory, settings, gateway, town)
    assert purchase.total_cents == 2 * 250 + 350 + 1200
    placed = await rows(session_factory, select(Order).order_by(Order.shop_id))
    assert [(o.number, o.status, o.total_cents) for o in placed] == [
        ("CEN-0001", "PENDING_PAYMENT", 850),
        ("HOA-0001", "PENDING_PAYMENT", 1200),
    ]
    stock = {p.name: p.stock for p in await rows(session_factory, select(Product))}
    assert stock == {"Pain": 98, "Riz": 99}
    assert [i["amount"] for i in gateway.intents.values()] == [2050]
    again = await place(session_factory, settings, gateway, town)
    assert again.id == purchase.id and len(gateway.intents) == 1  # the same key: once


async def test_checkout_writes_each_line_to_its_shops_order_and_numbers_past_9999(
    session_factory, settings, gateway, town
) -> None:
    """On PostgreSQL one statement writes the orders and lines (``checkout_statement``): each
    line lands on its own shop's order, and the count is padded to four digits, never cut."""
    async with unit_of_work(session_factory) as session:
        session.add(ShopOrderCounter(shop_id=town.bakery.id, last_number=9999))
    await place(session_factory, settings, gateway, town)
    placed = {o.id: o for o in await rows(session_factory, select(Order))}
    assert sorted(o.number for o in placed.values()) == ["CEN-10000", "HOA-0001"]
    lines = await rows(session_factory, select(OrderLine).order_by(OrderLine.product_name))
    assert [(line.product_name, line.quantity, line.unit_cents) for line in lines] == [
        ("Pain", 2, 250),
        ("Riz", 1, 1200),
    ]
    assert [placed[line.order_id].shop_id for line in lines] == [town.bakery.id, town.grocery.id]


async def test_settlement_pays_each_order_once(
    session_factory, settings, gateway, flow, town
) -> None:
    purchase, bakery_order, grocery_order = await paid(
        session_factory, settings, gateway, flow, town
    )
    await flow.settle(purchase.id)  # a second report (webhook after confirmPayment)
    assert bakery_order.status == grocery_order.status == "PAID"
    assert grocery_order.ready_by is not None and bakery_order.ready_by is None
    transfers = await rows(session_factory, select(ShopTransfer).order_by(ShopTransfer.shop_id))
    # 10 % commission on the order total, delivery included, rounded half up.
    assert [(t.amount_cents, t.commission_cents) for t in transfers] == [(765, 85), (1080, 120)]
    events = await rows(session_factory, select(OrderEvent))
    assert sorted((e.shop_id, e.kind) for e in events) == [
        (town.bakery.id, "PLACED"),
        (town.grocery.id, "PLACED"),
    ]
    assert await rows(session_factory, select(CartItem)) == []  # bought: out of the cart


async def test_invoices_are_numbered_in_the_payment_and_drawn_by_the_email_job(
    session_factory, settings, gateway, flow, town
) -> None:
    await paid(session_factory, settings, gateway, flow, town)
    issued = await rows(session_factory, select(Invoice).order_by(Invoice.shop_id))
    assert [i.snapshot["number"] for i in issued] == [
        f"F-{town.bakery.id}-000001",
        f"F-{town.grocery.id}-000001",
    ]
    assert [i.snapshot["order_number"] for i in issued] == ["CEN-0001", "HOA-0001"]
    (confirmation,) = [
        j
        for j in await rows(session_factory, select(Job).where(Job.kind == EMAIL_JOB))
        if j.payload["subject"] == "Votre commande est confirmée"
    ]
    # The transaction took the numbers; the PDFs are drawn when the email is sent.
    assert "attachments" not in confirmation.payload
    assert sorted(confirmation.payload["invoice_ids"]) == sorted(i.id for i in issued)
    attached = await invoices.pdf_attachments(session_factory, confirmation.payload["invoice_ids"])
    assert [a["filename"] for a in attached] == [
        f"F-{town.bakery.id}-000001.pdf",
        f"F-{town.grocery.id}-000001.pdf",
    ]


async def test_transfers_wait_for_payouts_then_go_with_the_charge(
    session_factory, settings, gateway, flow, town
) -> None:
    purchase, bakery_order, _ = await paid(session_factory, settings, gateway, flow, town)
    await flow.transfers.send(bakery_order.id)
    assert gateway.transfers == {}  # no payouts yet: the sale went through, the money waits
    account = await gateway.create_account("b@example.re", "Boulangerie", {}, "k")
    async with unit_of_work(session_factory) as session:
        shop = await session.get(Shop, town.bakery.id)
        shop.stripe_account_id = account.id
    gateway.enable_payouts(account.id)
    await flow.transfers.account_updated(account.id)
    queued = await rows(session_factory, select(Job).where(Job.kind == "payments.transfer"))
    assert {j.payload["order_id"] for j in queued} >= {bakery_order.id}
    await flow.transfers.send(bakery_order.id)
    await flow.transfers.send(bakery_order.id)  # a retried job: still one transfer
    (sent,) = gateway.transfers.values()
    charge = gateway.intents[purchase.payment_intent_id]["charge_id"]
    assert sent == {
        "amount": 765,
        "destination": account.id,
        "source_transaction": charge,
        "group": f"purchase_{purchase.id}",
    }


async def test_a_staff_cancellation_refunds_once_and_takes_the_shop_share_back(
    session_factory, settings, gateway, flow, town
) -> None:
    _, bakery_order, _ = await paid(session_factory, settings, gateway, flow, town)
    async with unit_of_work(session_factory) as session:
        with pytest.raises(DomainError) as refused:
            await orders.cancel_order(session, town.customer, bakery_order.id, NOW)
    assert refused.value.code == ErrorCode.INVALID_STATUS_TRANSITION  # paid: not the customer
    async with unit_of_work(session_factory) as session:
        await orders.cancel_order(session, town.staff, bakery_order.id, NOW)
    (refund,) = await rows(session_factory, select(Refund))
    assert (refund.key, refund.amount_cents) == (f"order:{bakery_order.id}:cancel", 850)
    (entry,) = await rows(session_factory, select(AuditEntry))
    assert (entry.action, entry.target_id, entry.staff_user_id) == (
        "cancel_order",
        bakery_order.id,
        town.staff.id,
    )
    (transfer,) = await rows(
        session_factory, select(ShopTransfer).where(ShopTransfer.order_id == bakery_order.id)
    )
    assert transfer.status == TransferStatus.CANCELLED  # it was still waiting: withheld
    await flow.refunds.send(refund.id)
    await flow.refunds.send(refund.id)  # a retried job: Stripe is asked once
    assert [r["amount"] for r in gateway.refunds] == [850]
    credit_notes = await rows(session_factory, select(Invoice).where(Invoice.kind == "CREDIT_NOTE"))
    assert [n.snapshot["total_ttc_cents"] for n in credit_notes] == [850]


async def test_a_return_is_refunded_within_what_was_paid(
    session_factory, settings, gateway, flow, town
) -> None:
    _, bakery_order, _ = await paid(session_factory, settings, gateway, flow, town)
    async with unit_of_work(session_factory) as session:
        order = await orders.order_for_merchant(
            session, town.baker, bakery_order.id, "mark_order_shipped"
        )
        await orders.mark_shipped(session, order, "Colissimo", "6A1234", NOW)
        await orders.mark_delivered(session, order, NOW)
    (line,) = await rows(
        session_factory, select(OrderLine).where(OrderLine.order_id == bakery_order.id)
    )
    async with unit_of_work(session_factory) as session:
        back = await returns.request_return(
            session,
            settings,
            town.customer,
            bakery_order.id,
            [returns.WantedLine(line.id, 2)],  # type: ignore[arg-type]
            None,
            NOW,
        )
    async with unit_of_work(session_factory) as session:
        with pytest.raises(DomainError):  # another merchant: not found
            await returns.confirm_received(
                session,
                settings,
                town.grocer,
                back.id,
                True,
                None,
                NOW,  # type: ignore[arg-type]
            )
    async with unit_of_work(session_factory) as session:
        await returns.confirm_received(
            session,
            settings,
            town.baker,
            back.id,
            True,
            None,
            NOW,  # type: ignore[arg-type]
        )
    (refund,) = await rows(session_factory, select(Refund))
    assert refund.amount_cents == 850  # the whole order came back: the delivery fee too
    (transfer,) = await rows(
        session_factory, select(ShopTransfer).where(ShopTransfer.order_id == bakery_order.id)
    )
    assert transfer.amount_cents == 0  # the waiting transfer shrank by the shop's share
    async with unit_of_work(session_factory) as session:
        order = await session.get(Order, bakery_order.id)
        with pytest.raises(DomainError) as over:
            await ledger.refund(session, order, "extra", NOW, amount_cents=1)
    assert over.value.code == ErrorCode.REFUND_EXCEEDS_PAYMENT
