"""The strawberry ASGI app, with our typed context and the viewer found on each request."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

from cross_web import HTTPException
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from otesaintjo.auth import Viewer, bearer_token, load_viewer, runs_any_shop
from otesaintjo.clock import utcnow
from otesaintjo.context import Context
from otesaintjo.loaders import Loaders
from otesaintjo.request_reads import RequestReads, SessionSource
from otesaintjo.response_cache import CacheScope, etag, request_key
from otesaintjo.runtime import Runtime
from otesaintjo.schema.extensions import ensure_codes, hide_suggestions
from otesaintjo.web_assets import offline_graphiql_html

MAX_SUBSCRIPTIONS = 10  # per WebSocket connection
# The ASGI scope's key for our per-request state, and the keys in it.
REQUEST_STATE = "otesaintjo"
READS = "otesaintjo.reads"  # the request's RequestReads, closed when the response is sent
CACHE_SCOPE = "otesaintjo.cache_scope"  # set when the response cache may keep the answer


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
            allowed_origins=settings.allowed_origins,  # the same list as CORS on HTTP
            **kwargs,
        )
        self.runtime = runtime

    @property
    def graphql_ide_html(self) -> str:
        """GraphiQL with its scripts served by us (no CDN), integrity hashes kept."""
        return offline_graphiql_html()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Resolve persisted queries (APQ), then serve anonymous catalogue reads from the
        response cache when it is exact to do so; strawberry does the rest. The request's
        database connection (``RequestReads``) goes back to the pool at the end."""
        if scope["type"] != "http":  # a WebSocket, counted while open (metrics.py)
            await self.runtime.metrics.serve_websocket(super().__call__, scope, receive, send)
            return
        # Our own per-request dict: the ASGI "state" may be the lifespan's, shared by requests.
        state: dict[str, Any] = {}
        scope[REQUEST_STATE] = state
        try:
            await self._http(scope, receive, send)
        except ClientDisconnect:
            # Gone before its body was read (it may have waited its turn, admission.py):
            # nobody to answer, nothing done.
            return
        finally:
            reads = state.pop(READS, None)
            if reads is not None:
                await reads.close()

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "GET":
            await self._get(scope, receive, send)
            return
        request = Request(scope, receive=receive)
        if scope["method"] != "POST" or not request.headers.get("content-type", "").startswith(
            "application/json"
        ):
            await super().__call__(scope, receive, send)
            return
        body = await request.body()
        payload = _json_object(body) if b"persistedQuery" in body else None
        if payload is not None and self.runtime.persisted_queries.wanted(payload):
            resolved = await self.runtime.persisted_queries.resolve(payload)
            if resolved.payload is None:
                await JSONResponse(resolved.error)(scope, receive, send)
                return
            payload, body = resolved.payload, json.dumps(resolved.payload).encode()
        key = self._cache_key(request, payload if payload is not None else _json_object(body))
        if key is None:
            await super().__call__(scope, _replay(body, receive), send)
            return
        response, _ = await self._cacheable(key, Request(scope, receive=_replay(body, receive)))
        await response(scope, receive, send)

    async def _get(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A GET naming a persisted query gets its ``query`` parameter filled in, and an
        anonymous catalogue read answers with an ``ETag`` and ``Cache-Control``: HTTP caches
        in front (a CDN, nginx) can keep catalogue reads addressed by hash."""
        params = parse_qsl(scope.get("query_string", b"").decode("latin-1"))
        extensions = dict(params).get("extensions")
        payload = {"extensions": _json_object(extensions.encode())} if extensions else None
        if payload is None or not self.runtime.persisted_queries.wanted(payload):
            await super().__call__(scope, receive, send)
            return
        given = dict(params).get("query")
        if given:
            payload["query"] = given
        resolved = await self.runtime.persisted_queries.resolve(payload)
        if resolved.payload is None:
            await JSONResponse(resolved.error)(scope, receive, send)
            return
        params = [(k, v) for k, v in params if k != "query"] + [
            ("query", resolved.payload["query"])
        ]
        scope = {**scope, "query_string": urlencode(params).encode("latin-1")}
        request = Request(scope, receive=receive)
        key = self._cache_key(request, _get_payload(resolved.payload["query"], dict(params)))
        if key is None:
            await super().__call__(scope, receive, send)
            return
        response, everyones = await self._cacheable(key, request)
        if response.status_code == 200 and (everyones or not _signed_in(request)):
            max_age = self.runtime.settings.http_cache_max_age_seconds
            response.headers["cache-control"] = (
                f"public, max-age={max_age}" if max_age else "public, no-cache"
            )
            if not everyones:  # the anonymous answer only: a signed-in copy may differ
                response.headers["vary"] = "Authorization"
            if _matches(request.headers.get("if-none-match"), response.headers["etag"]):
                response = Response(status_code=304, headers=dict(response.headers))
        elif response.status_code == 200:  # this viewer's (checked, or executed for them)
            response.headers["cache-control"] = "no-store"
        await response(scope, receive, send)

    def _cache_key(self, request: Request, payload: Any) -> str | None:
        """The response-cache key of a catalogue read, else None. The same for every visitor:
        who asks decides which entries may answer (``ResponseCache.lookup``), not the key."""
        cache = self.runtime.response_cache
        if cache is None:
            return None
        key = request_key(payload)
        if key is None or not cache.worth_trying(key, signed_in=_signed_in(request)):
            return None
        return key

    async def _cacheable(self, key: str, request: Request) -> tuple[Response, bool]:
        """The kept answer if it is still exact, else a fresh execution in one snapshot,
        kept when it read only the catalogue. Both carry an ``ETag`` of their bytes; the flag
        says the answer is every visitor's, whoever they are (what HTTP caches may share)."""
        cache = self.runtime.response_cache
        assert cache is not None
        signed_in = _signed_in(request)
        token = bearer_token(request.headers.get("authorization"))
        secret_key = self.runtime.settings.secret_key

        async def runs_any(connection: AsyncConnection, shops: frozenset[int]) -> bool:
            return await runs_any_shop(connection, secret_key, token, shops)

        entry = await cache.lookup(key, signed_in=signed_in, runs_any_shop=runs_any)
        if entry is not None:
            headers = {"etag": entry.etag}
            return Response(entry.body, media_type="application/json", headers=headers), (
                entry.shared and not entry.asked_shops
            )
        state = request.scope[REQUEST_STATE]
        cache_scope = state[CACHE_SCOPE] = CacheScope()
        try:
            response = await self.run(request)
        except HTTPException as refused:  # as strawberry's own __call__ answers it
            return PlainTextResponse(refused.reason, status_code=refused.status_code), False
        reads = state.get(READS)
        if response.status_code == 200:
            body = bytes(response.body)
            response.headers["etag"] = etag(body)
            if reads is not None:
                await cache.store(key, cache_scope, body, reads.run, signed_in=signed_in)
        return response, cache_scope.same_for_everyone

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        ensure_codes(result.errors)
        if self.runtime.settings.is_production:
            hide_suggestions(result.errors)
        return await super().process_result(request, result)

    def decode_json(self, data: str | bytes) -> object:
        """Strict: UTF-8 only, nested at most ``MAX_JSON_DEPTH`` deep; else a 400."""
        return parse_json(data)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        runtime = self.runtime
        now = utcnow()
        viewer = None
        reads: SessionSource = runtime.session_factory  # a socket lives long: short sessions
        cache_scope: CacheScope | None = None
        if isinstance(request, Request):
            # Answers depend on who asks: no HTTP cache keeps them, unless the anonymous
            # catalogue path below says otherwise (``_get``).
            if isinstance(response, Response):
                response.headers["cache-control"] = "no-store"
            state = request.scope.setdefault(REQUEST_STATE, {})
            cache_scope = state.get(CACHE_SCOPE)
            options = None
            if cache_scope is not None:
                cache_scope.now, options = now, cache_scope.session_options
            # Held from the sign-in's read on: a query keeps the connection to its end, a
            # mutation gives it back before its fields run (``Context.operation_writes``).
            reads = state[READS] = RequestReads(
                runtime.engine,
                snapshot=cache_scope is not None,
                session_options=options,
                held=True,
            )
            token = bearer_token(request.headers.get("authorization"))
            if cache_scope is None:
                viewer = await self._viewer(token, reads)
            else:  # the sign-in check is not part of the answer: the scope does not see it
                with cache_scope.paused():
                    viewer = await self._viewer(token, reads)
        return Context(
            request=request,
            response=response,
            settings=runtime.settings,
            session_factory=runtime.session_factory,
            reads=reads,
            cache_scope=cache_scope,
            loaders=Loaders(reads, now, runtime.settings.database_dialect),
            worker=runtime.worker,
            store=runtime.store,
            payments=runtime.payments,
            bus=runtime.bus,
            sign_in_checks=runtime.sign_in_checks,
            push_reads=runtime.push_reads,
            buckets=runtime.buckets,
            signed_in=viewer,
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
        viewer = await self._viewer(token, self.runtime.session_factory)
        if viewer is None:
            raise ConnectionRejectionError()
        context.viewer, context.access_token = viewer, token
        return UNSET

    async def _viewer(self, token: str | None, reads: SessionSource) -> Viewer | None:
        if not token:
            return None
        return await load_viewer(reads, self.runtime.settings.secret_key, token)


def _signed_in(request: Request) -> bool:
    """The request carries credentials: only answers that depend on no viewer may serve it."""
    return "authorization" in request.headers


MAX_JSON_DEPTH = 32  # a GraphQL request's variables are never deeper; a deeper body is an attack


def parse_json(data: str | bytes) -> object:
    """JSON the way a client must send it: UTF-8 (json.loads would guess UTF-16 and -32 from
    bytes), and shallow (a body nested 10,000 deep exhausts recursion further down)."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise json.JSONDecodeError("request body is not UTF-8", "", 0) from exc
    try:
        value = json.loads(data)
    except RecursionError as exc:
        raise json.JSONDecodeError("request body nested too deep", "", 0) from exc
    pending = [(value, 1)]
    while pending:
        node, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            raise json.JSONDecodeError("request body nested too deep", "", 0)
        children = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        )
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return value


def _matches(if_none_match: str | None, current: str) -> bool:
    """``If-None-Match``: ``*`` or a list of tags, weak ones (``W/``) compared weakly."""
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or current in tags


def _get_payload(query: str, params: dict[str, str]) -> dict[str, Any] | None:
    """A GET request's parameters as the JSON body a POST would carry."""
    variables = _json_object(params["variables"].encode()) if params.get("variables") else {}
    if variables is None:
        return None
    return {"query": query, "variables": variables, "operationName": params.get("operationName")}


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = parse_json(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


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
