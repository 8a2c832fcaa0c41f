"""The crossed-out price of a promotion is the lowest price of the 30 days before the reduction
(Code de la consommation L112-1-1), across price changes, with a frozen clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from tests.support.graphql import error_codes
from tests.support.merchants import add_product, merchant

CREATE = """
mutation($input: CreatePromotionInput!) {
  createPromotion(input: $input) { promotion { id } userErrors { field code } }
}"""
END = "mutation($id: ID!) { endPromotion(input: {promotionId: $id}) { userErrors { code } } }"
REPRICE = """
mutation($id: ID!, $cents: Int!) {
  updateProduct(input: {productId: $id, priceCents: $cents}) { userErrors { code } }
}"""
PRODUCT = """
query($id: ID!) { node(id: $id) { ... on Product {
  price { cents } compareAtPrice { cents formatted } regularPrice { cents } } } }"""
PAGE = """{ products(first: 20, onSale: true) { edges { node {
  name price { cents } compareAtPrice { cents } } } } }"""

T0 = datetime(2026, 9, 1, 6, 0, tzinfo=UTC)  # 10:00 in La Réunion
DAY = timedelta(days=1)


GROCER = "epicier@example.re"


async def grocer(client):
    """A grocer: its products are returnable, so the 30 days apply to them."""
    return await merchant(client, GROCER, name="Épicerie", categories=["epicerie"])


async def signed_in(client, email: str = GROCER) -> str:
    """A fresh access token: they are short-lived, and the clock moves by days here."""
    return (await client.login(email))["accessToken"]


async def promote(client, shop_id, value, starts, ends, kind="PERCENT", products=None) -> str:
    token = await signed_in(client)
    body = await client(
        CREATE,
        {
            "input": {
                "shopId": shop_id,
                "name": "Promo",
                "kind": kind,
                "value": value,
                "startsAt": starts.isoformat(),
                "endsAt": ends.isoformat(),
                "productIds": products,
            }
        },
        token=token,
    )
    assert body["data"]["createPromotion"]["userErrors"] == [], body
    return body["data"]["createPromotion"]["promotion"]["id"]


async def reprice(client, product_id, cents) -> None:
    token = await signed_in(client)
    body = await client(REPRICE, {"id": product_id, "cents": cents}, token=token)
    assert body["data"]["updateProduct"]["userErrors"] == [], body


async def shown(client, product_id) -> tuple[int, int | None]:
    """(price, crossed-out price) as the storefront shows them, anonymously."""
    node = (await client(PRODUCT, {"id": product_id}))["data"]["node"]
    crossed = node["compareAtPrice"]
    return node["price"]["cents"], crossed["cents"] if crossed else None


async def test_a_price_raised_before_a_promotion_does_not_inflate_the_reference(client) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        token, shop = await grocer(client)
        rum = await add_product(client, token, shop["id"], name="Rhum arrangé", priceCents=2000)
        vanilla = await add_product(client, token, shop["id"], name="Vanille", priceCents=2000)
        assert await shown(client, rum["id"]) == (2000, None)  # no promotion: no reference
        clock.move_to(T0 + 20 * DAY)
        await reprice(client, rum["id"], 3000)  # raised 5 days before the promotion
        await reprice(client, vanilla["id"], 3000)
        clock.move_to(T0 + 25 * DAY)
        await promote(client, shop["id"], 2000, T0 + 25 * DAY, T0 + 32 * DAY, "PERCENT",
                      [rum["id"]])  # fmt: skip
        await promote(client, shop["id"], 4000, T0 + 25 * DAY, T0 + 32 * DAY, "PERCENT",
                      [vanilla["id"]])  # fmt: skip
        # -20 % of 30 € is 24 €: above the 20 € of the 30 days, so no reduction can be shown.
        assert await shown(client, rum["id"]) == (2400, None)
        # -40 % is 18 €: shown against 20 €, the lowest price of the 30 days, not 30 €.
        assert await shown(client, vanilla["id"]) == (1800, 2000)
        node = (await client(PRODUCT, {"id": vanilla["id"]}))["data"]["node"]
        assert node["compareAtPrice"]["formatted"] == "20,00\xa0€"
        assert node["regularPrice"] == {"cents": 3000}
        clock.move_to(T0 + 32 * DAY)
        assert await shown(client, vanilla["id"]) == (3000, None)  # over: no reference


async def test_only_the_30_days_before_the_reduction_count(client) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        token, shop = await grocer(client)
        old = await add_product(client, token, shop["id"], name="Café Bourbon", priceCents=1000)
        recent = await add_product(client, token, shop["id"], name="Curcuma", priceCents=1000)
        clock.move_to(T0 + 5 * DAY)
        await reprice(client, old["id"], 700)
        await reprice(client, recent["id"], 700)
        clock.move_to(T0 + 20 * DAY)
        await reprice(client, old["id"], 1000)  # 40 days before the promotion
        clock.move_to(T0 + 35 * DAY)
        await reprice(client, recent["id"], 1000)  # 25 days before: 7 € still counts
        clock.move_to(T0 + 60 * DAY)
        await promote(client, shop["id"], 1000, T0 + 60 * DAY, T0 + 70 * DAY)
        assert await shown(client, old["id"]) == (900, 1000)
        assert await shown(client, recent["id"]) == (900, None)  # 7 € < 9 €: nothing to cross out
        # The reference stays what it was when the reduction began, whatever the price does.
        clock.move_to(T0 + 62 * DAY)
        await reprice(client, old["id"], 800)
        assert await shown(client, old["id"]) == (720, 1000)


async def test_a_short_history_counts_from_the_first_sale(client) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        token, shop = await grocer(client)
        tea = await add_product(client, token, shop["id"], name="Thé péi", priceCents=600)
        clock.move_to(T0 + 4 * DAY)
        await reprice(client, tea["id"], 650)
        clock.move_to(T0 + 10 * DAY)
        await promote(client, shop["id"], 1000, T0 + 10 * DAY, T0 + 20 * DAY)
        # 10 days of history: the lowest since it went on sale, 6 €.
        assert await shown(client, tea["id"]) == (585, 600)
        # Put on sale once the reduction had begun: never sold before it, nothing to cross out.
        clock.move_to(T0 + 11 * DAY)
        token = await signed_in(client)
        newcomer = await add_product(client, token, shop["id"], name="Miel vert", priceCents=900)
        assert await shown(client, newcomer["id"]) == (810, None)


async def test_perishable_goods_show_the_price_just_before_the_reduction(client) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        token, shop = await grocer(client)
        fresh = await add_product(
            client, token, shop["id"], name="Letchis", priceCents=1000,
            withdrawalExclusion="PERISHABLE",
        )  # fmt: skip
        jam = await add_product(client, token, shop["id"], name="Confiture", priceCents=1000)
        clock.move_to(T0 + 5 * DAY)
        await reprice(client, fresh["id"], 800)
        await reprice(client, jam["id"], 800)
        clock.move_to(T0 + 10 * DAY)
        await reprice(client, fresh["id"], 1000)
        await reprice(client, jam["id"], 1000)
        clock.move_to(T0 + 20 * DAY)
        await promote(client, shop["id"], 2000, T0 + 20 * DAY, T0 + 21 * DAY)
        # L112-1-1 I does not apply to perishables: the regular price just before, 10 €.
        assert await shown(client, fresh["id"]) == (800, 1000)
        # A returnable product keeps the 30 days: 8 € ten days ago, not above 8 €.
        assert await shown(client, jam["id"]) == (800, None)


async def test_successive_reductions_keep_the_first_reference(client) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        token, shop = await grocer(client)
        rice = await add_product(client, token, shop["id"], name="Riz", priceCents=1000)
        await promote(client, shop["id"], 1000, T0 + 40 * DAY, T0 + 47 * DAY)
        await promote(client, shop["id"], 3000, T0 + 47 * DAY, T0 + 49 * DAY)
        clock.move_to(T0 + 41 * DAY)
        assert await shown(client, rice["id"]) == (900, 1000)
        # The second begins as the first ends: one reduction, shown against 10 € (not 9 €).
        clock.move_to(T0 + 48 * DAY)
        assert await shown(client, rice["id"]) == (700, 1000)
        # Three days without a reduction: a new one, whose 30 days hold the 7 € of the last.
        clock.move_to(T0 + 52 * DAY)
        await promote(client, shop["id"], 2000, T0 + 52 * DAY, T0 + 60 * DAY)
        assert await shown(client, rice["id"]) == (800, None)
        # A deeper cut during it continues that reduction: still the 7 € before its start.
        clock.move_to(T0 + 53 * DAY)
        await promote(client, shop["id"], 4000, T0 + 53 * DAY, T0 + 56 * DAY)
        assert await shown(client, rice["id"]) == (600, 700)


async def test_a_promotion_ended_early_counts_only_while_it_ran(client) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        token, shop = await grocer(client)
        oil = await add_product(client, token, shop["id"], name="Huile", priceCents=1000)
        clock.move_to(T0 + 40 * DAY)
        flash = await promote(client, shop["id"], 5000, T0 + 40 * DAY, T0 + 45 * DAY)
        clock.move_to(T0 + 41 * DAY)
        token = await signed_in(client)
        assert (await client(END, {"id": flash}, token=token))["data"]["endPromotion"] == {
            "userErrors": []
        }
        # Ended at once and never begun: neither counts.
        cancelled = await promote(client, shop["id"], 5000, T0 + 43 * DAY, T0 + 44 * DAY)
        await client(END, {"id": cancelled}, token=token)
        clock.move_to(T0 + 42 * DAY)
        # A day later, a new reduction: the flash sale's 5 € ran within its 30 days.
        await promote(client, shop["id"], 1000, T0 + 42 * DAY, T0 + 50 * DAY)
        assert await shown(client, oil["id"]) == (900, None)
        clock.move_to(T0 + 80 * DAY)
        await promote(client, shop["id"], 1000, T0 + 80 * DAY, T0 + 90 * DAY)
        assert await shown(client, oil["id"]) == (900, 1000)


async def test_a_long_reduction_reads_its_promotions_further_back(client) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        token, shop = await grocer(client)
        salt = await add_product(client, token, shop["id"], name="Sel", priceCents=1000)
        await promote(client, shop["id"], 500, T0 + 40 * DAY, T0 + 45 * DAY)
        await promote(client, shop["id"], 1000, T0 + 50 * DAY, T0 + 250 * DAY)
        clock.move_to(T0 + 51 * DAY)
        assert await shown(client, salt["id"]) == (900, 950)
        # 110 days into the reduction, its 30 days (and the -5 % in them) are still its own.
        clock.move_to(T0 + 160 * DAY)
        assert await shown(client, salt["id"]) == (900, 950)


async def test_a_whole_page_and_its_cached_answer(app, client) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        token, shop = await grocer(client)
        ids = []
        for i in range(6):
            product = await add_product(
                client, token, shop["id"], name=f"Produit {i}", priceCents=1000 + 100 * i
            )
            ids.append(product["id"])
        clock.move_to(T0 + 10 * DAY)
        await reprice(client, ids[0], 1500)
        await promote(client, shop["id"], 1000, T0 + 20 * DAY, T0 + 30 * DAY)
        clock.move_to(T0 + 21 * DAY)
        expected = {
            "Produit 0": (1350, None),  # raised to 15 € ten days before: 10 € < 13,50 €
            **{f"Produit {i}": (900 + 90 * i, 1000 + 100 * i) for i in range(1, 6)},
        }

        async def page() -> dict:
            edges = (await client(PAGE))["data"]["products"]["edges"]
            return {
                e["node"]["name"]: (
                    e["node"]["price"]["cents"],
                    (e["node"]["compareAtPrice"] or {}).get("cents"),
                )
                for e in edges
            }

        assert await page() == expected
        cache = app.state.runtime.response_cache
        hits = cache.hits
        assert await page() == expected and cache.hits == hits + 1
        # A price change during the reduction: the page is computed afresh, the reference kept.
        await reprice(client, ids[1], 1000)
        assert (await page())["Produit 1"] == (900, 1100)
        await reprice(client, ids[2], 2000)  # raised during it: 18 € is no reduction of 12 €
        assert (await page())["Produit 2"] == (1800, None)


async def test_only_the_shops_merchants_change_the_price_history(client) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        token, shop = await grocer(client)
        rice = await add_product(client, token, shop["id"], name="Riz", priceCents=1000)
        await merchant(client, "autre@example.re", name="Autre")
        await client.register("lea@example.re")
        clock.move_to(T0 + 10 * DAY)
        token = await signed_in(client)
        other_token = await signed_in(client, "autre@example.re")
        customer = await signed_in(client, "lea@example.re")
        for who in (other_token, customer):
            body = await client(REPRICE, {"id": rice["id"], "cents": 100}, token=who)
            assert error_codes(body) == ["FORBIDDEN"]
        anonymous = await client(REPRICE, {"id": rice["id"], "cents": 100})
        assert error_codes(anonymous) == ["UNAUTHENTICATED"]
        refused = await client(REPRICE, {"id": rice["id"], "cents": -1}, token=token)
        assert refused["data"]["updateProduct"]["userErrors"] == [{"code": "INVALID_PRICE"}]
        clock.move_to(T0 + 20 * DAY)
        await promote(client, shop["id"], 1000, T0 + 20 * DAY, T0 + 30 * DAY)
        assert await shown(client, rice["id"]) == (900, 1000)  # no refused price counted


async def test_a_price_replaced_at_the_same_instant_was_never_charged(client) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        token, shop = await grocer(client)
        soap = await add_product(client, token, shop["id"], name="Savon", priceCents=1000)
        clock.move_to(T0 + 5 * DAY)
        await reprice(client, soap["id"], 500)  # a typo…
        await reprice(client, soap["id"], 800)  # …put right within the same instant
        clock.move_to(T0 + 10 * DAY)
        await promote(client, shop["id"], 1000, T0 + 10 * DAY, T0 + 20 * DAY)
        assert await shown(client, soap["id"]) == (720, 800)
