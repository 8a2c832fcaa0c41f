"""Stripe.js, offline: what a storefront page loads to pay while the API runs on the doubles.

This is a test double, NOT Stripe.js. localstripe ships a Stripe.js shim, but we checked what
it does: its ``confirmCardPayment`` never attaches the card typed in the page (it only ends a
3-D Secure step of an intent the *server* already confirmed with a card), and localstripe
refuses a publishable key on ``/v1/payment_intents/{id}/confirm`` (401). So a browser cannot
pay with it alone.

The honest equivalent, served by the Connect double beside its Connect routes: the page loads
``/js.stripe.com/v3/`` from the double (``platformInfo.payments.stripeJsUrl``), mounts a card
element, and calls ``stripe.confirmCardPayment(clientSecret, {payment_method: {card}})``. The
script posts what Stripe.js posts — the publishable key, the client secret and the card — to
``/v1/payment_intents/{id}/confirm`` here. The double checks the key and that the client secret
is this intent's, then, with the secret key, creates the card payment method on localstripe,
attaches it and confirms the intent there. localstripe then sends its signed webhook as Stripe
would. The page never holds a secret key; the secret never leaves the loopback servers.

Test cards are localstripe's: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0341 is declined,
4000 0025 0000 3155 asks for 3-D Secure (the script then shows its own dialog).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SCRIPT = Path(__file__).with_name("stripe-offline.js")
TIMEOUT_SECONDS = 10.0
CONFIRMABLE = ("requires_payment_method", "requires_confirmation")


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    body = {"error": {"type": "invalid_request_error", "message": message, **extra}}
    return JSONResponse(body, status_code=status)


def _nested(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``payment_method_data[card][number]=…`` → nested dicts (what Stripe.js sends)."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[parts[-1]] = value
    return root


class BrowserPayments:
    """The browser half of the offline payments: publishable key + client secret only."""

    def __init__(self, localstripe_base: str, secret_key: str, publishable_key: str) -> None:
        self.localstripe = httpx.AsyncClient(
            base_url=localstripe_base.rstrip("/"),
            headers={"Authorization": f"Bearer {secret_key}"},
            timeout=TIMEOUT_SECONDS,
        )
        self.publishable_key = publishable_key

    async def close(self) -> None:
        await self.localstripe.aclose()

    async def script(self, _request: Request) -> Response:
        return Response(
            SCRIPT.read_bytes(),
            media_type="application/javascript",
            headers={"Cache-Control": "no-cache"},
        )

    async def _params(self, request: Request) -> dict[str, Any]:
        if request.method == "GET":
            return _nested(list(request.query_params.multi_items()))
        body = (await request.body()).decode("utf-8", errors="replace")
        return _nested(parse_qsl(body, keep_blank_values=True))

    async def _intent(
        self, intent_id: str, params: dict[str, Any]
    ) -> tuple[dict[str, Any] | None, JSONResponse | None]:
        """The intent, once the publishable key and its client secret are checked."""
        key = params.get("key")
        if key != self.publishable_key:
            return None, _error(401, f"Invalid API Key provided: {str(key)[:12]}…")
        found = await self.localstripe.get(f"/v1/payment_intents/{quote(intent_id, safe='')}")
        if found.status_code != 200:
            return None, _error(
                404, f"No such payment_intent: '{intent_id}'", code="resource_missing"
            )
        intent = found.json()
        if params.get("client_secret") != intent.get("client_secret"):
            return None, _error(
                400,
                "The client_secret provided does not match the client_secret associated with"
                " the PaymentIntent.",
                param="client_secret",
            )
        return intent, None

    async def retrieve(self, request: Request) -> Response:
        intent, refusal = await self._intent(
            request.path_params["intent_id"], await self._params(request)
        )
        return refusal or JSONResponse(intent)

    async def confirm(self, request: Request) -> Response:
        intent_id = request.path_params["intent_id"]
        params = await self._params(request)
        intent, refusal = await self._intent(intent_id, params)
        if refusal is not None:
            return refusal
        assert intent is not None
        if intent["status"] not in CONFIRMABLE:
            return _error(
                400,
                f"This PaymentIntent's status is {intent['status']}: it cannot be confirmed.",
                code="payment_intent_unexpected_state",
                payment_intent=intent,
            )
        method = params.get("payment_method")
        if not isinstance(method, str):
            card = (params.get("payment_method_data") or {}).get("card") or {}
            created = await self.localstripe.post(
                "/v1/payment_methods",
                data={
                    "type": "card",
                    **{f"card[{k}]": str(card.get(k, "")) for k in ("number", "cvc")},
                    "card[exp_month]": str(card.get("exp_month", "")),
                    "card[exp_year]": str(card.get("exp_year", "")),
                },
            )
            if created.status_code != 200:
                return _error(
                    402,
                    "Votre numéro de carte est incomplet ou invalide.",
                    type="card_error",
                    code="incorrect_number",
                )
            method = created.json()["id"]
        path = f"/v1/payment_intents/{quote(intent_id, safe='')}"
        attached = await self.localstripe.post(path, data={"payment_method": method})
        if attached.status_code != 200:
            return JSONResponse(attached.json(), status_code=attached.status_code)
        confirmed = await self.localstripe.post(f"{path}/confirm")
        if confirmed.status_code != 200:  # a declined card: Stripe's card_error, with the intent
            error = confirmed.json().get("error", {})
            latest = await self.localstripe.get(path)
            return JSONResponse(
                {"error": {**error, "type": "card_error", "payment_intent": latest.json()}},
                status_code=confirmed.status_code,
            )
        return JSONResponse(confirmed.json())

    async def authenticate(self, request: Request) -> Response:
        """The 3-D Secure step the script's dialog answers (localstripe's own route)."""
        intent_id = request.path_params["intent_id"]
        params = await self._params(request)
        intent, refusal = await self._intent(intent_id, params)
        if refusal is not None:
            return refusal
        assert intent is not None
        done = await self.localstripe.post(
            f"/v1/payment_intents/{quote(intent_id, safe='')}/_authenticate",
            data={
                "client_secret": intent["client_secret"],
                "success": "true" if params.get("success") == "true" else "false",
            },
        )
        return JSONResponse(done.json(), status_code=done.status_code)


def routes(browser: BrowserPayments) -> list[Route]:
    return [
        Route("/js.stripe.com/v3/", browser.script, methods=["GET"]),
        Route("/v1/payment_intents/{intent_id}", browser.retrieve, methods=["GET"]),
        Route("/v1/payment_intents/{intent_id}/confirm", browser.confirm, methods=["POST"]),
        Route(
            "/v1/payment_intents/{intent_id}/authenticate",
            browser.authenticate,
            methods=["POST"],
        ),
    ]
