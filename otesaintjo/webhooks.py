"""``POST /webhooks/stripe``: verify, record the event id once, hand the work to the outbox.

The signature is checked on the raw body (a re-serialised payload fails), with Stripe's
5-minute tolerance. The event row's primary key makes a redelivery a no-op; the job re-reads
the object at Stripe before changing anything, so order and repetition do not matter.
"""

from __future__ import annotations

import structlog
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import JSONResponse

from otesaintjo.db import unit_of_work
from otesaintjo.models import StripeEvent
from otesaintjo.payments.gateway import InvalidWebhook
from otesaintjo.runtime import Runtime
from otesaintjo.services.money import STRIPE_EVENT_JOB
from otesaintjo.services.outbox import enqueue

log = structlog.get_logger(__name__)


async def stripe_webhook(request: Request) -> JSONResponse:
    runtime: Runtime = request.app.state.runtime
    if runtime.payments is None:
        return JSONResponse({"error": "payments not configured"}, status_code=404)
    payload = await request.body()
    try:
        event = runtime.payments.gateway.verify_webhook(
            payload, request.headers.get("stripe-signature")
        )
    except InvalidWebhook as exc:
        log.warning("stripe webhook refused", reason=str(exc))
        return JSONResponse({"error": "invalid signature"}, status_code=400)
    object_id = event.object.get("id")
    try:
        async with unit_of_work(runtime.session_factory) as session:
            session.add(StripeEvent(id=event.id, type=event.type))
            await session.flush()
            if isinstance(object_id, str):
                enqueue(
                    session,
                    STRIPE_EVENT_JOB,
                    {"type": event.type, "object_id": object_id, "account": event.account},
                )
    except IntegrityError:
        return JSONResponse({"received": True, "duplicate": True})
    if runtime.worker is not None:
        runtime.worker.wake()
    return JSONResponse({"received": True})
