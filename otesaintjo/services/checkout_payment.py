"""The PaymentIntent of a purchase, created once, with no transaction open during the call to
Stripe (issue 13: the lock-then-read of the purchase and its own transaction around the call
cost a checkout 4 round trips and held a connection while Stripe answered).

Who creates it holds the purchase's payment claim (``purchase.payment_claimed_until``): the
checkout that placed the purchase took it in the purchase's INSERT; a caller that found the
purchase by its key (a twin, a retry) takes it only when it is free or has lapsed, in one
conditional UPDATE, and otherwise waits for the PaymentIntent to appear. The PaymentIntent is
then stored in one statement committed on its own; a failure of Stripe releases the claim.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.admission import outside_admission
from otesaintjo.errors import DomainError, ErrorCode
from otesaintjo.models import Purchase, PurchaseStatus
from otesaintjo.models.base import built
from otesaintjo.payments.gateway import PaymentsGateway, PaymentsUnavailable
from otesaintjo.services.stripe_keys import stripe_key

UnitOfWork = Callable[[], AbstractAsyncContextManager[AsyncSession]]


async def attach_payment(
    unit_of_work: UnitOfWork,
    gateway: PaymentsGateway,
    purchase: Purchase,
    *,
    claimed: bool,
    now: datetime,
) -> Purchase:
    """The purchase with its PaymentIntent, created once.

    Who creates it holds the purchase's payment claim (``payment_claimed_until``): the call
    that placed the purchase took it in the same INSERT; a caller that found the purchase by
    its key (a twin, a retry) takes it only when free or lapsed, in one conditional UPDATE,
    and otherwise waits for the PaymentIntent to appear. No transaction stays open and no
    row stays locked during the call to Stripe: one statement before it (for a twin), one
    after it, each committed on its own."""
    if not claimed:
        found = await _claim_or_wait(unit_of_work, purchase.id, now)  # type: ignore[arg-type]
        if found is not None:
            return found
    try:
        payment = await gateway.create_payment(
            purchase.total_cents,
            {"purchase_id": str(purchase.id)},
            idempotency_key=stripe_key("purchase", purchase.id, purchase.created_at, "payment"),
        )
    except PaymentsUnavailable as exc:
        async with _one_statement(unit_of_work) as session:  # let a retry claim it at once
            await session.execute(
                update(Purchase)
                .where(Purchase.id == purchase.id)
                .values(payment_claimed_until=None)
                .execution_options(synchronize_session=False)
            )
        raise DomainError(
            ErrorCode.PAYMENT_UNAVAILABLE,
            "Le paiement est momentanément indisponible ; réessayez avec la même clé.",
        ) from exc
    intent = {"purchase": purchase.id, "intent": payment.id, "secret": payment.client_secret}
    async with _one_statement(unit_of_work) as session:
        row = (await session.execute(_store_payment(), intent)).first()
        if row is not None:
            stored = built(Purchase, **row._mapping)
        else:  # stored by a caller that took over a lapsed claim: the same one
            stored = await session.get(Purchase, purchase.id)
    assert stored is not None
    return stored


@cache
def _store_payment() -> Any:
    """The PaymentIntent stored on a purchase that has none, the whole row returned: a Core
    UPDATE built once (the ORM's bulk-update path cost ~0.5 ms a checkout)."""
    table = Purchase.__table__
    return (
        update(table)
        .where(table.c.id == bindparam("purchase"), table.c.payment_intent_id.is_(None))
        .values(
            payment_intent_id=bindparam("intent"),
            client_secret=bindparam("secret"),
            payment_claimed_until=None,
        )
        .returning(*table.c)
    )


PAYMENT_CLAIM = timedelta(seconds=60)
"""How long a caller may take to create a PaymentIntent before another may (Stripe's client
retries twice; a caller that died leaves its claim to lapse)."""
WAIT_STEP_SECONDS = 0.02


@asynccontextmanager
async def _one_statement(unit_of_work: UnitOfWork) -> AsyncIterator[AsyncSession]:
    """A session whose statements commit one by one (no BEGIN, no COMMIT round trip)."""
    async with unit_of_work() as session:
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session


async def _claim_or_wait(
    unit_of_work: UnitOfWork, purchase_id: int, started: datetime
) -> Purchase | None:
    """None once this caller holds the claim; else the purchase, once it has its PaymentIntent
    (or is no longer payable)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while True:
        waited = loop.time() - start
        now = started + timedelta(seconds=waited)  # the request's instant, moved by the wait
        async with _one_statement(unit_of_work) as session:
            claimed = (
                await session.execute(
                    update(Purchase)
                    .where(
                        Purchase.id == purchase_id,
                        Purchase.payment_intent_id.is_(None),  # type: ignore[union-attr]
                        Purchase.status == PurchaseStatus.PENDING_PAYMENT,
                        or_(
                            Purchase.payment_claimed_until.is_(None),  # type: ignore[union-attr]
                            Purchase.payment_claimed_until < now,  # type: ignore[operator]
                        ),
                    )
                    .values(payment_claimed_until=now + PAYMENT_CLAIM)
                    .returning(Purchase.id)
                    .execution_options(synchronize_session=False)
                )
            ).first()
            current = None if claimed else await session.get(Purchase, purchase_id)
        if claimed:
            return None
        assert current is not None
        if current.payment_intent_id or current.status != PurchaseStatus.PENDING_PAYMENT:
            return current
        if waited > PAYMENT_CLAIM.total_seconds() + 5:
            raise DomainError(
                ErrorCode.PAYMENT_UNAVAILABLE,
                "Le paiement est momentanément indisponible ; réessayez avec la même clé.",
            )
        async with outside_admission():  # the claimer's progress, not ours: lend the slot
            await asyncio.sleep(WAIT_STEP_SECONDS)
