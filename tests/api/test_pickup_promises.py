"""The pickup promise watched (issue 14, point 7): 30 minutes before ``readyBy`` a shop whose
order is still not ready gets an SMS; at ``readyBy`` the customer and the support team are
told. An order marked ready silences both. Each through the outbox, once.

The jobs are made due by moving their ``run_at`` (what the passing of time would do)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from otesaintjo.clock import utcnow
from otesaintjo.models import Job
from otesaintjo.services.pickup_promises import PICKUP_LATE_JOB, PICKUP_REMINDER_JOB
from tests.doubles.smtp import wait_until
from tests.support.buying import Town, buy, ok
from tests.support.orders import READY

ORDER = """query($id: ID!) { node(id: $id) { ... on Order { number fulfilment { readyBy } } } }"""


async def make_due(app, session_factory, kind: str) -> None:
    async with session_factory() as session, session.begin():
        await session.execute(update(Job).where(Job.kind == kind).values(run_at=utcnow()))
    app.state.runtime.worker.wake()


async def done(session_factory, kind: str) -> bool:
    async with session_factory() as session:
        jobs = (await session.execute(select(Job).where(Job.kind == kind))).scalars().all()
    return bool(jobs) and all(job.done_at is not None for job in jobs)


async def rice_to_collect(client, offline_stripe) -> tuple[Town, str, dict]:
    town = await Town(client).build()
    customer = await town.customer("client@example.re")
    (order,) = (await buy(client, offline_stripe, town, customer, bread=0, rice=1))["orders"]
    return (
        town,
        customer,
        (await client(ORDER, {"id": order["id"]}, token=customer))["data"]["node"] | order,
    )


async def test_a_late_pickup_order_is_chased(
    app, client, offline_stripe, session_factory, mailbox, sms_gateway
) -> None:
    _, _, order = await rice_to_collect(client, offline_stripe)
    ready_by = datetime.fromisoformat(order["fulfilment"]["readyBy"])
    async with session_factory() as session:
        jobs = {j.kind: j for j in (await session.execute(select(Job))).scalars()}
    assert jobs[PICKUP_REMINDER_JOB].run_at == ready_by - timedelta(minutes=30)
    assert jobs[PICKUP_LATE_JOB].run_at == ready_by

    await sms_gateway.wait_for(1)  # the new-order SMS
    await make_due(app, session_factory, PICKUP_REMINDER_JOB)
    reminder = (await sms_gateway.wait_for(2))[-1]
    assert reminder["to"] == "+262692112233"
    assert f"la commande {order['number']} est promise pour" in reminder["text"]
    assert reminder["text"].endswith(f"/commercant/commandes/{order['number']}")

    await make_due(app, session_factory, PICKUP_LATE_JOB)
    await wait_until(lambda: len([m for m in mailbox.messages if "retard" in m["Subject"]]) == 2)
    late = {m["To"]: m["Subject"] for m in mailbox.messages if "retard" in m["Subject"]}
    assert late["client@example.re"].startswith(f"Votre commande {order['number']} prend du retard")
    assert late["support@otesaintjo.re"].startswith(
        f"Retrait en retard : commande {order['number']}"
    )


async def test_an_order_marked_ready_in_time_silences_both(
    app, client, offline_stripe, session_factory, mailbox, sms_gateway
) -> None:
    town, _, order = await rice_to_collect(client, offline_stripe)
    await ok(client(READY, {"o": order["id"]}, token=town.grocer_token), "markOrderReady")
    await sms_gateway.wait_for(1)
    for kind in (PICKUP_REMINDER_JOB, PICKUP_LATE_JOB):
        await make_due(app, session_factory, kind)
        await wait_until(lambda kind=kind: done(session_factory, kind))
    assert len(sms_gateway.messages) == 1  # the new-order SMS only
    assert not [m for m in mailbox.messages if "retard" in m["Subject"]]
