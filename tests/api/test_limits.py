"""Query limits (depth, aliases, tokens, page size) and production hardening."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from otesaintjo.app import create_app
from otesaintjo.services import accounts
from tests.support.graphql import GraphQLClient, error_codes


def nested(depth: int) -> str:
    """A selection of the given depth, counted as graphql-depth-limit does (root fields are at
    depth 0). The schema is shallow yet, so past ``id`` the names are unknown: the test looks
    only at the depth error, which the limiter reports on its own."""
    names = ["viewer", "sessions", "edges", "node", "id"] + [f"f{i}" for i in range(depth)]
    query = names[depth]
    for name in reversed(names[:depth]):
        query = f"{name} {{ {query} }}"
    return "{ " + query + " }"


def depth_errors(body: dict) -> list[str]:
    return [e["message"] for e in body.get("errors", []) if "depth" in e["message"]]


async def test_depth_10_is_accepted_and_11_refused(client) -> None:
    assert "errors" not in await client(nested(4))  # viewer.sessions.edges.node.id is valid
    assert depth_errors(await client(nested(10))) == []
    body = await client(nested(11))
    assert body["data"] is None
    assert depth_errors(body) == ["'anonymous' exceeds maximum operation depth of 10"]


async def test_more_than_15_aliases_are_refused(client) -> None:
    fifteen = "{ " + " ".join(f"a{i}: viewer {{ id }}" for i in range(15)) + " }"
    assert "errors" not in await client(fifteen)
    sixteen = "{ " + " ".join(f"a{i}: viewer {{ id }}" for i in range(16)) + " }"
    body = await client(sixteen)
    assert body["data"] is None and "aliases found" in body["errors"][0]["message"]


async def test_more_than_2000_tokens_are_refused(client) -> None:
    many = "{ viewer { " + " ".join(["id"] * 2100) + " } }"
    body = await client(many)
    assert body["data"] is None
    assert "more than 2000 tokens" in body["errors"][0]["message"]


async def test_page_size_above_100_is_refused(client) -> None:
    token = (await client.register("lea@example.re"))["accessToken"]
    ok = await client("{ viewer { sessions(first: 100) { totalCount } } }", token=token)
    assert ok["data"]["viewer"]["sessions"]["totalCount"] == 1
    for first in (101, -1):
        body = await client(
            f"{{ viewer {{ sessions(first: {first}) {{ totalCount }} }} }}", token=token
        )
        assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_too_many_node_ids_are_refused(client) -> None:
    body = await client("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["x"] * 101})
    assert error_codes(body) == ["BAD_USER_INPUT"]


@pytest.fixture
async def production(settings) -> AsyncIterator[GraphQLClient]:
    prod = settings.model_copy(update={"env": "production"})
    application = create_app(prod)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield GraphQLClient(http)


async def test_production_refuses_introspection(production) -> None:
    body = await production("{ __schema { types { name } } }")
    assert body["data"] is None
    assert "introspection" in body["errors"][0]["message"].lower()


async def test_production_gives_no_field_suggestions(production, client) -> None:
    dev = await client("{ viewr { id } }")
    assert "Did you mean" in dev["errors"][0]["message"]
    body = await production("{ viewr { id } }")
    assert "Did you mean" not in body["errors"][0]["message"]


async def test_production_serves_no_graphiql(production, client) -> None:
    html = {"Accept": "text/html"}
    assert (await client.http.get("/graphql", headers=html)).status_code == 200
    assert (await production.http.get("/graphql", headers=html)).status_code == 404


async def test_production_masks_unexpected_errors(production, monkeypatch) -> None:
    token = (await production.register("lea@example.re"))["accessToken"]

    async def broken(*args, **kwargs):
        raise RuntimeError("SELECT secret FROM internals")

    monkeypatch.setattr(accounts, "update_profile", broken)
    body = await production(
        'mutation { updateProfile(input: {firstName: "X"}) { userErrors { code } } }', token=token
    )
    assert body["errors"][0]["message"] == "Erreur interne"
    assert "secret" not in str(body)
    # Business refusals and auth errors stay readable.
    refused = await production.login("lea@example.re", "mauvais-mot-de-passe")
    assert refused["userErrors"][0]["message"] == "E-mail ou mot de passe incorrect."
    anonymous = await production(
        'mutation { updateProfile(input: {firstName: "X"}) { userErrors { code } } }'
    )
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]
    assert anonymous["errors"][0]["message"] == "Vous devez être connecté."
