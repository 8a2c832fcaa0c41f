"""Small helpers to talk GraphQL over HTTP in tests."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp

from otesaintjo.ws_keepalive import UVICORN_WS

REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) {
    accessToken refreshToken user { id email firstName }
    userErrors { field code message }
  }
}"""

LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) {
    accessToken refreshToken accessTokenExpiresAt user { id email }
    userErrors { field code message }
  }
}"""

VIEWER = "{ viewer { id email firstName lastName phone } }"

PASSWORD = "un-mot-de-passe-solide"


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The JSON body of a 200 answer (errors included)."""
        response = await self.post(query, variables, token)
        assert response.status_code == 200, response.text
        return response.json()

    async def register(self, email: str = "lea@example.re", **extra: Any) -> dict[str, Any]:
        data = {"email": email, "password": PASSWORD, "firstName": "Léa", "lastName": "Técher"}
        data.update(extra)
        body = await self(REGISTER, {"input": data})
        payload = body["data"]["register"]
        assert payload["userErrors"] == [], payload
        return payload

    async def login(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        return (await self(LOGIN, {"email": email, "password": password}))["data"]["login"]


def token_from_link(text: str, path: str) -> str:
    match = re.search(rf"{re.escape(path)}\?token=([A-Za-z0-9_\-.]+)", text)
    assert match, f"no {path} link in: {text}"
    return match.group(1)


def error_codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


def pk_of(global_id: str) -> int:
    """The integer primary key inside a global id (to look the row up in a test)."""
    from strawberry.relay import GlobalID

    return int(GlobalID.from_id(global_id).node_id)


@asynccontextmanager
async def serving(app: ASGIApp, **options: Any) -> AsyncIterator[str]:
    """``app`` served by a real uvicorn on a free loopback port (WebSockets as ``otesaintjo
    serve`` has them, ``options`` passed on to uvicorn): yields ``127.0.0.1:port``."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        lifespan="off",
        log_level="warning",
        **{"ws": UVICORN_WS, **options},
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
