"""Invoices held for the seller's legal identity, under concurrency: payments settling while
the merchant completes the identity. Each order gets one invoice, numbers stay gap-free and
chronological, the shop is asked at most once, nothing stays held (CGI art. 242 nonies A)."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import select, update

from otesaintjo.clock import REUNION
from otesaintjo.db import unit_of_work
from otesaintjo.models import HeldInvoice, Invoice, Job, Order, Shop, User
from otesaintjo.services import cart, checkout, shop_identity
from otesaintjo.services.legal_identity import IdentityChanges
from otesaintjo.services.money import PaymentFlow
from otesaintjo.services.outbox import EMAIL_JOB
from tests.doubles.payments import InMemoryPayments
from tests.support.service_town import ServiceTown, checkout_request

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=REUNION)
BUYERS = 12


async def test_payments_racing_the_identity_get_one_invoice_each(session_factory, settings) -> None:
    town = await ServiceTown.build(session_factory, NOW)
    gateway = InMemoryPayments()
    flow = PaymentFlow(session_factory, gateway, settings, None, clock=lambda: NOW)
    grocery = town.grocery.id
    async with unit_of_work(session_factory) as session:
        await session.execute(
            update(Shop)
            .where(Shop.id == grocery)
            .values(legal_name=None, legal_form=None, registration=None, vat_number=None)
        )
        buyers = [
            User(email=f"c{i}@example.re", password_hash="x", first_name="C", last_name=str(i))
            for i in range(BUYERS)
        ]
        session.add_all(buyers)
    purchases = []
    for buyer in buyers:
        async with unit_of_work(session_factory) as session:
            owner = cart.Owner(buyer)
            await cart.add_item(session, owner, town.rice.id, 1, NOW)  # type: ignore[arg-type]
            await cart.set_fulfilment(session, settings, owner, grocery, "PICKUP", None, None, NOW)  # type: ignore[arg-type]
        purchase = await checkout.checkout(
            lambda: unit_of_work(session_factory),
            gateway,
            settings,
            buyer,
            checkout_request(f"clé-{buyer.id}"),
            NOW,
        )
        gateway.succeed(purchase.payment_intent_id)
        purchases.append(purchase)
    # Two settle before the identity is given: their invoices are surely held.
    for purchase in purchases[:2]:
        await flow.settle(purchase.id)

    async def complete() -> None:
        async with unit_of_work(session_factory) as session:
            await shop_identity.update_legal_identity(
                session,
                town.grocer,
                grocery,  # type: ignore[arg-type]
                IdentityChanges(
                    legal_name="Épicerie Hoarau",
                    legal_form="EI",
                    registration="NONE",
                    vat_franchise=True,
                ),
                NOW,
            )

    await asyncio.gather(complete(), *[flow.settle(p.id) for p in purchases[2:]])

    async with session_factory() as session:
        orders = list(await session.scalars(select(Order.id).where(Order.shop_id == grocery)))
        issued = list(
            await session.execute(
                select(Invoice.order_id, Invoice.number).where(Invoice.shop_id == grocery)
            )
        )
        held = list(await session.scalars(select(HeldInvoice)))
        subjects = [
            job.payload["subject"]
            for job in await session.scalars(select(Job).where(Job.kind == EMAIL_JOB))
        ]
    assert held == []
    assert sorted(order for order, _ in issued) == sorted(orders)  # one invoice per order
    assert sorted(number for _, number in issued) == list(range(1, BUYERS + 1))
    asked = [s for s in subjects if "complétez votre identité légale" in s]
    assert len(asked) == 1  # the first held invoice asked; none after
    released = [s for s in subjects if s.startswith("Votre facture de la commande HOA-")]
    assert 2 <= len(released) <= BUYERS  # those held, the two first at least, sent once each
    assert len(set(released)) == len(released)
