"""Round trips to PostgreSQL per page, counted by a proxy on the wire (not statements: a
BEGIN, a pre-ping or a ROLLBACK is a trip too). Before the request's single connection
(issue 12) a storefront page made 24 trips for 4 SELECTs, a shop page 37, a cache hit 6."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import event
from sqlalchemy.engine import Engine

from otesaintjo.app import create_app
from otesaintjo.clock import utcnow
from otesaintjo.models import Promotion
from tests.support.buying import ADD, Town, ok
from tests.support.catalogue import make_catalogue
from tests.support.graphql import GraphQLClient
from tests.support.merchants import add_product
from tests.support.pg_proxy import counting_proxy

STOREFRONT = """query Vitrine($first: Int) {
  products(first: $first) {
    edges { node { id name price { formatted } stock shop { id name } images { url } } }
    pageInfo { endCursor }
  }
}"""
SHOP_PAGE = """query Boutique($slug: String!) {
  shop(slug: $slug) {
    name categories rating { average count }
    products(first: 20) { totalCount edges { node { name price { formatted } images { url } } } }
  }
}"""


@asynccontextmanager
async def proxied_app(settings, database_url: str, **updates: Any):
    """The app on PostgreSQL through a proxy counting the round trips: (client, counter)."""
    if database_url.startswith("sqlite"):
        pytest.skip("round trips on the wire: PostgreSQL only (SQLite is in-process)")
    parts = urlsplit(database_url)
    async with counting_proxy(parts.hostname or "127.0.0.1", parts.port or 5432) as (port, trips):
        netloc = f"{parts.username}@127.0.0.1:{port}" if parts.username else f"127.0.0.1:{port}"
        url = urlunsplit(parts._replace(netloc=netloc))
        update = {"database_url": url, "jobs_enabled": False, **updates}
        app = create_app(settings.model_copy(update=update))
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                yield http, trips


@pytest.fixture
async def proxied(settings, database_url, session_factory):
    async with proxied_app(settings, database_url) as proxy:
        yield proxy


@pytest.fixture
async def proxied_uncached(settings, database_url, session_factory):
    """Every request executed: what a page costs the first time it is asked."""
    async with proxied_app(settings, database_url, response_cache=False) as proxy:
        yield proxy


async def trips_of(http: httpx.AsyncClient, trips, query: str, variables: dict, **headers) -> int:
    before = trips.count
    answer = (
        await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    ).json()
    assert "errors" not in answer, answer
    return trips.count - before


async def test_round_trips_per_page(proxied, session_factory) -> None:
    http, trips = proxied
    await make_catalogue(
        session_factory,
        [{"name": f"Produit {i}", "shop": i % 3} for i in range(30)],
        [{"slug": f"boutique-{i}", "name": f"Boutique {i}"} for i in range(3)],
    )
    token = (
        await http.post(
            "/graphql",
            json={
                "query": "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
                "variables": {
                    "i": {
                        "email": "lea@example.re",
                        "password": "correct horse battery",
                        "firstName": "Léa",
                        "lastName": "T",
                    }
                },
            },
        )
    ).json()["data"]["register"]["accessToken"]
    signed_in = {"Authorization": f"Bearer {token}"}
    # Warm the connections' prepared statements, as a running server has them.
    for _ in range(3):
        await trips_of(http, trips, STOREFRONT, {"first": 19}, **signed_in)
        await trips_of(http, trips, SHOP_PAGE, {"slug": "boutique-1"}, **signed_in)
        await trips_of(http, trips, STOREFRONT, {"first": 19})
        await trips_of(http, trips, SHOP_PAGE, {"slug": "boutique-1"})
    measured = {
        "storefront, first anonymous view": await trips_of(http, trips, STOREFRONT, {"first": 20}),
        "storefront, cache hit": await trips_of(http, trips, STOREFRONT, {"first": 20}),
        "storefront, first signed-in view": await trips_of(
            http, trips, STOREFRONT, {"first": 18}, **signed_in
        ),
        "storefront, signed in, kept": await trips_of(
            http, trips, STOREFRONT, {"first": 18}, **signed_in
        ),
        "shop page, first anonymous view": await trips_of(
            http, trips, SHOP_PAGE, {"slug": "boutique-2"}
        ),
        "shop page, signed in": await trips_of(
            http, trips, SHOP_PAGE, {"slug": "boutique-2"}, **signed_in
        ),
        "shop page, first signed-in view": await trips_of(
            http, trips, SHOP_PAGE, {"slug": "boutique-0"}, **signed_in
        ),
    }
    print("\nround trips:", measured)
    # BEGIN, one SELECT per list: products (with their shops' cards), photos, promotions; the
    # versions of what it showed (one statement), ROLLBACK.
    assert measured["storefront, first anonymous view"] == 6
    assert measured["storefront, cache hit"] == 1  # the versions, compared
    # The same, the viewer's sign-in checked first; then kept for everyone: no sign-in check.
    assert measured["storefront, first signed-in view"] == 7
    assert measured["storefront, signed in, kept"] == 1
    # BEGIN, the shop, its categories, rating, products, count, photos, promotions, versions,
    # ROLLBACK (+ the sign-in and the shops the viewer runs, signed in).
    assert measured["shop page, first anonymous view"] <= 10
    assert measured["shop page, first signed-in view"] <= 12
    # Kept: the versions, and one statement saying this viewer runs none of the shop.
    assert measured["shop page, signed in"] == 2


ON_SALE = """query Promos($first: Int) {
  products(first: $first, onSale: true) {
    edges { node { id name price { formatted } compareAtPrice { formatted } } }
  }
}"""


REGISTER = "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }"
LEA = {
    "i": {
        "email": "lea@example.re",
        "password": "correct horse battery",
        "firstName": "Léa",
        "lastName": "T",
    }
}


async def test_reference_prices_cost_two_trips_whatever_the_page(
    proxied_uncached, session_factory
) -> None:
    """The crossed-out price (L112-1-1) of a page: its shops' promotions, then the price
    histories — two SELECTs, for 5 products as for 30."""
    http, trips = proxied_uncached
    now = utcnow()
    shops, _ = await make_catalogue(
        session_factory,
        [
            {"name": f"Produit {i}", "shop": i % 3, "created_at": now - timedelta(days=40, hours=i)}
            for i in range(30)
        ],
        [{"slug": f"boutique-{i}", "name": f"Boutique {i}"} for i in range(3)],
    )
    async with session_factory() as session, session.begin():
        for shop in shops:
            for value, starts, ends in ((500, now - timedelta(days=20), now - timedelta(days=15)),
                                        (1000, now - timedelta(hours=1), now + timedelta(days=5))):  # fmt: skip
                session.add(
                    Promotion(
                        shop_id=shop.id,  # type: ignore[arg-type]
                        name="Promo",
                        kind="PERCENT",
                        value=value,
                        starts_at=starts,
                        ends_at=ends,
                    )
                )
    token = (await http.post("/graphql", json={"query": REGISTER, "variables": LEA})).json()
    signed_in = {"Authorization": f"Bearer {token['data']['register']['accessToken']}"}
    without = ON_SALE.replace(" compareAtPrice { formatted }", "")
    for _ in range(3):  # warm the prepared statements
        for query in (ON_SALE, without):
            await trips_of(http, trips, query, {"first": 5}, **signed_in)
    answer = (
        await http.post(
            "/graphql", json={"query": ON_SALE, "variables": {"first": 30}}, headers=signed_in
        )
    ).json()["data"]["products"]["edges"]
    # -10 % now, shown against the -5 % of 20 days ago (the lowest price of the 30 days).
    assert len(answer) == 30 and all(e["node"]["compareAtPrice"] for e in answer)
    measured = {
        (query_name, first): await trips_of(http, trips, query, {"first": first}, **signed_in)
        for query_name, query in (("with", ON_SALE), ("without", without))
        for first in (5, 30)
    }
    print("\nround trips:", measured)
    assert measured["with", 5] == measured["with", 30] == measured["without", 30] + 2
    assert measured["without", 5] == measured["without", 30]


CHECKOUT_WARM_UPS = 4


async def test_round_trips_of_a_checkout(proxied) -> None:
    """A steady-state checkout of 3 lines at 2 shops, from the request to its payload (issue
    13: 28, then 12): the viewer, one transaction of 6 (BEGIN, the cart and its promotions,
    the purchase, the one statement taking the stock and writing the orders, their lines and
    the expiry job, COMMIT), and the PaymentIntent stored in one statement committed on its
    own."""
    http, trips = proxied
    client = GraphQLClient(http)
    town = await Town(client).build(stock=1000)
    vanilla = await add_product(
        client, town.grocer_token, town.grocer["id"], name="Vanille", priceCents=900, stock=1000
    )
    token = await town.customer("client@example.re")
    await town.fill_cart(token, bread=2, rice=1)
    await ok(client(ADD, {"id": vanilla["id"], "q": 1}, token=token), "cartAddItem")
    # Warm the pool's connections (their prepared statements), as a running server has them.
    for _ in range(CHECKOUT_WARM_UPS):
        assert (await town.checkout(token))["userErrors"] == []

    statements: list[str] = []

    def counted(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    measured: list[tuple[int, int]] = []
    event.listen(Engine, "before_cursor_execute", counted)
    try:
        for _ in range(3):
            before, statements[:] = trips.count, []
            placed = await town.checkout(token)
            measured.append((trips.count - before, len(statements)))
            assert placed["userErrors"] == [], placed
            assert len(placed["purchase"]["orders"]) == 2
            assert sum(len(o["lines"]) for o in placed["purchase"]["orders"]) == 3
            assert placed["purchase"]["payment"]["clientSecret"]
    finally:
        event.remove(Engine, "before_cursor_execute", counted)
    print("\ncheckout (round trips, SQL statements):", measured)
    print(
        "statements of the last one:\n  " + "\n  ".join(s.split("\n")[0][:100] for s in statements)
    )
    assert all(trips_ <= 8 for trips_, _ in measured), measured
