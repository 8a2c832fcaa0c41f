"""Merchant onboarding and shop settings through the API."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from tests.support.graphql import error_codes
from tests.support.merchants import (
    CREATE_SHOP,
    LA_POSTE_SIRET,
    add_product,
    merchant,
    open_shop,
    shop_input,
)

UPDATE_SHOP = """
mutation($input: UpdateShopInput!) {
  updateShop(input: $input) {
    shop {
      name about { website } categories
      pickupHours { day opens closes } closures { date reason }
      delivery { merchantDelivery { postcodes fee { cents formatted } } freeDeliveryAlways
                 freeDeliveryOver { cents } colissimoFee { cents } }
    }
    userErrors { field code }
  }
}"""

SHOP = """
query($slug: String!) {
  shop(slug: $slug) { id name about { description website } merchantDetails { email } viewerCanManage }
}"""


async def test_onboarding_in_one_mutation_plus_one_product(client) -> None:
    token, shop = await merchant(client)
    assert shop["slug"] == "boulangerie-du-centre"
    assert shop["merchantDetails"] == {"phone": "+262692112233", "siret": "73282932000074"}
    product = await add_product(client, token, shop["id"])
    assert product["stock"] == 100  # the FAQ's default
    assert product["isOnline"] is True and product["available"] is True
    assert product["price"] == {"cents": 350, "formatted": "3,50\xa0€"}
    assert product["vatRate"] == "NORMAL"
    viewer = await client("{ viewer { shops { name } } }", token=token)
    assert viewer["data"]["viewer"]["shops"] == [{"name": "Boulangerie du Centre"}]


async def test_each_bad_field_is_its_own_user_error(client) -> None:
    token = (await client.register())["accessToken"]
    bad = shop_input(
        name="",
        email="pas-une-adresse",
        phone="0262 45 00 00",  # a landline: the shop needs a mobile for order SMS
        siret="73282932000075",
        address={"street": "1 rue X", "postcode": "974", "town": "Saint-Joseph"},
    )
    body = await client(CREATE_SHOP, {"input": bad}, token=token)
    errors = {(tuple(e["field"]), e["code"]) for e in body["data"]["createShop"]["userErrors"]}
    assert errors == {
        (("name",), "INVALID_INPUT"),
        (("email",), "INVALID_EMAIL"),
        (("phone",), "INVALID_PHONE"),
        (("siret",), "INVALID_SIRET"),
        (("address", "postcode"), "INVALID_POSTCODE"),
    }
    assert body["data"]["createShop"]["shop"] is None


async def test_la_poste_siret_and_metropolitan_mobile_are_accepted(client) -> None:
    token = (await client.register())["accessToken"]
    shop = await open_shop(client, token, siret="356 000 000 00001", phone="+33 6 12 34 56 78")
    assert shop["merchantDetails"] == {"phone": "+33612345678", "siret": LA_POSTE_SIRET}


async def test_slugs_are_unique(client) -> None:
    token = (await client.register())["accessToken"]
    first = await open_shop(client, token)
    # Another name (a letter the slug cannot spell) that would make the same slug.
    second = await open_shop(client, token, name="Boulangerie du Centre 中")
    assert (first["slug"], second["slug"]) == ("boulangerie-du-centre", "boulangerie-du-centre-2")


async def test_create_shop_needs_an_account(client) -> None:
    body = await client(CREATE_SHOP, {"input": shop_input()})
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_update_shop_settings(client) -> None:
    token, shop = await merchant(client)
    body = await client(
        UPDATE_SHOP,
        {
            "input": {
                "shopId": shop["id"],
                "website": "https://boulangerie.example",
                "categories": ["Boulangerie", "Pâtisserie"],
                "pickupHours": [
                    {"day": "MONDAY", "opens": "14:00", "closes": "18:00"},
                    {"day": "MONDAY", "opens": "06:00", "closes": "12:00"},
                    {"day": "SATURDAY", "opens": "06:00", "closes": "12:30"},
                ],
                "closures": [
                    {"date": "2026-12-20", "reason": "Fête de l'abolition de l'esclavage"}
                ],
                "delivery": {
                    "merchantDelivery": {"postcodes": ["97480", "97410"], "feeCents": 350},
                    "freeDeliveryOverCents": 4000,
                    "colissimoFeeCents": 990,
                },
            }
        },
        token=token,
    )
    payload = body["data"]["updateShop"]
    assert payload["userErrors"] == []
    shop_out = payload["shop"]
    assert shop_out["categories"] == ["boulangerie", "patisserie"]
    assert shop_out["pickupHours"] == [
        {"day": "MONDAY", "opens": "06:00", "closes": "12:00"},
        {"day": "MONDAY", "opens": "14:00", "closes": "18:00"},
        {"day": "SATURDAY", "opens": "06:00", "closes": "12:30"},
    ]
    assert shop_out["closures"] == [
        {"date": "2026-12-20", "reason": "Fête de l'abolition de l'esclavage"}
    ]
    assert shop_out["delivery"] == {
        "merchantDelivery": {
            "postcodes": ["97410", "97480"],
            "fee": {"cents": 350, "formatted": "3,50\xa0€"},
        },
        "freeDeliveryAlways": False,
        "freeDeliveryOver": {"cents": 4000},
        "colissimoFee": {"cents": 990},
    }
    cleared = await client(
        UPDATE_SHOP,
        {"input": {"shopId": shop["id"], "delivery": {"colissimoFeeCents": -1}}},
        token=token,
    )
    assert cleared["data"]["updateShop"]["shop"]["delivery"]["colissimoFee"] is None


async def test_bad_hours_are_refused(client) -> None:
    token, shop = await merchant(client)
    for ranges in (
        [{"day": "MONDAY", "opens": "18:00", "closes": "08:00"}],
        [{"day": "MONDAY", "opens": "8h", "closes": "12:00"}],
        [
            {"day": "MONDAY", "opens": "08:00", "closes": "12:00"},
            {"day": "MONDAY", "opens": "11:00", "closes": "13:00"},
        ],
    ):
        body = await client(
            UPDATE_SHOP, {"input": {"shopId": shop["id"], "pickupHours": ranges}}, token=token
        )
        assert body["data"]["updateShop"]["userErrors"] == [
            {"field": ["pickupHours"], "code": "INVALID_HOURS"}
        ]


async def test_another_merchant_cannot_change_my_shop(client) -> None:
    _, shop = await merchant(client)
    intruder, _ = await merchant(client, "autre@example.re", name="Autre boutique")
    body = await client(
        UPDATE_SHOP, {"input": {"shopId": shop["id"], "name": "Piraté"}}, token=intruder
    )
    assert error_codes(body) == ["FORBIDDEN"]
    after = await client(SHOP, {"slug": shop["slug"]})
    assert after["data"]["shop"]["name"] == "Boulangerie du Centre"
    # Nor see its private details.
    as_intruder = await client(SHOP, {"slug": shop["slug"]}, token=intruder)
    assert as_intruder["data"]["shop"]["merchantDetails"] is None
    assert as_intruder["data"]["shop"]["viewerCanManage"] is False


async def test_website_shown_to_the_public_from_2_online_products(client) -> None:
    token, shop = await merchant(client, website="https://boulangerie.example")

    async def website(as_token=None):
        body = await client(SHOP, {"slug": shop["slug"]}, token=as_token)
        return body["data"]["shop"]["about"]["website"]

    await add_product(client, token, shop["id"], name="Baguette")
    await add_product(client, token, shop["id"], name="Brioche", online=False)
    assert await website() is None  # 1 product online
    assert await website(token) == "https://boulangerie.example"  # the merchant always sees it
    await add_product(client, token, shop["id"], name="Pain de mie")
    assert await website() == "https://boulangerie.example"  # 2 products online


async def test_shops_opened_at_the_same_instant_get_their_own_code_or_a_clear_refusal(
    client, session_factory
) -> None:
    """Similar names race for the same order code and slug: each shop gets one of its own;
    the same name twice: one shop and SHOP_NAME_TAKEN, never a server error."""
    tokens = [(await client.register(f"m{i}@example.re"))["accessToken"] for i in range(8)]
    names = [
        f"Fournil des Remparts {word}" for word in ("Nord", "Sud", "Est", "Ouest", "Haut", "Bas")
    ]
    names += ["Fournil du Rond-Point", "Fournil du Rond-Point"]
    answers = await asyncio.gather(
        *(
            client(CREATE_SHOP, {"input": shop_input(name=name)}, token=token)
            for name, token in zip(names, tokens, strict=True)
        )
    )
    payloads = [answer["data"]["createShop"] for answer in answers]
    assert all("errors" not in answer for answer in answers), answers
    opened = [p["shop"] for p in payloads if p["shop"]]
    refused = [e["code"] for p in payloads for e in p["userErrors"]]
    assert len(opened) == 7 and refused == ["SHOP_NAME_TAKEN"]
    assert len({shop["slug"] for shop in opened}) == 7
    async with session_factory() as session:
        codes = (await session.execute(text("SELECT order_code FROM shop"))).scalars().all()
    assert len(set(codes)) == len(codes) == 7
