"""Public browsing: filters, French search without accents, keyset pages, statement counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert

from otesaintjo.clock import utcnow
from otesaintjo.models import ProductImage, Promotion
from otesaintjo.seed import seed
from otesaintjo.storage import MemoryStore
from tests.support.catalogue import make_catalogue
from tests.support.graphql import error_codes
from tests.support.statements import count_statements

STOREFRONT = """
query($first: Int, $after: String) {
  products(first: $first, after: $after) {
    edges { node { id name price { formatted } stock shop { id name } images { url } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


def names(body: dict, field: str = "products") -> list[str]:
    return [edge["node"]["name"] for edge in body["data"][field]["edges"]]


async def test_search_ignores_accents_and_case(client, session_factory) -> None:
    await make_catalogue(
        session_factory,
        [
            {"name": "Café crème", "description": "Torréfié à Saint-Joseph"},
            {"name": "Épicerie fine : coffret", "description": "Achards et piments"},
            {"name": "Pain au levain", "description": "Farine bio"},
        ],
        shops=[{"name": "Épicerie du Marché", "description": "Fruits, légumes, café"}],
    )
    query = "query($q: String!) { products(search: $q) { totalCount edges { node { name } } } }"
    for text, expected in (
        ("cafe", ["Café crème"]),
        ("CAFÉ", ["Café crème"]),
        ("epicerie", ["Épicerie fine : coffret"]),
        ("caf cre", ["Café crème"]),
        ("torrefie", ["Café crème"]),
        ("levain", ["Pain au levain"]),
        ("introuvable", []),
        ("'; DROP TABLE product; --", []),
        ('"*() AND OR NEAR', []),
    ):
        body = await client(query, {"q": text})
        assert names(body) == expected, text
    shops = await client('{ shops(search: "epicerie marche") { edges { node { name } } } }')
    assert names(shops, "shops") == ["Épicerie du Marché"]


SEARCH = """query($q: String!, $after: String) {
  products(search: $q, first: 3, after: $after) {
    totalCount totalCountIsExact edges { node { name } } pageInfo { hasNextPage endCursor }
  }
}"""


async def test_a_search_needs_words_of_two_letters(client, session_factory) -> None:
    await make_catalogue(session_factory, [{"name": "Pain"}, {"name": "Patate douce"}])
    for text in ("p", "a p", "é"):
        body = await client(SEARCH, {"q": text})
        assert body["data"]["products"]["totalCount"] == 0, text
    body = await client(SEARCH, {"q": "pa"})
    assert sorted(names(body)) == ["Pain", "Patate douce"]
    assert body["data"]["products"]["totalCountIsExact"] is True
    assert names(await client(SEARCH, {"q": "p douce"})) == ["Patate douce"]  # "p" ignored


async def test_a_search_ranks_and_counts_a_bounded_set_of_matches(
    client, session_factory, monkeypatch, database_url
) -> None:
    """At most ``CANDIDATES`` matches are ranked and counted (1,000; 5 here): beyond, the
    count is that bound, flagged as not exact, and the pages end there."""
    from otesaintjo.services import browse, pages, search

    if database_url.startswith("sqlite"):
        pytest.skip("SQLite (a town's catalogue) scores and counts every match")

    monkeypatch.setattr(search, "CANDIDATES", 5)
    monkeypatch.setattr(browse, "CANDIDATES", 5)
    monkeypatch.setattr(pages, "_BUILT", {})  # listings built with the real bound before
    await make_catalogue(
        session_factory,
        [{"name": f"Confiture {i}"} for i in range(7)] + [{"name": "Confiture mangue"}],
    )
    first = (await client(SEARCH, {"q": "confiture"}))["data"]["products"]
    assert (first["totalCount"], first["totalCountIsExact"]) == (5, False)
    after = first["pageInfo"]["endCursor"]
    second = (await client(SEARCH, {"q": "confiture", "after": after}))["data"]["products"]
    assert len(first["edges"]) + len(second["edges"]) == 5
    assert second["pageInfo"]["hasNextPage"] is False
    few = (await client(SEARCH, {"q": "confiture mangue"}))["data"]["products"]
    assert (few["totalCount"], few["totalCountIsExact"]) == (1, True)
    listing = (await client("{ products { totalCount totalCountIsExact } }"))["data"]["products"]
    assert listing == {"totalCount": 8, "totalCountIsExact": True}  # no search: no bound


async def test_filters(client, session_factory) -> None:
    shops, _ = await make_catalogue(
        session_factory,
        [
            {"name": "Glace coco", "price_cents": 500, "deliverable": False, "category": "glaces"},
            {"name": "Letchis", "price_cents": 800, "category": "fruits"},
            {"name": "Mangues", "price_cents": 1200, "category": "fruits"},
            {"name": "Hors ligne", "price_cents": 700, "is_online": False},
            {"name": "Autre boutique", "price_cents": 900, "shop": 1},
        ],
        shops=[{}, {"is_active": False}],
    )
    async with session_factory() as session, session.begin():
        session.add(
            Promotion(
                shop_id=shops[0].id,
                name="-50 %",
                kind="PERCENT",
                value=5000,
                ends_at=utcnow() + timedelta(days=1),
            )
        )

    async def listing(arguments: str = "first: 20") -> list[str]:
        return names(await client(f"{{ products({arguments}) {{ edges {{ node {{ name }} }} }} }}"))

    assert await listing() == ["Glace coco", "Letchis", "Mangues"]  # newest first; online, active
    assert await listing("deliverable: false") == ["Glace coco"]
    assert await listing('category: "fruits"') == ["Letchis", "Mangues"]
    assert await listing("onSale: true") == ["Glace coco", "Letchis", "Mangues"]
    assert await listing("minPrice: 300, maxPrice: 500") == ["Letchis"]  # 800 → 400 during the sale
    assert await listing("sort: PRICE_DESC") == ["Mangues", "Letchis", "Glace coco"]
    assert await listing("sort: PRICE_ASC, first: 2") == ["Glace coco", "Letchis"]


async def test_shops_near_category_and_postcode(client, session_factory) -> None:
    await make_catalogue(
        session_factory,
        [],
        shops=[
            {"name": "Centre", "latitude": -21.3778, "longitude": 55.6190},
            {"name": "Manapany", "latitude": -21.3736, "longitude": 55.5820, "postcode": "97480"},
            {
                "name": "Saint-Pierre",
                "latitude": -21.3393,
                "longitude": 55.4781,
                "postcode": "97410",
            },
        ],
    )
    near = "{ shops(near: {latitude: -21.3778, longitude: 55.6190, radiusKm: %s}) { edges { node { name } } } }"
    assert names(await client(near % "1"), "shops") == ["Centre"]
    assert names(await client(near % "5"), "shops") == ["Centre", "Manapany"]  # nearest first
    assert names(await client(near % "20"), "shops") == ["Centre", "Manapany", "Saint-Pierre"]
    by_postcode = await client('{ shops(postcode: "97410") { edges { node { name } } } }')
    assert names(by_postcode, "shops") == ["Saint-Pierre"]
    by_category = await client(
        '{ shops(category: "epicerie", first: 2) { totalCount edges { node { name } } } }'
    )
    assert by_category["data"]["shops"]["totalCount"] == 3
    assert names(by_category, "shops") == ["Centre", "Manapany"]
    assert error_codes(await client(near % "500")) == ["BAD_USER_INPUT"]


async def test_250_products_page_without_gaps_or_repeats(client, session_factory) -> None:
    # Many equal prices and equal creation times: the id must break every tie.
    now = utcnow()
    await make_catalogue(
        session_factory,
        [
            {"price_cents": 100 * (i % 7), "created_at": now - timedelta(minutes=i // 10)}
            for i in range(250)
        ],
    )
    for sort in ("NEWEST", "PRICE_ASC", "PRICE_DESC"):
        seen: list[str] = []
        after = None
        while True:
            body = await client(
                f"query($after: String) {{ products(first: 100, after: $after, sort: {sort}) {{"
                " edges { node { id price { cents } } } pageInfo { hasNextPage endCursor } } }",
                {"after": after},
            )
            page = body["data"]["products"]
            seen += [e["node"]["id"] for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert len(seen) == len(set(seen)) == 250, sort


async def test_an_empty_cursor_is_the_first_page(client, session_factory) -> None:
    """``after: ""`` is no cursor, as it always was (the listings are built once per shape:
    the shape must say "no cursor" for it too)."""
    await make_catalogue(session_factory, [{"name": f"Produit {i}"} for i in range(3)])
    query = (
        "query($after: String) { products(first: 2, after: $after) { edges { node { name } } } }"
    )
    first = await client(query, {"after": None})
    assert await client(query, {"after": ""}) == first
    assert "errors" not in first and len(first["data"]["products"]["edges"]) == 2


async def test_storefront_statements_do_not_grow_with_the_page(
    app, client, session_factory
) -> None:
    shops, products = await make_catalogue(
        session_factory, [{"shop": i % 5} for i in range(120)], shops=[{}] * 5
    )
    async with session_factory() as session, session.begin():
        await session.execute(
            insert(ProductImage),
            [{"product_id": p.id, "key": f"products/{p.id}.jpg", "position": 0} for p in products],
        )
        session.add(
            Promotion(
                shop_id=shops[0].id,
                name="Promo",
                kind="AMOUNT",
                value=10,
                ends_at=utcnow() + timedelta(days=1),
                all_products=True,
            )
        )
    app.state.runtime.response_cache = None  # measure the execution itself, not the cache
    counts = []
    for first in (20, 100):
        with count_statements(app.state.runtime.engine) as statements:
            body = await client(STOREFRONT, {"first": first})
        assert len(body["data"]["products"]["edges"]) == first
        assert all(
            e["node"]["images"] and e["node"]["shop"]["name"]
            for e in body["data"]["products"]["edges"]
        )
        counts.append(len(statements))
    # page (with its shops' cards) + images + promotions (+ their product lists if any)
    assert counts == [3, 3], counts


async def test_a_product_cards_shop_shows_what_the_shop_page_shows(client, session_factory) -> None:
    """A card's shop is read with the listing (``browse.SHOP_CARD``); a field of the shop
    beyond the card reads the shop's row: the answers are the shop page's."""
    await seed(session_factory, MemoryStore())
    fields = (
        "id slug name address { street postcode town latitude longitude } pickupHours { day }"
        " closures { date } delivery { freeDeliveryAlways colissimoFee { cents } }"
        " about { description website } legalNotice { legalName } coverPhotoUrl"
    )
    listing = await client(
        f"{{ products(first: 30) {{ edges {{ node {{ shop {{ {fields} }} }} }} }} }}"
    )
    assert "errors" not in listing, listing
    shops = {
        e["node"]["shop"]["slug"]: e["node"]["shop"] for e in listing["data"]["products"]["edges"]
    }
    assert len(shops) > 1
    for slug, shown in shops.items():
        page = await client(f'{{ shop(slug: "{slug}") {{ {fields} }} }}')
        assert page["data"]["shop"] == shown
