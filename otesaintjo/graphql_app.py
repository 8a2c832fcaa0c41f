"""The strawberry ASGI app, with our typed context and the viewer found on each request."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from otesaintjo.auth import Viewer, bearer_token, load_viewer
from otesaintjo.clock import utcnow
from otesaintjo.context import Context
from otesaintjo.loaders import Loaders
from otesaintjo.response_cache import request_key
from otesaintjo.runtime import Runtime

MAX_SUBSCRIPTIONS = 10  # per WebSocket connection


class GraphQLApp(GraphQL[Context, None]):
    def __init__(self, runtime: Runtime, **kwargs: Any) -> None:
        settings = runtime.settings
        super().__init__(
            runtime.schema,
            graphql_ide=None if settings.is_production else "graphiql",
            subscription_protocols=(
                (GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL)
                if settings.ws_legacy_protocol
                else (GRAPHQL_TRANSPORT_WS_PROTOCOL,)
            ),
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS,
            allow_queries_via_get=True,
            multipart_uploads_enabled=True,  # guarded by http_guards.RequestGuards (CSRF)
            **kwargs,
        )
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve anonymous catalogue reads from the response cache when it is exact to do so."""
        cache = self.runtime.response_cache
        if cache is None or scope["type"] != "http" or scope["method"] != "POST":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive=receive)
        if "authorization" in request.headers or not request.headers.get(
            "content-type", ""
        ).startswith("application/json"):
            await super().__call__(scope, receive, send)
            return
        body = await request.body()  # kept on ``request``; replayed below for strawberry
        try:
            key = request_key(json.loads(body))
        except ValueError:
            key = None
        if key is None:
            await super().__call__(scope, _replay(body, receive), send)
            return
        version = await cache.current_version()
        cached = cache.lookup(key, version)
        if cached is None:
            response = await self.run(request)
            if response.status_code == 200:
                await cache.store(key, version, bytes(response.body))
        else:
            response = Response(cached, media_type="application/json")
        await response(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        """Strict UTF-8: other bytes are a 400, like any body that is not JSON."""
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise json.JSONDecodeError("request body is not UTF-8", "", 0) from exc
        return json.loads(data)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        runtime = self.runtime
        viewer = None
        if isinstance(request, Request):
            viewer = await self._viewer(bearer_token(request.headers.get("authorization")))
        now = utcnow()
        return Context(
            request=request,
            response=response,
            settings=runtime.settings,
            session_factory=runtime.session_factory,
            loaders=Loaders(runtime.session_factory, now),
            worker=runtime.worker,
            store=runtime.store,
            payments=runtime.payments,
            bus=runtime.bus,
            viewer=viewer,
            now=now,
        )

    async def on_ws_connect(self, context: Context) -> UnsetType:
        """Read ``{"authorization": "Bearer …"}`` (key in any case) from ``connection_init``."""
        params = context.connection_params or {}
        value = next(
            (v for k, v in params.items() if isinstance(k, str) and k.lower() == "authorization"),
            None,
        )
        if value is None:
            return UNSET
        token = bearer_token(value) if isinstance(value, str) else None
        viewer = await self._viewer(token)
        if viewer is None:
            raise ConnectionRejectionError()
        context.viewer, context.access_token = viewer, token
        return UNSET

    async def _viewer(self, token: str | None) -> Viewer | None:
        if not token:
            return None
        async with self.runtime.session_factory() as session:
            return await load_viewer(session, self.runtime.settings.secret_key, token)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands out an already read body once, then defers to the real one."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
