"""Around every handler: the API key, body parsing, ``Idempotency-Key`` replays and errors.

So a handler only sees parsed parameters and raises ``StripeShapedError``; its events leave
after the response.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from otesaintjo.payments.offline.connect_double.state import Stored
from otesaintjo.payments.offline.connect_double.webhooks import WebhookEvents
from otesaintjo.payments.offline.connect_double.wire import (
    Call,
    JSONDict,
    StripeShapedError,
    bearer_ok,
    new_id,
    read_call,
)

Handler = Callable[[Call], Awaitable[JSONDict | Response]]


class Endpoints(WebhookEvents):
    """Turns a handler into a Starlette endpoint."""

    def endpoint(
        self, handler: Handler, *, api: bool = True
    ) -> Callable[[Request], Awaitable[Response]]:
        """Wrap a handler: auth, body parsing, idempotency and Stripe-shaped errors.

        ``api=False`` marks the double's own control routes (no key, no idempotency), like
        localstripe's ``/_config`` routes.
        """

        async def run(request: Request) -> Response:
            try:
                if api and not bearer_ok(request):
                    raise StripeShapedError(
                        401,
                        "You did not provide a valid API key (Authorization: Bearer sk_…).",
                    )
                call = await read_call(request)
                key = request.headers.get("idempotency-key")
                if not api or request.method != "POST" or not key:
                    return await self._respond(handler, call)
                return await self._respond_idempotently(handler, call, key)
            except StripeShapedError as exc:
                return exc.response()

        return run

    async def _respond_idempotently(self, handler: Handler, call: Call, key: str) -> Response:
        """Same key, method and path: the stored response, without doing the work again.

        Only successes are stored: Stripe does not save requests refused by validation, so a
        client may retry them with the same key once the cause is fixed.
        """
        auth = call.request.headers.get("authorization", "")
        scope = (auth, call.request.method, call.request.url.path, key)
        async with self._idempotency_locks.setdefault(scope, asyncio.Lock()):
            stored = self.idempotent.get(scope)
            if stored is not None:
                if stored.fingerprint != call.fingerprint:
                    raise StripeShapedError(
                        400,
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with.",
                        type_="idempotency_error",
                    )
                return Response(
                    stored.body,
                    status_code=stored.status,
                    media_type="application/json",
                    headers={"Idempotency-Key": key, "Idempotent-Replayed": "true"},
                )
            response = await self._respond(handler, call)
            if isinstance(response, JSONResponse) and 200 <= response.status_code < 300:
                self.idempotent[scope] = Stored(
                    response.status_code, bytes(response.body), call.fingerprint
                )
            response.headers["Idempotency-Key"] = key
            return response

    async def _respond(self, handler: Handler, call: Call) -> Response:
        """Run the handler; its events leave after the response is sent."""
        try:
            result = await handler(call)
        except StripeShapedError as exc:
            return exc.response()
        response = result if isinstance(result, Response) else JSONResponse(result)
        response.headers["Request-Id"] = new_id("req_")
        if call.events:
            response.background = BackgroundTask(self._dispatch, list(call.events))
        return response
