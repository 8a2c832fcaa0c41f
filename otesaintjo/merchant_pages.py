"""The merchants' order board, served by the API itself under ``/commercant``.

Static files only (``web/merchant``): every path under ``/commercant`` gets the same
``index.html`` (its script reads ``location.pathname``, e.g. the SMS link
``/commercant/commandes/CEN-0001``), the assets live under ``/commercant/static``. Every
response carries a strict Content-Security-Policy: the page keeps its tokens in
``sessionStorage``, so no script but ours may ever run in it.
"""

from __future__ import annotations

import re
from pathlib import Path

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MERCHANT_DIR = Path(__file__).parent / "web" / "merchant"
INDEX = MERCHANT_DIR / "index.html"
MERCHANT_PATH = "/commercant"
STATIC_PATH = f"{MERCHANT_PATH}/static"

# A host name, an IPv4 address or a bracketed IPv6 one, with an optional port: anything
# else in the Host header (spaces, « ; », quotes) could rewrite the policy, so it is dropped.
_HOST = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$"
)


def content_security_policy(host: str | None) -> str:
    """The page's policy: its own scripts, styles and API only (``fetch("/graphql")`` and
    the WebSocket on the same host), nothing inline, no plug-in, never framed."""
    sockets = f" ws://{host} wss://{host}" if host and _HOST.match(host) else ""
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'{sockets}; font-src 'self'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


def security_headers(host: str | None) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(host),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        # The files are not fingerprinted: the browser revalidates them (ETag) each time.
        "Cache-Control": "no-cache",
    }


class SecurityHeaders:
    """ASGI wrapper: the policy headers on every response of ``app`` (404s included)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(Headers(scope=scope).get("host"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers[name] = value
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except HTTPException as exc:  # StaticFiles' 404 and 405, answered here with the headers
            response = PlainTextResponse(
                str(exc.detail), status_code=exc.status_code, headers=exc.headers
            )
            await response(scope, receive, send_with_headers)


async def merchant_page(request: Request) -> Response:
    """``index.html`` for ``/commercant`` and every path under it."""
    return FileResponse(
        INDEX,
        media_type="text/html; charset=utf-8",
        headers=security_headers(request.headers.get("host")),
    )


def merchant_routes() -> list[BaseRoute]:
    """The routes to add to the app: the assets first, then the page for every other path."""
    return [
        Mount(
            STATIC_PATH,
            app=SecurityHeaders(StaticFiles(directory=MERCHANT_DIR)),
            name="merchant-static",
        ),
        Route(MERCHANT_PATH, merchant_page, methods=["GET"], name="merchant-page"),
        Route(f"{MERCHANT_PATH}/{{path:path}}", merchant_page, methods=["GET"]),
    ]
