"""``otesaintjo seed --scale N --towns``: the whole island, valid by the app's own rules, then
seen through the public API (SQLite, or PostgreSQL with ``OTESAINTJO_TEST_DATABASE_URL``)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import text
from typer.testing import CliRunner

from otesaintjo import demo
from otesaintjo.cli import app
from otesaintjo.clock import utcnow
from otesaintjo.db import create_engine
from otesaintjo.demo.island import COMMUNES, shops_per_commune
from otesaintjo.seeding import IslandAlreadySeeded, rows, seed_island
from otesaintjo.seeding.plan import make_plan
from otesaintjo.services import promotions as promotion_rules
from otesaintjo.services import shop_names
from otesaintjo.services import shop_rules as rules
from otesaintjo.services.catalogue import MAX_STOCK, VAT_RATES_BP
from otesaintjo.services.order_numbers import format_number, looks_like_order_number
from otesaintjo.services.validation import normalize_email, normalize_phone
from otesaintjo.storage import MemoryStore
from tests.support.graphql import pk_of
from tests.support.merchants import add_product, merchant

SHOPS = 240
DEMO_SLUGS = {s.slug for s in demo.SHOPS}

SHOPS_IN = """
query($postcode: String!) {
  shops(postcode: $postcode, first: 1) { totalCount edges { node { address { town } } } }
}"""

SEARCH = """
query($search: String!) {
  products(search: $search, first: 5) { totalCount edges { node { name shop { slug } } } }
}"""

SHOP_LIST = """
query($after: String) {
  shops(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { slug rating { count } } }
  }
}"""

SHOP_PAGE = """
query($slug: String!) {
  shop(slug: $slug) {
    name
    address { town postcode }
    categories
    pickupHours { day opens closes }
    rating { average count }
    reviews(first: 100) { totalCount edges { node { rating } } }
    products(first: 100) {
      totalCount
      edges { node { name price { cents } images { url position } } }
    }
  }
}"""

ON_SALE = """
query($after: String) {
  products(onSale: true, first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { shop { slug } price { cents } regularPrice { cents } compareAtPrice { cents } } }
  }
}"""


def test_shops_follow_the_population() -> None:
    for total in (24, SHOPS, 20_000):
        counts = shops_per_commune(total)
        assert sum(counts) == total and min(counts) >= 1
    counts = dict(zip((c.name for c in COMMUNES), shops_per_commune(20_000), strict=True))
    assert counts["Saint-Denis"] > counts["Saint-Paul"] > counts["Saint-Pierre"]
    assert 3_000 < counts["Saint-Denis"] < 4_000 and counts["Cilaos"] < 200
    assert len(COMMUNES) == 24 and len({c.postcode for c in COMMUNES}) == 24


def test_every_generated_row_passes_the_apps_checks() -> None:
    """What ``createShop``, ``createProduct``, ``createPromotion`` and the reviews accept."""
    now = utcnow()
    plan = make_plan(300, now, products_per_shop=20)
    ids = rows.Ids(1, 1, 1, 1, 1, 1, 1)
    assert plan.products == 300 * 20
    shop_columns = rows.COLUMNS["shop"]
    shops = [dict(zip(shop_columns, r, strict=True)) for r in rows.shops(plan, ids)]
    assert len({s["slug"] for s in shops}) == len({s["order_code"] for s in shops}) == 300
    assert len({s["name_skeleton"] for s in shops}) == 300
    for shop in shops:
        field = ["f"]
        assert shop_names.clean_shop_name(shop["name"], field) == shop["name"]
        assert shop_names.skeleton(shop["name"]) == shop["name_skeleton"]
        assert rules.slugify(shop["slug"]) == shop["slug"] and len(shop["slug"]) <= 80
        assert looks_like_order_number(format_number(shop["order_code"], 1))
        assert rules.check_siret(shop["siret"], field) == shop["siret"]
        assert normalize_phone(shop["phone"], field, mobile_only=True) == shop["phone"]
        assert normalize_email(shop["email"], field) == shop["email"]
        assert rules.check_postcode(shop["postcode"], field) == shop["postcode"]
        rules.check_coordinates(shop["latitude"], shop["longitude"], field)
        ranges = [(d, o, c) for d, day in shop["pickup_hours"].items() for o, c in day]
        assert rules.check_pickup_hours(ranges, field) == shop["pickup_hours"]
        assert rules.check_delivery_postcodes(shop["delivery_postcodes"], field) == sorted(
            shop["delivery_postcodes"]
        )
        for fee in ("delivery_fee_cents", "free_delivery_over_cents", "colissimo_fee_cents"):
            rules.check_fee(shop[fee], field)
        if shop["website"]:
            assert rules.check_website(shop["website"], field) == shop["website"]
        assert shop["created_at"] <= shop["updated_at"] <= now
    categories = Counter(shop_id for shop_id, _ in rows.shop_categories(plan, ids))
    assert set(categories.values()) <= {1, 2}

    catalogue = rows.Catalogue()
    generated = rows.products(plan, ids, catalogue)
    products = [dict(zip(rows.COLUMNS["product"], r, strict=True)) for r in generated]
    for product in products:
        assert product["price_cents"] >= 1 and product["vat_bp"] in VAT_RATES_BP
        assert 0 <= product["stock"] <= MAX_STOCK and 0 < len(product["name"]) <= 120
    per_shop = Counter((p["shop_id"], p["name"]) for p in products)
    assert max(per_shop.values()) == 1  # a shop never lists a name twice
    prices = {p["id"]: p["price_cents"] for p in products}
    history = list(rows.product_prices(ids, catalogue))  # one price each, since put on sale
    assert [(h[0], h[2]) for h in history] == [(p["id"], p["price_cents"]) for p in products]
    for (_, since, _), product in zip(history, products, strict=True):
        assert abs(since - product["created_at"]) < timedelta(milliseconds=1)
    shop_of = {p["id"]: p["shop_id"] for p in products}

    promotions, links = rows.promotions(plan, ids, catalogue)
    assert promotions
    listed = Counter(promotion_id for promotion_id, _ in links)
    covered: dict[int, list[int]] = {}
    for promotion_id, product_id in links:
        covered.setdefault(promotion_id, []).append(product_id)
    for row in promotions:
        promotion = dict(zip(rows.COLUMNS["promotion"], row, strict=True))
        promotion_rules.check_value(promotion["kind"], promotion["value"], ["value"])
        assert promotion["starts_at"] < promotion["ends_at"]
        assert promotion["created_at"] <= min(promotion["starts_at"], now)
        if promotion["all_products"]:
            assert promotion["id"] not in listed
            mine = [p for p, s in shop_of.items() if s == promotion["shop_id"]]
        else:
            mine = covered[promotion["id"]]
            assert 1 <= len(mine) <= promotion_rules.MAX_PRODUCTS
            assert {shop_of[p] for p in mine} == {promotion["shop_id"]}
        if promotion["kind"] == "AMOUNT":
            assert promotion["value"] < min(prices[p] for p in mine)
    timings = Counter(
        "running" if p[6] <= now < p[7] and p[8] is None else "future" if p[6] > now else "over"
        for p in promotions
    )
    assert timings["running"] and timings["future"] and timings["over"]

    reviews = list(rows.shop_reviews(plan, ids))
    assert len({(r[1], r[2]) for r in reviews}) == len(reviews) == plan.reviews
    assert all(1 <= r[3] <= 5 and r[9] <= now for r in reviews)
    merchants = {ids.user_account + s.merchant for s in plan.shops}
    assert not merchants & {r[2] for r in reviews}  # customers review, merchants do not


async def test_the_island_through_the_api(client, database_url, monkeypatch) -> None:
    monkeypatch.setenv("OTESAINTJO_DATABASE_URL", database_url)
    runner = CliRunner()
    seeded = await asyncio.to_thread(runner.invoke, app, ["seed", "--scale", str(SHOPS), "--towns"])
    assert seeded.exit_code == 0, seeded.output
    assert f"{SHOPS} boutiques dans 24 communes, {SHOPS * 50} produits" in seeded.output

    for commune in COMMUNES:  # shops in every commune, under its own postcodes
        towns: set[str] = set()
        found = 0
        for postcode in commune.postcodes:
            page = (await client(SHOPS_IN, {"postcode": postcode}))["data"]["shops"]
            found += page["totalCount"]
            towns |= {e["node"]["address"]["town"] for e in page["edges"]}
        assert found >= 1 and towns == {commune.name}, commune.name

    search = (await client(SEARCH, {"search": "format familial"}))["data"]["products"]
    assert search["totalCount"] >= 1
    assert any("format familial" in e["node"]["name"] for e in search["edges"])

    slug = await _an_island_shop_with_reviews(client)
    shop = (await client(SHOP_PAGE, {"slug": slug}))["data"]["shop"]
    assert shop["products"]["totalCount"] >= 5 and shop["pickupHours"] and shop["categories"]
    for edge in shop["products"]["edges"]:
        assert edge["node"]["price"]["cents"] >= 1
        assert [i["position"] for i in edge["node"]["images"]] == [0]
    photo = await client.http.get("/media/" + edge["node"]["images"][0]["url"].split("/media/")[1])
    assert photo.status_code == 200
    assert Image.open(BytesIO(photo.content)).size == (400, 400)
    ratings = [e["node"]["rating"] for e in shop["reviews"]["edges"]]
    assert shop["rating"]["count"] == shop["reviews"]["totalCount"] == len(ratings) >= 1
    assert shop["rating"]["average"] == round(sum(ratings) / len(ratings), 1)

    deals = await _island_deals(client)
    for deal in deals:
        assert 1 <= deal["price"]["cents"] < deal["regularPrice"]["cents"]
        # L112-1-1: the lowest price of the 30 days before the reduction, past promotions
        # included (the island's prices never changed: never above the regular price); none
        # for a product put on sale after the reduction began, or when it is not above.
        crossed = deal["compareAtPrice"]
        assert crossed is None or deal["price"]["cents"] < crossed["cents"]
        assert crossed is None or crossed["cents"] <= deal["regularPrice"]["cents"]
    assert any(deal["compareAtPrice"] == deal["regularPrice"] for deal in deals)

    # The app goes on: its own inserts take ids after the island's (sequences moved on).
    token, new_shop = await merchant(client, "nouvelle@example.re", name="Ti Boutik Nouvelle")
    product = await add_product(client, token, new_shop["id"], name="Rougail saucisse")
    assert pk_of(new_shop["id"]) > SHOPS and pk_of(product["id"]) > SHOPS * 50

    again = await asyncio.to_thread(runner.invoke, app, ["seed", "--scale", "24", "--towns"])
    assert again.exit_code == 1 and "déjà" in again.output
    assert isinstance(again.exception, SystemExit)  # a message, not a traceback


async def _an_island_shop_with_reviews(client) -> str:
    after = None
    while True:
        page = (await client(SHOP_LIST, {"after": after}))["data"]["shops"]
        for edge in page["edges"]:
            node = edge["node"]
            if node["slug"] not in DEMO_SLUGS and node["rating"]["count"] >= 3:
                return node["slug"]
        assert page["pageInfo"]["hasNextPage"], "no island shop with reviews"
        after = page["pageInfo"]["endCursor"]


async def _island_deals(client) -> list[dict]:
    """Products of island shops that a running promotion prices down now (a page's worth)."""
    after, found = None, []
    while True:
        page = (await client(ON_SALE, {"after": after}))["data"]["products"]
        found += [e["node"] for e in page["edges"] if e["node"]["shop"]["slug"] not in DEMO_SLUGS]
        if len(found) >= 20 or not page["pageInfo"]["hasNextPage"]:
            assert found, "no island product on sale"
            return found
        after = page["pageInfo"]["endCursor"]


def test_towns_needs_a_scale() -> None:
    result = CliRunner().invoke(app, ["seed", "--towns"])
    assert result.exit_code == 2 and "--scale" in result.output


@pytest.fixture
def postgres_only(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("COPY and disabled triggers: the PostgreSQL path only")
    return database_url


async def test_a_failed_load_leaves_nothing_and_the_triggers_on(postgres_only, monkeypatch) -> None:
    def broken(*_args, **_kwargs):
        yield from ()
        raise RuntimeError("disk full")

    monkeypatch.setattr(rows, "shop_reviews", broken)
    engine = create_engine(postgres_only)
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            await seed_island(engine, MemoryStore(), 30, products_per_shop=5)
        async with engine.connect() as connection:
            disabled = await connection.scalar(
                text("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgenabled = 'D'")
            )
            shops = await connection.scalar(text("SELECT count(*) FROM shop"))
        assert disabled == 0 and shops == 0
        monkeypatch.undo()
        summary = await seed_island(
            engine, MemoryStore(), 30, products_per_shop=5, now=utcnow() - timedelta(hours=1)
        )
        assert summary.rows["shop"] == 30 and summary.rows["product"] == 150
        assert summary.rows["product_price"] == 150
        with pytest.raises(IslandAlreadySeeded):
            await seed_island(engine, MemoryStore(), 30)
    finally:
        await engine.dispose()
