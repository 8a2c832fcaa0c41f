"""The response cache serves only what a fresh execution would return."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select, text
from strawberry.relay import to_base64

from otesaintjo.models import Promotion, ShopReview, User
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
    # One statement: the listing shards' sum and the version of the shop the page showed.
    assert len(statements) == 1
    assert (
        "catalogue_listing_version" in statements[0] and "shop_catalogue_version" in statements[0]
    )
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


async def test_a_signed_in_customer_gets_the_answer_every_visitor_gets(
    app, client, session_factory
) -> None:
    """A page that reads no viewer is the same for everyone: kept from a signed-in request,
    served to visitors and customers alike, with a token good or stale (which changes nothing
    in such an answer), with no sign-in check and nothing executed."""
    await make_catalogue(session_factory, [{"name": "Letchis", "price_cents": 800}])
    token = (await client.register("lea@example.re"))["accessToken"]
    first = await client(PAGE, token=token)
    with count_statements(app.state.runtime.engine) as statements:
        answers = [await client(PAGE), await client(PAGE, token=token)]
        answers.append(await client(PAGE, token="not-a-token"))
    assert answers == [first] * 3
    assert app.state.runtime.response_cache.hits == 3
    assert len(statements) == 3  # each hit's one version read
    assert all("catalogue_listing_version" in statement for statement in statements)


async def test_an_answer_that_reads_the_viewer_is_never_shared(
    app, client, session_factory
) -> None:
    """A review's ``viewerCanEdit`` reads who asks: its author's answer is never kept, the
    anonymous one serves anonymous requests only, and signed-in requests for it stop trying
    the cache (no snapshot to open for nothing)."""
    (shop,), _ = await make_catalogue(session_factory, [{"name": "Pain"}])
    author = (await client.register("lea@example.re"))["accessToken"]
    other = (await client.register("paul@example.re"))["accessToken"]
    async with session_factory() as session, session.begin():
        lea = (await session.execute(select(User.id).where(User.email == "lea@example.re"))).one()[
            0
        ]
        review = ShopReview(shop_id=shop.id, user_id=lea, rating=5, comment="Bon pain")
        session.add(review)
    query = "query($id: ID!) { node(id: $id) { ... on ShopReview { rating viewerCanEdit } } }"
    review_id = to_base64("ShopReview", review.id)

    async def can_edit(token: str | None = None) -> bool:
        body = await client(query, {"id": review_id}, token=token)
        return body["data"]["node"]["viewerCanEdit"]

    assert await can_edit(author)  # executed, not kept
    assert not await can_edit()  # executed, kept for anonymous requests
    assert not await can_edit()  # the only hit
    assert not await can_edit(other)  # executed, without trying the cache
    assert await can_edit(author)
    cache = app.state.runtime.response_cache
    assert cache.hits == 1 and cache.uncacheable == 1


async def test_a_merchant_s_own_answer_is_theirs_alone(app, client, session_factory) -> None:
    """The stock alert threshold shows to the shop's merchants only. Asking "does the viewer
    run this shop?" and hearing no, as any visitor, keeps the answer for those who get the
    same no (one statement checks a signed-in viewer); the merchant always gets theirs."""
    token, shop = await merchant(client)
    product = await add_product(client, token, shop["id"], lowStockThreshold=5)
    customer = (await client.register("lea@example.re"))["accessToken"]
    query = "query($id: ID!) { node(id: $id) { ... on Product { name lowStockThreshold } } }"

    async def threshold(token: str | None = None) -> int | None:
        body = await client(query, {"id": product["id"]}, token=token)
        return body["data"]["node"]["lowStockThreshold"]

    cache = app.state.runtime.response_cache
    assert await threshold(token) == 5  # executed, not kept: the merchant's
    assert await threshold() is None  # executed, kept
    assert await threshold() is None and await threshold(customer) is None
    assert cache.hits == 2
    assert await threshold(token) == 5  # checked, executed
    assert await threshold("forged.token") is None  # no viewer: every visitor's answer
    assert cache.hits == 3 and cache.uncacheable == 2


async def test_a_shop_page_is_shared_unless_the_viewer_runs_the_shop(
    app, client, session_factory
) -> None:
    """A shop's page asks whether the viewer runs the shop (its merchants also see its offline
    products). No is every visitor's answer: a customer's page is shared. The merchant's is
    not, nor served to anyone else."""
    token, shop = await merchant(client)
    await add_product(client, token, shop["id"], name="En vitrine")
    await add_product(client, token, shop["id"], name="En réserve", online=False)
    customer = (await client.register("lea@example.re"))["accessToken"]
    page = "query($slug: String!) { shop(slug: $slug) { products { edges { node { name } } } } }"

    async def names(token: str | None = None) -> set[str]:
        body = await client(page, {"slug": shop["slug"]}, token=token)
        return {edge["node"]["name"] for edge in body["data"]["shop"]["products"]["edges"]}

    cache = app.state.runtime.response_cache
    assert await names(customer) == {"En vitrine"}  # executed, kept: shared
    assert await names() == {"En vitrine"}
    assert await names(customer) == {"En vitrine"}
    assert cache.hits == 2
    assert await names(token) == {"En vitrine", "En réserve"}  # the merchant's: executed
    assert await names() == {"En vitrine"} and await names(customer) == {"En vitrine"}
    assert cache.hits == 4 and cache.uncacheable == 1


@pytest.mark.parametrize(
    ("query", "cacheable"),
    [
        ("{ products { edges { node { id } } } }", True),
        ('query Shop { shop(slug: "x") { name } shops { totalCount } }', True),
        ("{ viewer { id } }", False),
        ("{ products { totalCount } viewer { id } }", False),
        ('{ node(id: "x") { id } }', True),
        ('{ viewer { id } node(id: "x") { id } }', False),
        ("mutation { logout { closedSessions } }", False),
        ("{ ...F } fragment F on Query { products { totalCount } }", False),
        ("query A { products { totalCount } } query B { viewer { id } }", False),
        ("{ products(", False),
    ],
)
def test_which_documents_may_be_cached(query: str, cacheable: bool) -> None:
    assert is_cacheable_document(query, None) is cacheable


SHOP_PAGE = """query($slug: String!) {
  shop(slug: $slug) { name products(first: 5) { edges { node { name stock } } } }
}"""
TWO_SHOPS = [
    {"slug": "boulangerie", "name": "Boulangerie"},
    {"slug": "epicerie", "name": "Epicerie"},
]


def stocks(body: dict) -> list[int]:
    return [e["node"]["stock"] for e in body["data"]["shop"]["products"]["edges"]]


async def test_a_sale_at_one_shop_keeps_the_other_shops_pages(app, client, session_factory) -> None:
    cache = app.state.runtime.response_cache
    _, (_bread, rice) = await make_catalogue(
        session_factory, [{"name": "Pain", "shop": 0}, {"name": "Riz", "shop": 1}], TWO_SHOPS
    )
    for slug in ("boulangerie", "epicerie"):
        await client(SHOP_PAGE, {"slug": slug})
    hits = cache.hits
    # A sale at the grocer's: a stock-only write, as the checkout makes it.
    async with session_factory() as session, session.begin():
        await session.execute(
            text("UPDATE product SET stock = stock - 2 WHERE id = :id"), {"id": rice.id}
        )
    assert stocks(await client(SHOP_PAGE, {"slug": "boulangerie"})) == [100]
    assert cache.hits == hits + 1  # the bakery's page survived the sale
    assert stocks(await client(SHOP_PAGE, {"slug": "epicerie"})) == [98]
    assert cache.hits == hits + 1  # the grocer's page was computed again
    assert stocks(await client(SHOP_PAGE, {"slug": "epicerie"})) == [98]
    assert cache.hits == hits + 2


async def test_a_catalogue_edit_recomputes_every_listing(app, client, session_factory) -> None:
    """A new product, a price, a name can change which rows any listing holds and their
    order: every cached answer is recomputed (the listing shards' sum moved)."""
    cache = app.state.runtime.response_cache
    _shops, _ = await make_catalogue(
        session_factory, [{"name": "Pain", "shop": 0}, {"name": "Riz", "shop": 1}], TWO_SHOPS
    )
    listing = "{ products(first: 5, sort: PRICE_ASC) { edges { node { name } } } }"
    before = await client(listing)
    await client(listing)
    hits = cache.hits
    async with session_factory() as session, session.begin():
        await session.execute(text("UPDATE product SET price_cents = 1 WHERE name = 'Riz'"))
    after = await client(listing)
    assert cache.hits == hits
    names = [e["node"]["name"] for e in after["data"]["products"]["edges"]]
    assert names[0] == "Riz" and names != [
        e["node"]["name"] for e in before["data"]["products"]["edges"]
    ]


async def test_answers_that_read_beyond_the_catalogue_are_never_kept(
    app, client, session_factory
) -> None:
    """A review shows its author's name: a user's row, which no catalogue version covers."""
    cache = app.state.runtime.response_cache
    (shop,), _ = await make_catalogue(session_factory, [{"name": "Pain"}], TWO_SHOPS[:1])
    async with session_factory() as session, session.begin():
        author = User(email="lea@example.re", password_hash="x", first_name="Léa", last_name="T")
        session.add(author)
        await session.flush()
        session.add(ShopReview(shop_id=shop.id, user_id=author.id, rating=5, comment="Bon pain"))
    reviews = (
        '{ shop(slug: "boulangerie") { reviews(first: 5) { edges { node { authorName } } } } }'
    )
    for _ in range(2):
        answer = await client(reviews)
        assert answer["data"]["shop"]["reviews"]["edges"][0]["node"]["authorName"] == "Léa T."
    assert cache.hits == 0 and cache.uncacheable == 2


async def test_a_product_by_node_is_kept_until_its_shop_changes(
    app, client, session_factory
) -> None:
    cache = app.state.runtime.response_cache
    _, (bread,) = await make_catalogue(session_factory, [{"name": "Pain"}])
    listing = await client("{ products(first: 1) { edges { node { id } } } }")
    product_id = listing["data"]["products"]["edges"][0]["node"]["id"]
    detail = "query($id: ID!) { node(id: $id) { ... on Product { name stock } } }"
    assert (await client(detail, {"id": product_id}))["data"]["node"]["stock"] == 100
    hits = cache.hits
    assert (await client(detail, {"id": product_id}))["data"]["node"]["stock"] == 100
    assert cache.hits == hits + 1
    async with session_factory() as session, session.begin():
        await session.execute(text("UPDATE product SET stock = 4 WHERE id = :id"), {"id": bread.id})
    assert (await client(detail, {"id": product_id}))["data"]["node"]["stock"] == 4
