"""Promotions: the price during, before and after (frozen clock), and the best-of-overlap rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from tests.support.graphql import error_codes
from tests.support.merchants import add_product, merchant

CREATE = """
mutation($input: CreatePromotionInput!) {
  createPromotion(input: $input) { promotion { id name kind percentOff amountOff { cents } endsAt allProducts }
                                   userErrors { field code } }
}"""
END = "mutation($id: ID!) { endPromotion(input: {promotionId: $id}) { promotion { endedAt } userErrors { code } } }"
PRODUCT = """
query($id: ID!) { node(id: $id) { ... on Product {
  price { cents formatted } compareAtPrice { cents } regularPrice { cents } promotionEndsAt } } }"""

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 12:00 in La Réunion


def iso(moment: datetime) -> str:
    return moment.isoformat()


async def _price(client, product_id) -> dict:
    return (await client(PRODUCT, {"id": product_id}))["data"]["node"]


async def test_price_before_during_and_after_a_promotion(client) -> None:
    with time_machine.travel(NOW, tick=False) as traveller:
        token, shop = await merchant(client)
        product = await add_product(client, token, shop["id"], priceCents=1000)
        body = await client(
            CREATE,
            {
                "input": {
                    "shopId": shop["id"],
                    "name": "Semaine du letchi",
                    "kind": "PERCENT",
                    "value": 1500,
                    "startsAt": iso(NOW + timedelta(days=1)),
                    "endsAt": iso(NOW + timedelta(days=8)),
                }
            },
            token=token,
        )
        promotion = body["data"]["createPromotion"]["promotion"]
        assert promotion["percentOff"] == 15.0 and promotion["allProducts"] is True
        assert promotion["endsAt"] == "2026-12-09T12:00:00+04:00"

        before = await _price(client, product["id"])
        assert before == {
            "price": {"cents": 1000, "formatted": "10,00\xa0€"},
            "compareAtPrice": None,
            "regularPrice": {"cents": 1000},
            "promotionEndsAt": None,
        }
        traveller.move_to(NOW + timedelta(days=2))
        during = await _price(client, product["id"])
        assert during["price"]["cents"] == 850 and during["compareAtPrice"] == {"cents": 1000}
        assert during["promotionEndsAt"] == "2026-12-09T12:00:00+04:00"
        traveller.move_to(NOW + timedelta(days=8, seconds=1))
        after = await _price(client, product["id"])
        assert after["price"]["cents"] == 1000 and after["compareAtPrice"] is None  # back by itself


async def test_the_best_of_overlapping_promotions_wins(client) -> None:
    with time_machine.travel(NOW, tick=False):
        token, shop = await merchant(client)
        cheap = await add_product(client, token, shop["id"], name="Samoussas", priceCents=300)
        dear = await add_product(client, token, shop["id"], name="Vanille", priceCents=4000)
        ends = iso(NOW + timedelta(days=3))
        for kind, value, products in (
            ("PERCENT", 1000, None),
            ("AMOUNT", 200, [cheap["id"], dear["id"]]),
        ):
            body = await client(
                CREATE,
                {
                    "input": {
                        "shopId": shop["id"],
                        "name": f"{kind}",
                        "kind": kind,
                        "value": value,
                        "endsAt": ends,
                        "productIds": products,
                    }
                },
                token=token,
            )
            assert body["data"]["createPromotion"]["userErrors"] == []
        # 300: -10 % → 270, -2,00 € → 100: the amount wins. 4000: -10 % → 3600 wins over 3800.
        assert (await _price(client, cheap["id"]))["price"]["cents"] == 100
        assert (await _price(client, dear["id"]))["price"]["cents"] == 3600


async def test_ending_early_brings_the_price_back(client) -> None:
    with time_machine.travel(NOW, tick=False):
        token, shop = await merchant(client)
        product = await add_product(client, token, shop["id"], priceCents=999)
        body = await client(
            CREATE,
            {
                "input": {
                    "shopId": shop["id"],
                    "name": "Flash",
                    "kind": "AMOUNT",
                    "value": 900,
                    "endsAt": iso(NOW + timedelta(hours=2)),
                }
            },
            token=token,
        )
        promotion_id = body["data"]["createPromotion"]["promotion"]["id"]
        assert (await _price(client, product["id"]))["price"]["cents"] == 99
        ended = await client(END, {"id": promotion_id}, token=token)
        assert ended["data"]["endPromotion"]["promotion"]["endedAt"] == "2026-12-01T12:00:00+04:00"
        assert (await _price(client, product["id"]))["price"]["cents"] == 999
        again = await client(END, {"id": promotion_id}, token=token)
        assert again["data"]["endPromotion"]["userErrors"] == [{"code": "PROMOTION_ALREADY_ENDED"}]


async def test_bad_promotions_are_refused(client) -> None:
    with time_machine.travel(NOW, tick=False):
        token, shop = await merchant(client)
        _, other = await merchant(client, "autre@example.re", name="Autre")
        other_product = await add_product(client, _, other["id"])
        cases = [
            (
                {"kind": "PERCENT", "value": 9500, "endsAt": iso(NOW + timedelta(days=1))},
                ["value"],
                "INVALID_AMOUNT",
            ),
            (
                {"kind": "AMOUNT", "value": 0, "endsAt": iso(NOW + timedelta(days=1))},
                ["value"],
                "INVALID_AMOUNT",
            ),
            (
                {"kind": "PERCENT", "value": 1000, "endsAt": iso(NOW - timedelta(minutes=1))},
                ["endsAt"],
                "INVALID_DATE_RANGE",
            ),
            (
                {
                    "kind": "PERCENT",
                    "value": 1000,
                    "endsAt": iso(NOW + timedelta(days=1)),
                    "productIds": [other_product["id"]],
                },
                ["productIds"],
                "NOT_FOUND",
            ),
        ]
        for extra, field, code in cases:
            body = await client(
                CREATE, {"input": {"shopId": shop["id"], "name": "X", **extra}}, token=token
            )
            assert body["data"]["createPromotion"]["userErrors"] == [
                {"field": field, "code": code}
            ], extra
        forbidden = await client(
            CREATE,
            {
                "input": {
                    "shopId": other["id"],
                    "name": "X",
                    "kind": "PERCENT",
                    "value": 1000,
                    "endsAt": iso(NOW + timedelta(days=1)),
                }
            },
            token=token,
        )
        assert error_codes(forbidden) == ["FORBIDDEN"]
