"""The response cache serves only what a fresh execution would return."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import text

from otesaintjo.models import Promotion
from otesaintjo.response_cache import is_cacheable_document
from tests.support.catalogue import make_catalogue
from tests.support.merchants import add_product, merchant
from tests.support.statements import count_statements

PAGE = "{ products(first: 5) { edges { node { name stock price { cents } } } } }"
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def first_node(body: dict) -> dict:
    return body["data"]["products"]["edges"][0]["node"]


async def test_a_repeated_anonymous_page_costs_one_version_query(
    app, client, session_factory
) -> None:
    await make_catalogue(session_factory, [{"name": "Letchis", "price_cents": 800}])
    first = await client(PAGE)
    with count_statements(app.state.runtime.engine) as statements:
        second = await client(PAGE)
    assert second == first
    assert len(statements) == 1 and "catalogue_state" in statements[0]
    assert app.state.runtime.response_cache.hits == 1


async def test_any_write_invalidates_whatever_the_path(client, session_factory) -> None:
    token, shop = await merchant(client)
    product = await add_product(client, token, shop["id"], name="Letchis", priceCents=800)
    assert first_node(await client(PAGE))["stock"] == 100
    # Through the API…
    update = "mutation($id: ID!) { updateProduct(input: {productId: $id, stock: 7}) { userErrors { code } } }"
    await client(update, {"id": product["id"]}, token=token)
    assert first_node(await client(PAGE))["stock"] == 7
    # …or straight in the database (a future checkout, a script): the triggers bump the version.
    async with session_factory() as session, session.begin():
        await session.execute(text("UPDATE product SET stock = 3"))
    assert first_node(await client(PAGE))["stock"] == 3


async def test_a_promotion_starting_changes_prices_without_any_write(
    client, session_factory
) -> None:
    with time_machine.travel(NOW, tick=False) as traveller:
        shops, _ = await make_catalogue(session_factory, [{"name": "Letchis", "price_cents": 800}])
        async with session_factory() as session, session.begin():
            session.add(
                Promotion(
                    shop_id=shops[0].id,
                    name="Demain",
                    kind="PERCENT",
                    value=5000,
                    starts_at=NOW + timedelta(hours=1),
                    ends_at=NOW + timedelta(hours=2),
                )
            )
        assert first_node(await client(PAGE))["price"]["cents"] == 800
        assert first_node(await client(PAGE))["price"]["cents"] == 800  # served from the cache
        traveller.move_to(NOW + timedelta(hours=1, seconds=1))
        assert first_node(await client(PAGE))["price"]["cents"] == 400
        traveller.move_to(NOW + timedelta(hours=2, seconds=1))
        assert first_node(await client(PAGE))["price"]["cents"] == 800


async def test_signed_in_requests_and_errors_are_never_cached(app, client, session_factory) -> None:
    token, shop = await merchant(client)
    query = "query($slug: String!) { shop(slug: $slug) { viewerCanManage } }"
    assert (await client(query, {"slug": shop["slug"]}, token=token))["data"]["shop"][
        "viewerCanManage"
    ]
    assert not (await client(query, {"slug": shop["slug"]}))["data"]["shop"]["viewerCanManage"]
    assert not (await client(query, {"slug": shop["slug"]}))["data"]["shop"]["viewerCanManage"]
    assert (await client(query, {"slug": shop["slug"]}, token=token))["data"]["shop"][
        "viewerCanManage"
    ]
    bad = "{ products(first: 101) { edges { node { name } } } }"
    assert (await client(bad))["errors"] and (await client(bad))["errors"]
    assert app.state.runtime.response_cache.hits == 1  # only the second anonymous shop read


@pytest.mark.parametrize(
    ("query", "cacheable"),
    [
        ("{ products { edges { node { id } } } }", True),
        ('query Shop { shop(slug: "x") { name } shops { totalCount } }', True),
        ("{ viewer { id } }", False),
        ("{ products { totalCount } viewer { id } }", False),
        ('{ node(id: "x") { id } }', False),
        ("mutation { logout { closedSessions } }", False),
        ("{ ...F } fragment F on Query { products { totalCount } }", False),
        ("query A { products { totalCount } } query B { viewer { id } }", False),
        ("{ products(", False),
    ],
)
def test_which_documents_may_be_cached(query: str, cacheable: bool) -> None:
    assert is_cacheable_document(query, None) is cacheable
