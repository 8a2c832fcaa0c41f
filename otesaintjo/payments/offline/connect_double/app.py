"""The double as an ASGI app: its Connect routes, Stripe.js offline's browser routes, CORS."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import AsyncIterator, Sequence

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from otesaintjo.payments.offline import stripe_js
from otesaintjo.payments.offline.connect_double.endpoint import Endpoints
from otesaintjo.payments.offline.connect_double.files import FileHandlers
from otesaintjo.payments.offline.connect_double.onboarding import OnboardingHandlers
from otesaintjo.payments.offline.connect_double.transfers import TransferHandlers
from otesaintjo.payments.offline.connect_double.wire import StripeShapedError

DEFAULT_PUBLISHABLE_KEY = "pk_test_offline_no_real_money"


class ConnectDouble(Endpoints, OnboardingHandlers, FileHandlers, TransferHandlers):
    """The in-memory state and the handlers; one per app (``app.state.connect_double``)."""


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown routes and bad multipart bodies answer in Stripe's error shape too."""
    assert isinstance(exc, HTTPException)
    message = exc.detail
    if exc.status_code in (404, 405):
        message = f"Unrecognized request URL ({request.method}: {request.url.path})."
    return StripeShapedError(exc.status_code, message).response()


def create_connect_double(
    localstripe_base: str, api_key: str, publishable_key: str = DEFAULT_PUBLISHABLE_KEY
) -> Starlette:
    """The double as an ASGI app; ``api_key`` reads charges from localstripe and confirms the
    intents pages pay with ``publishable_key`` (``stripe_js``: Stripe.js, offline)."""
    double = ConnectDouble(localstripe_base, api_key)
    browser = stripe_js.BrowserPayments(localstripe_base, api_key, publishable_key)
    e = double.endpoint

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await double.drain()
        await browser.close()

    routes = [
        Route("/v1/accounts", e(double.create_account), methods=["POST"]),
        Route("/v1/accounts/{account_id}", e(double.retrieve_account), methods=["GET"]),
        Route("/v1/accounts/{account_id}", e(double.update_account), methods=["POST"]),
        Route("/v1/account_links", e(double.create_account_link), methods=["POST"]),
        Route("/v1/files", e(double.create_file), methods=["POST"]),
        Route("/v1/files/{file_id}", e(double.retrieve_file), methods=["GET"]),
        Route("/v1/transfers", e(double.create_transfer), methods=["POST"]),
        Route("/v1/transfers", e(double.list_transfers), methods=["GET"]),
        Route("/v1/transfers/{transfer_id}", e(double.retrieve_transfer), methods=["GET"]),
        Route(
            "/v1/transfers/{transfer_id}/reversals",
            e(double.create_reversal),
            methods=["POST"],
        ),
        Route(
            "/_double/onboarding/{account_id}",
            e(double.onboarding_page, api=False),
            methods=["GET"],
        ),
        Route(
            "/_double/accounts/{account_id}/complete",
            e(double.complete_onboarding, api=False),
            methods=["POST"],
        ),
        Route("/_config/webhooks/{name}", e(double.register_webhook, api=False), methods=["POST"]),
        *stripe_js.routes(browser),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_error},
        lifespan=lifespan,
        # Pages on any origin call the browser routes, as they call api.stripe.com.
        middleware=[Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST"])],
    )
    app.state.connect_double = double
    return app


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the double on 127.0.0.1 only: it accepts any test key and must not be exposed."""
    parser = argparse.ArgumentParser(
        prog="python -m otesaintjo.payments.offline.connect_double",
        description="Stripe Connect test double (not Stripe; no real money).",
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--localstripe", required=True, help="localstripe base URL")
    parser.add_argument("--api-key", default="sk_test_connect_double")
    parser.add_argument("--publishable-key", default=DEFAULT_PUBLISHABLE_KEY)
    args = parser.parse_args(argv)
    app = create_connect_double(args.localstripe, args.api_key, args.publishable_key)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="info")
