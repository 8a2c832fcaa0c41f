"""One PaymentIntent per purchase, with no transaction open during the call to Stripe: the
call that placed the purchase holds its payment claim; twins with the same key wait for its
PaymentIntent; a failed or abandoned claim is taken over by a retry with the same key."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from otesaintjo.errors import DomainError
from otesaintjo.models import Purchase
from otesaintjo.services import checkout_payment
from tests.doubles.payments import InMemoryPayments
from tests.support.service_town import ServiceTown

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


class SlowPayments(InMemoryPayments):
    """Stripe taking its time: twins arrive while the first call is still waiting for it."""

    async def create_payment(self, amount_cents, metadata, idempotency_key):
        await asyncio.sleep(0.3)
        return await super().create_payment(amount_cents, metadata, idempotency_key)


@pytest.fixture
async def town(session_factory, settings) -> ServiceTown:
    built = await ServiceTown.build(session_factory, NOW)
    await built.fill_cart(session_factory, settings, NOW)
    return built


async def buy(session_factory, settings, gateway, town, key: str = "clé-1") -> Purchase:
    return await town.check_out(session_factory, settings, gateway, NOW, key)


async def purchases(session_factory) -> list[Purchase]:
    async with session_factory() as session:
        return list((await session.execute(select(Purchase))).scalars())


async def test_twins_wait_for_the_one_payment_intent(session_factory, settings, town) -> None:
    gateway = SlowPayments()
    bought = await asyncio.gather(
        *(buy(session_factory, settings, gateway, town) for _ in range(8))
    )
    assert len({p.id for p in bought}) == 1
    assert len({p.payment_intent_id for p in bought}) == 1 and bought[0].payment_intent_id
    assert len(gateway.intents) == 1
    (stored,) = await purchases(session_factory)
    assert stored.payment_claimed_until is None
    assert stored.client_secret == bought[0].client_secret


async def test_stripe_down_then_a_retry_with_the_same_key(session_factory, settings, town) -> None:
    gateway = InMemoryPayments(down=True)
    with pytest.raises(DomainError) as refused:
        await buy(session_factory, settings, gateway, town)
    assert refused.value.code == "PAYMENT_UNAVAILABLE"
    (waiting,) = await purchases(session_factory)
    assert waiting.payment_intent_id is None
    assert waiting.payment_claimed_until is None  # released: a retry need not wait
    gateway.down = False
    again = await buy(session_factory, settings, gateway, town)
    assert again.id == waiting.id and again.payment_intent_id in gateway.intents
    assert len(gateway.intents) == 1


async def test_a_claim_left_by_a_call_that_died_lapses(session_factory, settings, town) -> None:
    gateway = InMemoryPayments()
    placed = await buy(session_factory, settings, gateway, town)
    # As if the call had died between its commit and Stripe: no PaymentIntent, a live claim.
    async with session_factory() as session, session.begin():
        await session.execute(
            update(Purchase).values(
                payment_intent_id=None,
                client_secret=None,
                payment_claimed_until=NOW + checkout_payment.PAYMENT_CLAIM,
            )
        )
    gateway.intents.clear()
    waiting = asyncio.ensure_future(buy(session_factory, settings, gateway, town))
    await asyncio.sleep(0.3)
    assert not waiting.done()  # the claim is still live: the retry waits
    async with session_factory() as session, session.begin():  # …until it lapses
        await session.execute(
            update(Purchase).values(payment_claimed_until=NOW - timedelta(seconds=1))
        )
    again = await asyncio.wait_for(waiting, 10)
    assert again.id == placed.id and again.payment_intent_id in gateway.intents
