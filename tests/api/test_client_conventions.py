"""What GraphQL clients rely on: Apollo's automatic persisted queries (POST and GET), trusted
documents, and a stable ``extensions.code`` on every error (validation, bad variables)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text

from otesaintjo.app import create_app
from otesaintjo.settings import Settings
from tests.support.catalogue import make_catalogue
from tests.support.graphql import error_codes

QUERY = "{ platformInfo { supportEmail } }"
ANSWER = {"data": {"platformInfo": {"supportEmail": "support@otesaintjo.re"}}}


def digest(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def persisted(query: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest(query)}}


@pytest.fixture
async def http_for(settings: Settings):
    """An HTTP client on an app built with these setting changes."""
    apps: list[LifespanManager] = []

    async def build(**changes) -> httpx.AsyncClient:
        manager = LifespanManager(create_app(settings.model_copy(update=changes)))
        await manager.__aenter__()
        apps.append(manager)
        transport = httpx.ASGITransport(app=manager.app)
        return httpx.AsyncClient(transport=transport, base_url="http://testserver")

    yield build
    for manager in apps:
        await manager.__aexit__(None, None, None)


async def test_automatic_persisted_queries_over_post_and_get(client) -> None:
    http = client.http
    unknown = await http.post("/graphql", json={"extensions": persisted(QUERY)})
    assert unknown.status_code == 200
    assert unknown.json() == {
        "errors": [
            {"message": "PersistedQueryNotFound", "extensions": {"code": "PersistedQueryNotFound"}}
        ]
    }
    registered = await http.post("/graphql", json={"query": QUERY, "extensions": persisted(QUERY)})
    assert registered.json() == ANSWER
    by_hash = await http.post("/graphql", json={"extensions": persisted(QUERY)})
    assert by_hash.json() == ANSWER
    # GET with the hash only: what an HTTP cache in front can keep (Accept */* as fetch sends).
    got = await http.get(
        "/graphql",
        params={"extensions": json.dumps(persisted(QUERY))},
        headers={"Accept": "*/*"},
    )
    assert got.status_code == 200 and got.json() == ANSWER
    lying = await http.post(
        "/graphql", json={"query": "{ viewer { id } }", "extensions": persisted(QUERY)}
    )
    assert error_codes(lying.json()) == ["BAD_USER_INPUT"]
    malformed = await http.post(
        "/graphql", json={"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "zz"}}}
    )
    assert error_codes(malformed.json()) == ["BAD_USER_INPUT"]


async def test_trusted_documents_only(http_for, tmp_path: Path) -> None:
    manifest = tmp_path / "persisted-query-manifest.json"
    operation = {"id": digest(QUERY), "body": QUERY, "name": "Support", "type": "query"}
    manifest.write_text(
        json.dumps(
            {"format": "apollo-persisted-query-manifest", "version": 1, "operations": [operation]}
        )
    )
    http = await http_for(trusted_documents=str(manifest), trusted_documents_only=True)
    trusted = await http.post("/graphql", json={"extensions": persisted(QUERY)})
    assert trusted.json() == ANSWER
    as_text = await http.post("/graphql", json={"query": QUERY})  # the same document, in full
    assert as_text.json() == ANSWER
    other = "{ shops(first: 1) { totalCount } }"
    raw = await http.post("/graphql", json={"query": other})
    assert error_codes(raw.json()) == ["FORBIDDEN"] and raw.json()["data"] is None
    registering = await http.post("/graphql", json={"query": other, "extensions": persisted(other)})
    assert error_codes(registering.json()) == ["FORBIDDEN"]  # nothing is registered
    still_unknown = await http.post("/graphql", json={"extensions": persisted(other)})
    assert error_codes(still_unknown.json()) == ["PersistedQueryNotFound"]
    over_get = await http.get("/graphql", params={"query": other}, headers={"Accept": "*/*"})
    assert error_codes(over_get.json()) == ["FORBIDDEN"]


def test_a_manifest_with_a_wrong_hash_is_refused(tmp_path: Path) -> None:
    from otesaintjo.persisted_queries import load_trusted_documents

    manifest = tmp_path / "documents.json"
    manifest.write_text(json.dumps({"0" * 64: QUERY}))
    with pytest.raises(ValueError, match="does not have this hash"):
        load_trusted_documents(manifest)
    manifest.write_text(json.dumps({digest(QUERY): QUERY}))
    assert load_trusted_documents(manifest) == {digest(QUERY): QUERY}


@pytest.mark.parametrize("env", ["development", "production"])
async def test_every_error_has_a_code_and_bad_variables_are_not_masked(http_for, env) -> None:
    http = await http_for(env=env)

    async def codes(query: str, variables: dict | None = None) -> list[dict]:
        body = (await http.post("/graphql", json={"query": query, "variables": variables})).json()
        return [(e["extensions"]["code"], e["message"]) for e in body["errors"]]

    (syntax,) = await codes("{ shops(first: 1) { totalCount }")
    assert syntax[0] == "GRAPHQL_VALIDATION_FAILED"
    (unknown,) = await codes("{ nothingHere }")
    assert unknown[0] == "GRAPHQL_VALIDATION_FAILED"
    (wrong_type,) = await codes(
        "query($n: Int) { shops(first: $n) { totalCount } }", {"n": "beaucoup"}
    )
    assert wrong_type[0] == "BAD_USER_INPUT" and "$n" in wrong_type[1]
    (bad_text,) = await codes(
        "query($p: String!) { shops(search: $p) { totalCount } }", {"p": {"not": "text"}}
    )
    assert bad_text[0] == "BAD_USER_INPUT"
    (missing,) = await codes("query($n: Int!) { shops(first: $n) { totalCount } }", {})
    assert missing[0] == "BAD_USER_INPUT"
    two = "query A { viewer { id } } query B { platformInfo { supportEmail } }"
    (no_name,) = await codes(two)
    assert no_name[0] == "GRAPHQL_VALIDATION_FAILED"
    named = await http.post("/graphql", json={"query": two, "operationName": "B"})
    assert named.json() == ANSWER


CATALOGUE = "query Vitrine { products(first: 2) { edges { node { name stock } } } }"


async def test_http_caches_can_keep_and_revalidate_catalogue_reads(client, session_factory) -> None:
    """GET with a persisted hash, anonymous: ``public, no-cache`` and an ``ETag``; a
    revalidation answers 304 until the catalogue changes; a POST's answer is ``no-store``."""
    http = client.http
    await make_catalogue(session_factory, [{"name": "Letchis"}])
    await http.post("/graphql", json={"query": CATALOGUE, "extensions": persisted(CATALOGUE)})
    params = {"extensions": json.dumps(persisted(CATALOGUE)), "operationName": "Vitrine"}
    first = await http.get("/graphql", params=params)
    assert first.status_code == 200 and first.headers["cache-control"] == "public, no-cache"
    tag = first.headers["etag"]
    again = await http.get("/graphql", params=params, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    async with session_factory() as session, session.begin():
        await session.execute(text("UPDATE product SET stock = 7"))
    changed = await http.get("/graphql", params=params, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag
    assert changed.json()["data"]["products"]["edges"][0]["node"]["stock"] == 7
    posted = await http.post("/graphql", json={"query": CATALOGUE})
    assert posted.headers["cache-control"] == "no-store"


async def test_http_caches_keep_answers_that_depend_on_a_viewer_apart(
    client, session_factory
) -> None:
    """A catalogue page asks nothing about the viewer: a signed-in GET gets the public answer.
    A document that does (does the viewer run this shop?) is public for anonymous requests
    only, and says it varies with ``Authorization``; a signed-in GET of it is ``no-store``,
    even when our own cache could answer it."""
    http = client.http
    await make_catalogue(session_factory, [{"name": "Letchis"}])
    token = (await client.register("lea@example.re"))["accessToken"]
    signed_in = {"Authorization": f"Bearer {token}"}
    personal = "query Boutique { shops(first: 1) { edges { node { viewerCanManage } } } }"
    for document in (CATALOGUE, personal):
        await http.post("/graphql", json={"query": document, "extensions": persisted(document)})
    public = {"extensions": json.dumps(persisted(CATALOGUE))}
    for headers in ({}, signed_in, signed_in):
        got = await http.get("/graphql", params=public, headers=headers)
        assert got.headers["cache-control"] == "public, no-cache"
        assert "Authorization" not in got.headers["vary"]  # "Origin" (CORS) only
    varies = {"extensions": json.dumps(persisted(personal))}
    for _ in range(2):  # executed then kept: the same headers
        anonymous = await http.get("/graphql", params=varies)
        assert anonymous.headers["cache-control"] == "public, no-cache"
        assert "Authorization" in anonymous.headers["vary"]
    for _ in range(2):
        mine = await http.get("/graphql", params=varies, headers=signed_in)
        assert mine.status_code == 200 and mine.headers["cache-control"] == "no-store"


async def test_a_max_age_can_be_chosen_for_http_caches(http_for, session_factory) -> None:
    http = await http_for(http_cache_max_age_seconds=30)
    await make_catalogue(session_factory, [{"name": "Letchis"}])
    await http.post("/graphql", json={"query": CATALOGUE, "extensions": persisted(CATALOGUE)})
    params = {"extensions": json.dumps(persisted(CATALOGUE))}
    got = await http.get("/graphql", params=params)
    assert got.headers["cache-control"] == "public, max-age=30"
