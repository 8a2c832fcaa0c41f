"""Events and signed webhooks: what our webhook receiver reads back, signed as Stripe signs.

Delivery happens after the response, detached from the request; failures are logged, never
retried.
"""

from __future__ import annotations

import asyncio
import copy
import json

import httpx
import stripe
import structlog

from otesaintjo.payments.offline.connect_double.state import DoubleState, Webhook
from otesaintjo.payments.offline.connect_double.wire import (
    Call,
    JSONDict,
    StripeShapedError,
    new_id,
    now,
)

log = structlog.get_logger(__name__)

WEBHOOK_TIMEOUT_SECONDS = 5.0


async def deliver(webhook: Webhook, event: JSONDict) -> None:
    """POST one event, signed like Stripe; failures are logged and never retried."""
    payload = json.dumps(event, indent=2, sort_keys=True)
    signature = stripe.WebhookSignature.generate_signature_header(
        payload, webhook.secret, timestamp=now()
    )
    headers = {"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": signature}
    try:
        async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT_SECONDS) as client:
            reply = await client.post(webhook.url, content=payload.encode(), headers=headers)
    except httpx.HTTPError as exc:
        log.warning(
            "connect double: webhook failed", url=webhook.url, type=event["type"], error=str(exc)
        )
        return
    if reply.is_error:
        log.warning(
            "connect double: webhook refused",
            url=webhook.url,
            type=event["type"],
            status=reply.status_code,
        )


class WebhookEvents(DoubleState):
    """Recording events, delivering them, and the control route that registers endpoints."""

    def emit(
        self,
        call: Call,
        event_type: str,
        obj: JSONDict,
        *,
        account: str | None = None,
        previous: JSONDict | None = None,
    ) -> None:
        """Record an event (a snapshot of ``obj``) to deliver once the response is out."""
        event: JSONDict = {
            "id": new_id("evt_"),
            "object": "event",
            "type": event_type,
            "created": now(),
            "livemode": False,
            "api_version": stripe.api_version,
            "data": {"object": copy.deepcopy(obj)},
            "pending_webhooks": 0,
            "request": {"id": None, "idempotency_key": call.request.headers.get("idempotency-key")},
        }
        if previous is not None:
            event["data"]["previous_attributes"] = copy.deepcopy(previous)
        if account is not None:
            event["account"] = account
        self.events.append(event)
        call.events.append(event)

    async def _dispatch(self, events: list[JSONDict]) -> None:
        """Detach delivery from the request, so a slow receiver never holds it."""
        for event in events:
            for webhook in list(self.webhooks.values()):
                if webhook.events is not None and event["type"] not in webhook.events:
                    continue
                task = asyncio.create_task(deliver(webhook, event))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for webhook deliveries in flight (app shutdown, tests); each one is bounded."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=WEBHOOK_TIMEOUT_SECONDS + 1)

    async def register_webhook(self, call: Call) -> JSONDict:
        """POST /_config/webhooks/{name}: same control route as localstripe's."""
        url = call.params.get("url")
        secret = call.params.get("secret")
        events = call.params.get("events")
        if isinstance(events, str):
            events = [events]
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise StripeShapedError(400, "url must be an http(s) URL", param="url")
        if not isinstance(secret, str) or not secret:
            raise StripeShapedError(400, "secret is required", param="secret")
        if events is not None and not (
            isinstance(events, list) and all(isinstance(e, str) for e in events)
        ):
            raise StripeShapedError(400, "events must be a list of event types", param="events")
        name = call.path["name"]
        self.webhooks[name] = Webhook(url, secret, events)
        return {"id": name, "url": url, "events": events}
