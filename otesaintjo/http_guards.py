"""ASGI guards in front of the app: request body limits and the CSRF rule for uploads."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.body_limit import RequestBodyLimitResponder
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

# A header a browser cannot add to a cross-site "simple" request without a CORS preflight.
PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-requested-with", "graphql-preflight")
# What a storefront on another origin sends: JSON, its token, its anonymous cart, the upload
# preflight header, and the names Apollo Client adds to every request.
CORS_REQUEST_HEADERS = (
    "content-type",
    "authorization",
    "x-cart-token",
    *PREFLIGHT_HEADERS,
    "x-apollo-operation-name",
    "apollographql-client-name",
    "apollographql-client-version",
)
CORS_EXPOSED_HEADERS = ("retry-after", "etag")
CORS_MAX_AGE_SECONDS = 7200  # Chromium's ceiling: one preflight per origin and URL per 2 h


class RequestGuards:
    """JSON bodies up to ``json_limit`` bytes, multipart uploads up to ``upload_limit`` (413
    beyond), and multipart requests only with a preflight-forcing header (400 without)."""

    def __init__(self, app: ASGIApp, *, json_limit: int, upload_limit: int) -> None:
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        multipart = headers.get("content-type", "").startswith("multipart/")
        if multipart and not any(name in headers for name in PREFLIGHT_HEADERS):
            response = PlainTextResponse(
                "Envoi de fichier refusé : ajoutez l'en-tête Apollo-Require-Preflight: true.",
                status_code=400,
            )
            await response(scope, receive, send)
            return
        limit = self.upload_limit if multipart else self.json_limit
        await RequestBodyLimitResponder(self.app, limit)(scope, receive, send)
