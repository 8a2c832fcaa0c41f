"""Delivery slots (issue 14, point 6) through the API, with a frozen clock: the merchant
publishes weekly slots (its merchants only), the cart offers their dated occurrences (public
holidays of La Réunion, past cut-offs and full ones left out), checkout books one race-safe and
refuses a full one, a cancelled order gives its place back, carriers promise a day, and the
order, the confirmation email and the merchant's recap state the slot or the day."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import datetime
from typing import Any

import time_machine
from sqlalchemy import select, update

from otesaintjo.clock import REUNION
from otesaintjo.models import DeliverySlotBooking, User
from tests.doubles.smtp import text_of, wait_until
from tests.support.buying import ADD, FULFIL, Town, ok, pay
from tests.support.graphql import error_codes
from tests.support.merchants import add_product

MONDAY_9 = datetime(2026, 12, 7, 9, 0, tzinfo=REUNION)  # Tuesday 8: « mardi 8 décembre »
SLOT_FIELDS = "id day starts ends cutoffHours capacity"
CREATE = f"""mutation($input: CreateDeliverySlotInput!) {{ createDeliverySlot(input: $input) {{
  deliverySlot {{ {SLOT_FIELDS} }} userErrors {{ field code }} }} }}"""
UPDATE = f"""mutation($input: UpdateDeliverySlotInput!) {{ updateDeliverySlot(input: $input) {{
  deliverySlot {{ {SLOT_FIELDS} }} userErrors {{ field code }} }} }}"""
DELETE = """mutation($input: DeleteDeliverySlotInput!) { deleteDeliverySlot(input: $input) {
  shop { deliverySlots { id } } userErrors { field code } } }"""
SHOP_SLOTS = f"""query($id: ID!) {{ node(id: $id) {{ ... on Shop {{
  deliverySlots {{ {SLOT_FIELDS} }} }} }} }}"""
CART_SHOPS = """shops { shop { name } deliverySlotRequired
  deliverySlots { slot { id } date startsAt endsAt remaining label }
  deliverySlot { date label }
  deliveryOptions { carrier estimatedDate } }"""
CART = f"{{ cart {{ {CART_SHOPS} }} }}"
CHOOSE = f"""mutation($input: CartSetDeliverySlotInput!) {{ cartSetDeliverySlot(input: $input) {{
  cart {{ {CART_SHOPS} }} userErrors {{ field code }} }} }}"""
ORDER = """query($id: ID!) { node(id: $id) { ... on Order { number status fulfilment {
  carrier estimatedDeliveryDate deliveryPromise deliverySlot { startsAt endsAt label } } } } }"""
CANCEL = """mutation($o: ID!) { cancelOrder(input: {orderId: $o}) { userErrors { code } } }"""


async def publish(client, town: Town, token: str | None = None, **slot: Any) -> dict[str, Any]:
    body = await client(
        CREATE,
        {"input": {"shopId": town.bakery["id"], **slot}},
        token=token or town.baker_token,
    )
    return body


async def published(client, town: Town, **slot: Any) -> dict[str, Any]:
    body = await publish(client, town, **slot)
    assert "errors" not in body, body
    payload = body["data"]["createDeliverySlot"]
    assert payload["userErrors"] == [], payload
    return payload["deliverySlot"]


async def week_of_slots(client, town: Town) -> dict[str, dict[str, Any]]:
    """Tuesday 14–16 (2 orders, booked up to 24 h before), Monday 10–12 (cut-off 2 h: today's
    is already closed at 9:00), Sunday 9–11 (the 20th is a public holiday of La Réunion)."""
    return {
        "tuesday": await published(
            client, town, day="TUESDAY", starts="14:00", ends="16:00", capacity=2, cutoffHours=24
        ),
        "monday": await published(
            client, town, day="MONDAY", starts="10:00", ends="12:00", capacity=5, cutoffHours=2
        ),
        "sunday": await published(
            client, town, day="SUNDAY", starts="09:00", ends="11:00", capacity=5, cutoffHours=0
        ),
    }


async def bread_delivered(client, town: Town, token: str, product_id: str | None = None) -> None:
    """The customer's cart: bread, delivered by the bakery itself in 97480."""
    await ok(
        client(ADD, {"id": product_id or town.bread["id"], "q": 1}, token=token), "cartAddItem"
    )
    await ok(
        client(
            FULFIL,
            {
                "input": {
                    "shopId": town.bakery["id"],
                    "mode": "DELIVERY",
                    "carrier": "MERCHANT",
                    "postcode": "97480",
                }
            },
            token=token,
        ),
        "cartSetFulfilment",
    )


async def cart_shop(client, token: str, name: str = "Boulangerie du Centre") -> dict[str, Any]:
    body = await client(CART, token=token)
    return next(s for s in body["data"]["cart"]["shops"] if s["shop"]["name"] == name)


async def choose(client, town: Town, token: str, slot_id: str, day: str, shop=None) -> dict:
    body = await client(
        CHOOSE,
        {"input": {"shopId": (shop or town.bakery)["id"], "slotId": slot_id, "date": day}},
        token=token,
    )
    assert "errors" not in body, body
    return body["data"]["cartSetDeliverySlot"]


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


async def test_merchants_publish_slots_and_the_cart_offers_their_dates(client) -> None:
    with time_machine.travel(MONDAY_9, tick=True):
        town = await Town(client).build()
        slots = await week_of_slots(client, town)
        assert slots["tuesday"] | {"id": None} == {
            "id": None,
            "day": "TUESDAY",
            "starts": "14:00",
            "ends": "16:00",
            "cutoffHours": 24,
            "capacity": 2,
        }

        # Public: what a customer needs, weekdays in order; the capacity is the shop's business.
        public = (await client(SHOP_SLOTS, {"id": town.bakery["id"]}))["data"]["node"]
        assert [(s["day"], s["capacity"]) for s in public["deliverySlots"]] == [
            ("MONDAY", None),
            ("TUESDAY", None),
            ("SUNDAY", None),
        ]
        mine = await client(SHOP_SLOTS, {"id": town.bakery["id"]}, token=town.baker_token)
        assert [s["capacity"] for s in mine["data"]["node"]["deliverySlots"]] == [5, 2, 5]

        customer = await town.customer("client@example.re")
        await bread_delivered(client, town, customer)
        shop = await cart_shop(client, customer)
        assert shop["deliverySlotRequired"] is True
        # 14 days from Monday 7th: today's Monday slot is past its cut-off (10:00 − 2 h), the
        # Sunday of the 20th is a public holiday (abolition of slavery, La Réunion).
        assert [s["label"] for s in shop["deliverySlots"]] == [
            "mardi 8 décembre entre 14 h et 16 h",
            "dimanche 13 décembre entre 9 h et 11 h",
            "lundi 14 décembre entre 10 h et 12 h",
            "mardi 15 décembre entre 14 h et 16 h",
        ]
        first = shop["deliverySlots"][0]
        assert first["startsAt"] == "2026-12-08T14:00:00+04:00"
        assert first["endsAt"] == "2026-12-08T16:00:00+04:00" and first["remaining"] == 2
        options = {o["carrier"]: o["estimatedDate"] for o in shop["deliveryOptions"]}
        # The merchant's day is its first slot's; Stuart same day before 14:00; La Poste D+2.
        assert options == {
            "MERCHANT": "2026-12-08",
            "LA_POSTE": "2026-12-09",
            "STUART": "2026-12-07",
        }

        chosen = await choose(client, town, customer, slots["tuesday"]["id"], "2026-12-08")
        assert chosen["userErrors"] == []
        bakery = next(
            s for s in chosen["cart"]["shops"] if s["shop"]["name"] == "Boulangerie du Centre"
        )
        assert bakery["deliverySlot"] == {
            "date": "2026-12-08",
            "label": "mardi 8 décembre entre 14 h et 16 h",
        }

        # Refusals: a holiday, a past cut-off, a day the slot does not run, another shop's slot,
        # a shop not delivered by its merchant, a shop not in the cart.
        for day, slot in (
            ("2026-12-20", "sunday"),
            ("2026-12-07", "monday"),
            ("2026-12-09", "tuesday"),
            ("2027-01-05", "tuesday"),  # beyond the 14 days offered
        ):
            refused = await choose(client, town, customer, slots[slot]["id"], day)
            assert codes(refused) == ["DELIVERY_SLOT_UNAVAILABLE"], (day, refused)
        grocer_slot = (
            await client(
                CREATE,
                {
                    "input": {
                        "shopId": town.grocer["id"],
                        "day": "TUESDAY",
                        "starts": "10:00",
                        "ends": "11:00",
                        "capacity": 3,
                    }
                },
                token=town.grocer_token,
            )
        )["data"]["createDeliverySlot"]["deliverySlot"]
        other = await choose(client, town, customer, grocer_slot["id"], "2026-12-08")
        assert codes(other) == ["DELIVERY_SLOT_OTHER_SHOP"]
        await ok(client(ADD, {"id": town.rice["id"], "q": 1}, token=customer), "cartAddItem")
        await ok(
            client(
                FULFIL,
                {"input": {"shopId": town.grocer["id"], "mode": "PICKUP"}},
                token=customer,
            ),
            "cartSetFulfilment",
        )
        pickup = await choose(
            client, town, customer, grocer_slot["id"], "2026-12-08", shop=town.grocer
        )
        assert codes(pickup) == ["NOT_MERCHANT_DELIVERY"]
        stranger = await town.customer("autre@example.re")
        assert codes(
            await choose(client, town, stranger, slots["tuesday"]["id"], "2026-12-08")
        ) == ["NOT_IN_CART"]

        # Moving on to 10:30: today's 18:00 slot (cut-off 8 h) closed meanwhile.
        evening = await published(
            client, town, day="MONDAY", starts="18:00", ends="20:00", capacity=1, cutoffHours=8
        )
        shop = await cart_shop(client, customer)
        assert shop["deliverySlots"][0]["label"] == "lundi 7 décembre entre 18 h et 20 h"
    with time_machine.travel(MONDAY_9.replace(hour=10, minute=30), tick=True):
        customer = (await client.login("client@example.re"))["accessToken"]  # a new token
        shop = await cart_shop(client, customer)
        assert "lundi 7 décembre entre 18 h et 20 h" not in [
            s["label"] for s in shop["deliverySlots"]
        ]
        late = await choose(client, town, customer, evening["id"], "2026-12-07")
        assert codes(late) == ["DELIVERY_SLOT_UNAVAILABLE"]


async def test_only_the_shops_merchants_edit_its_slots(client) -> None:
    with time_machine.travel(MONDAY_9, tick=True):
        town = await Town(client).build()
        slot = await published(
            client, town, day="TUESDAY", starts="14:00", ends="16:00", capacity=2
        )
        # Another shop's merchant, a customer, nobody: refused, and nothing changed.
        customer = await town.customer("client@example.re")
        for token in (town.grocer_token, customer):
            assert error_codes(
                await publish(
                    client,
                    town,
                    token=token,
                    day="MONDAY",
                    starts="08:00",
                    ends="09:00",
                    capacity=1,
                )
            ) == ["FORBIDDEN"]
            assert error_codes(
                await client(UPDATE, {"input": {"slotId": slot["id"], "capacity": 50}}, token=token)
            ) == ["FORBIDDEN"]
            assert error_codes(
                await client(DELETE, {"input": {"slotId": slot["id"]}}, token=token)
            ) == ["FORBIDDEN"]
        anonymous = await client(DELETE, {"input": {"slotId": slot["id"]}})
        assert error_codes(anonymous) == ["UNAUTHENTICATED"]
        # Anyone may look a slot up by its id (its capacity stays the shop's business).
        node = await client(
            """query($id: ID!) { node(id: $id) { ... on DeliverySlot { day capacity
               shop { name } } } }""",
            {"id": slot["id"]},
        )
        assert node["data"]["node"] == {
            "day": "TUESDAY",
            "capacity": None,
            "shop": {"name": "Boulangerie du Centre"},
        }

        # The merchant's own mistakes are userErrors.
        for bad, code in (
            ({"starts": "15:00", "ends": "17:00"}, "INVALID_HOURS"),  # overlaps 14–16
            ({"starts": "17:00", "ends": "16:00"}, "INVALID_HOURS"),
            ({"starts": "9h", "ends": "10:00"}, "INVALID_HOURS"),
            ({"starts": "08:00", "ends": "09:00", "capacity": 0}, "INVALID_INPUT"),
            ({"starts": "08:00", "ends": "09:00", "cutoffHours": 200}, "INVALID_INPUT"),
        ):
            body = await publish(client, town, **{"day": "TUESDAY", "capacity": 1} | bad)
            assert codes(body["data"]["createDeliverySlot"]) == [code], bad

        changed = await ok(
            client(
                UPDATE,
                {"input": {"slotId": slot["id"], "capacity": 4, "ends": "17:00"}},
                token=town.baker_token,
            ),
            "updateDeliverySlot",
        )
        assert changed["deliverySlot"]["capacity"] == 4
        assert changed["deliverySlot"]["ends"] == "17:00"
        gone = await ok(
            client(DELETE, {"input": {"slotId": slot["id"]}}, token=town.baker_token),
            "deleteDeliverySlot",
        )
        assert gone["shop"]["deliverySlots"] == []


async def checkout(town: Town, token: str) -> dict[str, Any]:
    return await town.checkout(token, key=str(uuid.uuid4()))


async def test_a_full_slot_is_refused_and_a_cancelled_order_frees_its_place(
    client, offline_stripe, mailbox, session_factory
) -> None:
    with time_machine.travel(MONDAY_9, tick=True):
        town = await Town(client).build()
        slot = await published(
            client, town, day="TUESDAY", starts="14:00", ends="16:00", capacity=1, cutoffHours=24
        )
        first, second, third = [
            await town.customer(f"{name}@example.re") for name in ("lea", "paul", "zoe")
        ]
        for token in (first, second, third):
            await bread_delivered(client, town, token)

        # Without a slot, no checkout for a merchant delivering in slots.
        required = await checkout(town, first)
        assert codes(required) == ["DELIVERY_SLOT_REQUIRED"]
        assert required["userErrors"][0]["field"][-1] == "slotId"

        # Choosing holds no place: both choose the last place, the first to pay… checks out.
        for token in (first, second):
            assert (await choose(client, town, token, slot["id"], "2026-12-08"))["userErrors"] == []
        placed = await checkout(town, first)
        assert placed["userErrors"] == []
        purchase = placed["purchase"]
        full = await checkout(town, second)
        assert codes(full) == ["DELIVERY_SLOT_FULL"]
        assert "2026-12-08" not in [
            s["date"] for s in (await cart_shop(client, second))["deliverySlots"]
        ]

        # The unpaid purchase is cancelled: the place comes back.
        (order,) = purchase["orders"]
        assert (await client(CANCEL, {"o": order["id"]}, token=first))["data"]["cancelOrder"][
            "userErrors"
        ] == []
        offered = (await cart_shop(client, third))["deliverySlots"]
        assert [(s["date"], s["remaining"]) for s in offered][:1] == [("2026-12-08", 1)]

        # The third customer pays: the slot is on the order, in both emails.
        assert (await choose(client, town, third, slot["id"], "2026-12-08"))["userErrors"] == []
        bought = (await checkout(town, third))["purchase"]
        assert (await pay(offline_stripe, bought["payment"]["clientSecret"])).status_code == 200
        paid = (await town.confirm(third, bought["id"]))["purchase"]
        assert paid["status"] == "PAID"
        (order,) = paid["orders"]
        seen = (await client(ORDER, {"id": order["id"]}, token=town.baker_token))["data"]["node"]
        assert seen["fulfilment"] == {
            "carrier": "MERCHANT",
            "estimatedDeliveryDate": "2026-12-08",
            "deliveryPromise": "Livraison le mardi 8 décembre entre 14 h et 16 h",
            "deliverySlot": {
                "startsAt": "2026-12-08T14:00:00+04:00",
                "endsAt": "2026-12-08T16:00:00+04:00",
                "label": "mardi 8 décembre entre 14 h et 16 h",
            },
        }
        # A later change of the slot leaves the order's hours as sold.
        await ok(
            client(
                UPDATE,
                {"input": {"slotId": slot["id"], "starts": "15:00"}},
                token=town.baker_token,
            ),
            "updateDeliverySlot",
        )
        again = (await client(ORDER, {"id": order["id"]}, token=third))["data"]["node"]
        assert again["fulfilment"]["deliverySlot"]["startsAt"] == "2026-12-08T14:00:00+04:00"

        def email_to(address: str) -> list[str]:  # the order's emails, not the welcome
            return [
                text_of(m)
                for m in mailbox.messages
                if m["To"] == address and "ommande" in m["Subject"]
            ]

        await wait_until(
            lambda: bool(email_to("zoe@example.re") and email_to("boulangerie@example.re"))
        )
        (confirmation,) = email_to("zoe@example.re")
        assert "Livraison le mardi 8 décembre entre 14 h et 16 h." in confirmation
        (recap,) = email_to("boulangerie@example.re")
        assert "Livraison le mardi 8 décembre entre 14 h et 16 h" in recap

        # Staff cancel the paid order before delivery: the place comes back once more.
        staff = (await client.register("staff@example.re"))["accessToken"]
        async with session_factory() as session, session.begin():
            await session.execute(
                update(User).where(User.email == "staff@example.re").values(is_staff=True)
            )
        assert (await client(CANCEL, {"o": order["id"]}, token=staff))["data"]["cancelOrder"][
            "userErrors"
        ] == []
        late = await town.customer("tard@example.re")
        await bread_delivered(client, town, late)
        offered = (await cart_shop(client, late))["deliverySlots"]
        assert [(s["date"], s["remaining"]) for s in offered][:1] == [("2026-12-08", 1)]


async def test_carriers_promise_a_working_day(client, offline_stripe, mailbox) -> None:
    friday_15 = datetime(2026, 12, 18, 15, 0, tzinfo=REUNION)
    with time_machine.travel(friday_15, tick=True):
        town = await Town(client).build()
        await client(
            """mutation($input: UpdateShopInput!) { updateShop(input: $input) {
               userErrors { code } } }""",
            {"input": {"shopId": town.bakery["id"], "delivery": {"colissimoFeeCents": 1200}}},
            token=town.baker_token,
        )
        customer = await town.customer("client@example.re")
        await bread_delivered(client, town, customer)
        options = {
            o["carrier"]: o["estimatedDate"]
            for o in (await cart_shop(client, customer))["deliveryOptions"]
        }
        # Friday 18th, 15:00: Stuart past 14:00 → Monday 21st (Sunday 20th is a holiday anyway);
        # La Poste D+2 → Tuesday 22nd; Colissimo D+5 skips Christmas → Monday 28th; the
        # merchant without slots D+1 → Monday 21st.
        assert options == {
            "MERCHANT": "2026-12-21",
            "LA_POSTE": "2026-12-22",
            "STUART": "2026-12-21",
            "COLISSIMO": "2026-12-28",
        }
        await ok(
            client(
                FULFIL,
                {"input": {"shopId": town.bakery["id"], "mode": "DELIVERY", "carrier": "LA_POSTE"}},
                token=customer,
            ),
            "cartSetFulfilment",
        )
        bought = (await town.checkout(customer))["purchase"]
        assert (await pay(offline_stripe, bought["payment"]["clientSecret"])).status_code == 200
        (order,) = (await town.confirm(customer, bought["id"]))["purchase"]["orders"]
        seen = (await client(ORDER, {"id": order["id"]}, token=customer))["data"]["node"]
        assert seen["fulfilment"] == {
            "carrier": "LA_POSTE",
            "estimatedDeliveryDate": "2026-12-22",
            "deliveryPromise": "Livraison estimée le mardi 22 décembre",
            "deliverySlot": None,
        }
        (message,) = await mailbox.wait_for_subject("Votre commande est confirmée")
        confirmation = text_of(message)
        assert "Livraison estimée le mardi 22 décembre." in confirmation


PLACES = 5


async def test_customers_racing_for_the_last_places_get_exactly_them(
    client, session_factory, database_url
) -> None:
    """N + 1 customers, each buying a product of their own (no shared stock row): only the
    slot's counter row is shared, and exactly N get a place; the last one is told it is full."""
    with time_machine.travel(MONDAY_9, tick=True):
        town = await Town(client).build()
        slot = await published(
            client, town, day="TUESDAY", starts="14:00", ends="16:00", capacity=PLACES
        )
        tokens = []
        for i in range(PLACES + 1):
            token = await town.customer(f"course{i}@example.re")
            loaf = await add_product(
                client, town.baker_token, town.bakery["id"], name=f"Pain {i}", priceCents=250
            )
            await bread_delivered(client, town, token, loaf["id"])
            assert (await choose(client, town, token, slot["id"], "2026-12-08"))["userErrors"] == []
            tokens.append(token)
        results = await asyncio.gather(*[checkout(town, token) for token in tokens])
    outcomes = Counter("purchase" if r["purchase"] else ",".join(codes(r)) for r in results)
    print(
        f"\n{PLACES + 1} checkouts for {PLACES} places on {database_url.split(':')[0]}: {outcomes}"
    )
    assert outcomes == {"purchase": PLACES, "DELIVERY_SLOT_FULL": 1}
    async with session_factory() as session:
        (booking,) = (await session.scalars(select(DeliverySlotBooking))).all()
    assert booking.booked == PLACES
