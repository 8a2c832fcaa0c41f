"""Issue 11's findings, each a regression test through the public API or the raw HTTP layer:
no request costs more than it is allowed, reaches a 500, or tells who has an account."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from asgi_lifespan import LifespanManager
from PIL import Image
from sqlalchemy import select

from otesaintjo.app import create_app
from otesaintjo.models import Job
from otesaintjo.services.accounts import PASSWORD_RESET_JOB
from otesaintjo.settings import Settings
from tests.support.buying import Town
from tests.support.graphql import PASSWORD, REGISTER, GraphQLClient, error_codes
from tests.support.merchants import CREATE_SHOP, merchant, shop_input, upload
from tests.support.payouts import KYC

Client = Callable[..., Awaitable[GraphQLClient]]


@pytest.fixture
async def client_for(settings: Settings) -> AsyncIterator[Client]:
    """A client on an app built with setting changes (the real throttles, production…)."""
    managers: list[LifespanManager] = []
    clients: list[httpx.AsyncClient] = []

    async def build(ip: str = "198.51.100.7", **changes: object) -> GraphQLClient:
        manager = LifespanManager(create_app(settings.model_copy(update=changes)))
        await manager.__aenter__()
        managers.append(manager)
        transport = httpx.ASGITransport(app=manager.app, client=(ip, 40000))
        http = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        clients.append(http)
        return GraphQLClient(http)

    yield build
    for http in clients:
        await http.aclose()
    for manager in managers:
        await manager.__aexit__(None, None, None)


def real_throttles() -> dict[str, dict[str, int]]:
    return Settings.model_fields["throttles_per_hour"].default


# -- cost before work ----------------------------------------------------------------------


async def test_a_field_repeated_a_thousand_times_is_refused_before_validation(client) -> None:
    document = "{ " + " ".join(f"f{i}: platformInfo {{ supportEmail }}" for i in range(260)) + " }"
    body = await client(document)
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "Document trop gros" in body["errors"][0]["message"]


async def test_a_query_that_may_return_too_many_nodes_is_refused(client) -> None:
    nested = """{ shops(first: 100) { edges { node { products(first: 100) { edges { node {
      shop { products(first: 100) { edges { node { id } } } } } } } } } } }"""
    body = await client(nested)
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    error = body["errors"][0]
    assert error["extensions"]["cost"] > error["extensions"]["maxCost"] == 20_000
    page = "{ products(first: 20) { edges { node { name images { url } shop { name } } } } }"
    assert "errors" not in await client(page)


async def test_one_document_costs_what_its_variables_ask(client) -> None:
    """Costs are computed once per document and list sizes: the same text with a larger
    ``first`` or more ``ids`` is refused, then the smaller one still passes."""
    nested = """query($n: Int, $ids: [ID!]!) { nodes(ids: $ids) { id }
      shops(first: $n) { edges { node { products(first: $n) { edges { node {
      shop { products(first: $n) { edges { node { id } } } } } } } } } } }"""
    small = {"n": 5, "ids": ["UHJvZHVjdDox"]}
    assert "errors" not in await client(nested, small)
    for large in ({"n": 100, "ids": []}, {"n": 5, "ids": ["UHJvZHVjdDox"] * 20_000}):
        body = await client(nested, large)
        assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"], body
        assert body["errors"][0]["extensions"]["cost"] > 20_000
    assert "errors" not in await client(nested, small)


async def test_a_client_spending_its_budget_waits(client_for) -> None:
    small = await client_for(cost_budget=600, cost_refill_per_second=1)
    # Not a cacheable catalogue read: a page served from the response cache costs nothing.
    page = """{ platformInfo { supportEmail }
      products(first: 20) { edges { node { name images { url } shop { name } } } } }"""
    assert "errors" not in await small(page)
    refused = await small(page)
    assert error_codes(refused) == ["THROTTLED"]
    assert refused["errors"][0]["extensions"]["retryAfter"] >= 1
    # Another client (another address) keeps its own budget.
    other = GraphQLClient(
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=small.http._transport.app, client=("203.0.113.9", 1)),  # type: ignore[attr-defined]
            base_url="http://testserver",
        )
    )
    assert "errors" not in await other(page)
    await other.http.aclose()


# -- throttles ------------------------------------------------------------------------------


async def test_register_reset_and_newsletter_are_throttled(client_for) -> None:
    api = await client_for(throttles_per_hour=real_throttles())
    for i in range(10):
        await api.register(f"client{i}@example.re")
    eleventh = await api(
        REGISTER,
        {
            "input": {
                "email": "onze@example.re",
                "password": PASSWORD,
                "firstName": "Onze",
                "lastName": "Onze",
            }
        },
    )
    assert error_codes(eleventh) == ["THROTTLED"]
    reset = (
        "mutation($e: String!) { requestPasswordReset(input: {email: $e}) { userErrors { code } } }"
    )
    for _ in range(3):
        assert "errors" not in await api(reset, {"e": "victime@example.re"})
    assert error_codes(await api(reset, {"e": "victime@example.re"})) == ["THROTTLED"]
    assert "errors" not in await api(reset, {"e": "autre@example.re"})  # per address
    subscribe = (
        "mutation($e: String!) { subscribeNewsletter(input: {email: $e}) { userErrors { code } } }"
    )
    for _ in range(3):
        assert "errors" not in await api(subscribe, {"e": "boite@example.re"})
    assert error_codes(await api(subscribe, {"e": "boite@example.re"})) == ["THROTTLED"]


async def test_password_reset_answers_the_same_for_every_address(client, session_factory) -> None:
    """The lookup happens in the outbox job: the request does the same work either way."""
    await client.register("lea@example.re")
    reset = (
        "mutation($e: String!) { requestPasswordReset(input: {email: $e}) { userErrors { code } } }"
    )
    known = await client(reset, {"e": "lea@example.re"})
    unknown = await client(reset, {"e": "personne@example.re"})
    assert known == unknown == {"data": {"requestPasswordReset": {"userErrors": []}}}
    async with session_factory() as session:
        jobs = list(
            await session.scalars(
                select(Job).where(Job.kind == PASSWORD_RESET_JOB).order_by(Job.id)
            )
        )
    assert [j.payload for j in jobs] == [
        {"email": "lea@example.re"},
        {"email": "personne@example.re"},
    ]


async def test_a_stranger_cannot_lock_the_owner_out(client_for) -> None:
    owner = await client_for(ip="198.51.100.7")
    await owner.register("lea@example.re")
    stranger = await client_for(ip="203.0.113.66")
    for _ in range(5):
        failed = await stranger.login("lea@example.re", "mauvais-mot-de-passe")
        assert failed["userErrors"][0]["code"] == "INVALID_CREDENTIALS"
    locked = await stranger.login("lea@example.re", "mauvais-mot-de-passe")
    assert locked["userErrors"][0]["code"] == "TOO_MANY_ATTEMPTS"  # after 5 failures: waits
    # The same app, the owner's own address: the stranger's failures do not count there.
    same_app = GraphQLClient(
        httpx.AsyncClient(
            transport=httpx.ASGITransport(
                app=stranger.http._transport.app,  # type: ignore[attr-defined]
                client=("198.51.100.7", 40000),
            ),
            base_url="http://testserver",
        )
    )
    signed_in = await same_app.login("lea@example.re")
    assert signed_in["accessToken"], signed_in
    await same_app.http.aclose()


# -- no 500 from malformed requests ------------------------------------------------------------


async def test_malformed_bodies_and_paths_get_4xx(client) -> None:
    http = client.http
    query = {"query": "{ platformInfo { supportEmail } }"}
    utf16 = json.dumps(query).encode("utf-16")
    for headers in ({}, {"Authorization": "Bearer x"}):
        response = await http.post(
            "/graphql", content=utf16, headers={"Content-Type": "application/json", **headers}
        )
        assert response.status_code == 400, response.text
    deep = '{"query": "{ __typename }", "variables": {"a": ' + "[" * 10_000 + "]" * 10_000 + "}}"
    response = await http.post(
        "/graphql", content=deep, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert (await http.get("/invoices/99999999999999999999.pdf")).status_code == 404
    assert (await http.get("/invoices/1.pdf?token=%C3%A9.abc")).status_code == 404
    subscription = await http.post(
        "/graphql", json={"query": 'subscription { orderUpdated(orderId: "x") { id } }'}
    )
    assert subscription.status_code < 500


async def test_odd_values_are_refusals_not_crashes(client) -> None:
    body = await client(
        'mutation { unsubscribeNewsletter(input: {token: "é.abc"}) { success userErrors { code } } }'
    )
    assert body["data"]["unsubscribeNewsletter"]["userErrors"][0]["code"] == "INVALID_TOKEN"
    from strawberry.relay import GlobalID

    huge = str(GlobalID("Product", "99999999999999999999999"))
    assert (await client("query($id: ID!) { node(id: $id) { id } }", {"id": huge}))["data"] == {
        "node": None
    }
    token, shop = await merchant(client)
    promotion = """mutation($input: CreatePromotionInput!) { createPromotion(input: $input) {
      userErrors { code } } }"""
    far = await client(
        promotion,
        {
            "input": {
                "shopId": shop["id"],
                "name": "Jamais",
                "kind": "PERCENT",
                "value": 1000,
                "endsAt": "9999-12-31T23:59:59-12:00",
            }
        },
        token=token,
    )
    assert error_codes(far) == ["BAD_USER_INPUT"]
    as_string = await client(
        """mutation($i: UploadKycDocumentInput!) { uploadKycDocument(input: $i) {
           userErrors { code } } }""",
        {"i": {"shopId": shop["id"], "kind": "IDENTITY_DOCUMENT", "file": "pas un fichier"}},
        token=token,
    )
    assert error_codes(as_string) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    "text",
    ["a\x00b", "\ud800", "moc.elgoog\u202e", "\u200b\u200b", "nom\u2066\n\u2069"],
    ids=["NUL", "lone surrogate", "RTL override", "zero-width only", "bidi isolate"],
)
async def test_control_and_invisible_characters_are_refused_everywhere(client, text) -> None:
    async def ask(query: str, variables: dict, token: str | None = None) -> dict:
        # As JSON escapes (a lone surrogate cannot be sent as UTF-8 otherwise).
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        body = json.dumps({"query": query, "variables": variables}).encode()
        response = await client.http.post("/graphql", content=body, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    shop = await ask("query($s: String!) { shop(slug: $s) { id } }", {"s": text})
    assert error_codes(shop) == ["BAD_USER_INPUT"]
    login = await ask(
        'mutation($e: String!) { login(input: {email: $e, password: "x"}) { accessToken } }',
        {"e": text},
    )
    assert error_codes(login) == ["BAD_USER_INPUT"]
    token = (await client.register(f"marchand{len(text)}@example.re"))["accessToken"]
    created = await ask(CREATE_SHOP, {"input": shop_input(name=text)}, token)
    assert error_codes(created) == ["BAD_USER_INPUT"]


async def test_a_look_alike_shop_name_is_refused(client) -> None:
    token, _ = await merchant(client)  # « Boulangerie du Centre »
    for name in ("Воulangerie du Centre", "BOULANGERIE du centre !", "Boulangérie du Centre"):
        body = await client(CREATE_SHOP, {"input": shop_input(name=name)}, token=token)
        errors = body["data"]["createShop"]["userErrors"]
        assert [e["code"] for e in errors] == ["SHOP_NAME_TAKEN"], name
    fullwidth = await client(CREATE_SHOP, {"input": shop_input(name="Ｃａｆé Ｐéï")}, token=token)
    assert fullwidth["data"]["createShop"]["shop"]["name"] == "Café Péï"  # NFKC


# -- validation gaps ----------------------------------------------------------------------------


async def test_a_truncated_jpeg_is_not_sent_to_stripe(client) -> None:
    token, shop = await merchant(client)
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), (10, 120, 10)).save(buffer, "JPEG")
    truncated = buffer.getvalue()[: len(buffer.getvalue()) // 2]
    response = await upload(
        client,
        token,
        KYC,
        {"input": {"shopId": shop["id"], "kind": "IDENTITY_DOCUMENT", "file": None}},
        "variables.input.file",
        truncated,
        filename="piece.jpg",
        content_type="image/jpeg",
    )
    errors = response.json()["data"]["uploadKycDocument"]["userErrors"]
    assert [e["code"] for e in errors] == ["UNSUPPORTED_DOCUMENT_FORMAT"]


async def test_an_amount_promotion_never_makes_a_product_free(client) -> None:
    town = await Town(client).build()  # bread at 2,50 €
    promotion = """mutation($input: CreatePromotionInput!) { createPromotion(input: $input) {
      userErrors { field code message } } }"""
    body = await client(
        promotion,
        {
            "input": {
                "shopId": town.bakery["id"],
                "name": "Tout à 0",
                "kind": "AMOUNT",
                "value": 250,
                "endsAt": "2030-01-01T00:00:00+04:00",
            }
        },
        token=town.baker_token,
    )
    (error,) = body["data"]["createPromotion"]["userErrors"]
    assert error["code"] == "INVALID_AMOUNT" and "Pain" in error["message"]


# -- production gives nothing away --------------------------------------------------------------


async def test_production_suggests_nothing(client_for) -> None:
    production = await client_for(env="production")
    for document in (
        "{ shops(frist: 1) { totalCount } }",
        "{ shopz { totalCount } }",
        "{ products(sort: PRICE_ASCENDIN) { totalCount } }",
    ):
        body = await production(document)
        assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
        assert "Did you mean" not in body["errors"][0]["message"], body


async def test_no_token_is_ever_written_to_the_log(client, mailbox, caplog, capsys) -> None:
    """A whole sign-up and reset flow, with SMTP: the log holds no token of any kind."""
    tokens = await client.register("lea@example.re")
    reset = (
        "mutation($e: String!) { requestPasswordReset(input: {email: $e}) { userErrors { code } } }"
    )
    await client(reset, {"e": "lea@example.re"})
    (message,) = await mailbox.wait_for_subject("Réinitialisation de votre mot de passe")
    link_token = message.get_body(("plain",)).get_content().split("token=")[1].split()[0]
    logged = caplog.text + "".join(capsys.readouterr())
    for secret in (tokens["accessToken"], tokens["refreshToken"], link_token):
        assert secret not in logged
